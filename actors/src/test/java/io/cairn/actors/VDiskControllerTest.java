package io.cairn.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vDisk controller over the real data path: OpLog, extent store, H2 journal, sharding.
 * Every test compares bytes read with a byte-array model of what was written.
 */
class VDiskControllerTest {

  private static final int MIB = 1 << 20;

  @TempDir Path dir;
  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) node.close();
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static void write(VDiskIo io, long offset, byte[] data) throws Exception {
    io.write(offset, Unpooled.wrappedBuffer(data)).get(30, TimeUnit.SECONDS);
  }

  private static byte[] read(VDiskIo io, long offset, int length) throws Exception {
    ByteBuf b = io.read(offset, length).get(30, TimeUnit.SECONDS);
    try {
      assertEquals(length, b.readableBytes());
      byte[] out = new byte[length];
      b.getBytes(b.readerIndex(), out);
      return out;
    } finally {
      b.release();
    }
  }

  private static VDiskIoException.Kind failureOf(CompletableFuture<?> f) throws Exception {
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return VDiskIoException.of(e).kind();
    }
    throw new AssertionError("expected the I/O to fail");
  }

  @Test
  void shouldReadZerosFromNeverWrittenRange() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("blank", 64L * MIB);
    assertArrayEquals(new byte[3 * MIB], read(node.io(v.id()), 5 * MIB + 512, 3 * MIB));
  }

  @Test
  void shouldServeOpLogWriteThenSameBytesAfterDrain() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("small", 64L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] data = random(new Random(1), 8192);
    write(io, 4096 * 3 + 512, data);
    assertTrue(node.oplog.undrainedBytes(v.id()) > 0, "a lone small write goes to the OpLog");
    assertArrayEquals(data, read(io, 4096 * 3 + 512, 8192));

    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertEquals(0, node.oplog.undrainedBytes(v.id()));
    VDiskController.Stats stats = node.stats(v.id());
    assertEquals(1, stats.mappedBlocks(), "the drain mapped the one vBlock written");
    assertArrayEquals(data, read(io, 4096 * 3 + 512, 8192));
  }

  @Test
  void shouldSendWritesStraightToExtentStoreWhenOutstandingBytesExceedThreshold() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("seq", 256L * MIB);
    VDiskIo io = node.io(v.id());
    Random r = new Random(2);
    byte[] model = new byte[32 * MIB];
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    // 16 x 2 MiB in flight at once: 32 MiB outstanding, far above 1.5 MiB.
    for (int i = 0; i < 16; i++) {
      byte[] chunk = random(r, 2 * MIB);
      System.arraycopy(chunk, 0, model, i * 2 * MIB, chunk.length);
      inFlight.add(io.write((long) i * 2 * MIB, Unpooled.wrappedBuffer(chunk)));
    }
    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertTrue(node.oplog.stats().appends() < 16, "most sequential writes skipped the OpLog: " + node.oplog.stats());
    assertTrue(node.stats(v.id()).mappedBlocks() >= 16, "direct writes mapped their vBlocks");
    assertArrayEquals(model, read(io, 0, 32 * MIB));
  }

  @Test
  void shouldKeepNewestBytesAcrossMixOfOpLogAndDirectWritesAndRestart() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("mix", 64L * MIB);
    Random r = new Random(3);
    byte[] model = new byte[64 * MIB];
    for (int round = 0; round < 4; round++) {
      VDiskIo io = node.io(v.id());
      List<CompletableFuture<Void>> inFlight = new ArrayList<>();
      // Sequential burst over distinct 2 MiB chunks ...
      for (int i = 0; i < 6; i++) {
        int off = (r.nextInt(30) * 2 + (round % 2)) * MIB;
        if (overlapsAny(inFlightRanges, off, 2 * MIB)) continue;
        inFlightRanges.add(new long[] {off, 2 * MIB});
        byte[] chunk = random(r, 2 * MIB);
        System.arraycopy(chunk, 0, model, off, chunk.length);
        inFlight.add(io.write(off, Unpooled.wrappedBuffer(chunk)));
      }
      CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      inFlightRanges.clear();
      // ... then small random writes, one at a time, over whatever is there.
      for (int i = 0; i < 200; i++) {
        int len = 512 * (1 + r.nextInt(16));
        int off = 512 * r.nextInt((64 * MIB - len) / 512);
        byte[] chunk = random(r, len);
        System.arraycopy(chunk, 0, model, off, len);
        write(io, off, chunk);
      }
      if (round == 1) node.oplog.drainAll().get(60, TimeUnit.SECONDS);
      if (round == 2) node.restart();
    }
    VDiskIo io = node.io(v.id());
    for (int off = 0; off < 64 * MIB; off += 8 * MIB) {
      assertArrayEquals(java.util.Arrays.copyOfRange(model, off, off + 8 * MIB), read(io, off, 8 * MIB), "at " + off);
    }
    node.restart();
    node.oplog.drainAll().get(60, TimeUnit.SECONDS);
    io = node.io(v.id());
    for (int off = 0; off < 64 * MIB; off += 8 * MIB) {
      assertArrayEquals(java.util.Arrays.copyOfRange(model, off, off + 8 * MIB), read(io, off, 8 * MIB), "after drain at " + off);
    }
  }

  private final List<long[]> inFlightRanges = new ArrayList<>();

  private static boolean overlapsAny(List<long[]> ranges, long off, long len) {
    for (long[] r : ranges) if (off < r[0] + r[1] && r[0] < off + len) return true;
    return false;
  }

  @Test
  void shouldRejectRangeBeyondEndOfDisk() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("edge", 8L * MIB);
    VDiskIo io = node.io(v.id());
    write(io, 8L * MIB - 512, random(new Random(4), 512));
    assertEquals(VDiskIoException.Kind.LBA_OUT_OF_RANGE, failureOf(io.read(8L * MIB - 512, 1024)));
    assertEquals(VDiskIoException.Kind.LBA_OUT_OF_RANGE, failureOf(io.write(8L * MIB, Unpooled.wrappedBuffer(new byte[512]))));
  }

  @ParameterizedTest
  @ValueSource(longs = {1L << 50, Long.MAX_VALUE - Long.MAX_VALUE % 4096})
  void shouldWriteAndReadLastBlockOfHugeThinVDisk(long size) throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("huge", size);
    VDiskIo io = node.io(v.id());
    byte[] data = random(new Random(5), 512);
    write(io, size - 512, data);
    assertArrayEquals(data, read(io, size - 512, 512), "served from the OpLog");
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertArrayEquals(data, read(io, size - 512, 512), "served from the extent store");
    assertEquals(1, node.stats(v.id()).mappedBlocks(), "a thin vDisk maps only what was written");
    assertEquals(VDiskIoException.Kind.LBA_OUT_OF_RANGE, failureOf(io.read(size - 512, 1024)));
  }

  @Test
  void shouldRecoverBlockMapFromSnapshotAndEvents() throws Exception {
    node = TestNode.start(dir, "cairn.vdisk.snapshot-every-events = 5");
    VDiskSpec v = node.createVDisk("snap", 64L * MIB);
    Random r = new Random(6);
    byte[] model = new byte[64 * MIB];
    VDiskIo io = node.io(v.id());
    for (int i = 0; i < 40; i++) {
      int off = i * (MIB + 4096);
      if (off + 4096 > model.length) break;
      byte[] chunk = random(r, 4096);
      System.arraycopy(chunk, 0, model, off, 4096);
      write(io, off, chunk);
      if (i % 7 == 0) node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    }
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    long mapped = node.stats(v.id()).mappedBlocks();
    node.restart();
    assertEquals(mapped, node.stats(v.id()).mappedBlocks());
    assertArrayEquals(model, read(node.io(v.id()), 0, 64 * MIB));
  }

  @Test
  void shouldRefuseIoAfterDestroyAndReleaseSpace() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("doomed", 64L * MIB);
    VDiskIo io = node.io(v.id());
    write(io, 0, random(new Random(7), 3 * MIB));
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    long usedBefore = node.store.disks().get(0).usedBytes();
    assertTrue(usedBefore >= 3 * MIB);
    VDiskController.Ack ack = node.controller(v.id())
        .<VDiskController.Ack>ask(VDiskController.Destroy::new, java.time.Duration.ofSeconds(10))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(ack.ok());
    assertEquals(VDiskIoException.Kind.NOT_READY, failureOf(io.read(0, 512)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (node.store.disks().get(0).usedBytes() > 0 && System.nanoTime() < deadline) Thread.sleep(100);
    assertEquals(0, node.store.disks().get(0).usedBytes(), "the vDisk's extent groups were deleted");
  }
}
