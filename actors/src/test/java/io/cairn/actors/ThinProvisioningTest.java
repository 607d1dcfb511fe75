package io.cairn.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.actors.config.VDiskSpec;
import io.cairn.datapath.vdisk.Provisioning;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unmap, provisioning status, COMPARE AND WRITE and atomic writes over the real data path (OpLog,
 * extent store, H2 journal, sharding). Every test compares what is read with a byte-array model;
 * the crash-like cases restart the node over the same files, so the OpLog replays and drains again.
 */
@Timeout(120)
class ThinProvisioningTest {

  private static final int MIB = 1 << 20;
  private static final int SLICE = 4096;

  @TempDir Path dir;
  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) node.close();
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void write(VDiskIo io, long offset, byte[] data) throws Exception {
    io.write(offset, Unpooled.wrappedBuffer(data)).get(30, TimeUnit.SECONDS);
  }

  /** Writes big enough chunks concurrently that they go straight to the extent store. */
  private static void writeSequential(VDiskIo io, long offset, byte[] data) throws Exception {
    List<CompletableFuture<Void>> f = new ArrayList<>();
    for (int at = 0; at < data.length; at += MIB) {
      f.add(io.write(offset + at, Unpooled.wrappedBuffer(data, at, Math.min(MIB, data.length - at))));
    }
    CompletableFuture.allOf(f.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
  }

  private static byte[] read(VDiskIo io, long offset, int length) throws Exception {
    ByteBuf b = io.read(offset, length).get(30, TimeUnit.SECONDS);
    try {
      byte[] out = new byte[length];
      b.getBytes(b.readerIndex(), out);
      return out;
    } finally {
      b.release();
    }
  }

  private static void unmap(VDiskIo io, long offset, long length) throws Exception {
    io.unmap(offset, length).get(30, TimeUnit.SECONDS);
  }

  private static long caw(VDiskIo io, long offset, byte[] compare, byte[] data) throws Exception {
    return io.compareAndWrite(offset, Unpooled.wrappedBuffer(compare), Unpooled.wrappedBuffer(data)).get(30, TimeUnit.SECONDS);
  }

  private long diskUsed() {
    return node.store.disks().get(0).usedBytes();
  }

  private static void zero(byte[] model, long offset, long length) {
    Arrays.fill(model, (int) offset, (int) (offset + length), (byte) 0);
  }

  private static void assertModel(byte[] model, VDiskIo io) throws Exception {
    for (int off = 0; off < model.length; off += 4 * MIB) {
      int n = Math.min(4 * MIB, model.length - off);
      assertArrayEquals(Arrays.copyOfRange(model, off, off + n), read(io, off, n), "bytes at " + off);
    }
  }

  // ---- unmap ---------------------------------------------------------------------------------

  @Test
  void shouldReadZerosAndReleaseExtentsAndSpaceAfterUnmappingWholeVBlocks() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("whole", 32L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] model = random(1, 16 * MIB);
    writeSequential(io, 0, model);
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertEquals(16, node.stats(v.id()).mappedBlocks());
    long usedBefore = diskUsed();
    assertEquals(16L * MIB, usedBefore);

    unmap(io, 4L * MIB, 8L * MIB); // vBlocks 4..11: their egroups are deleted or their slots deallocated
    zero(model, 4L * MIB, 8L * MIB);

    assertModel(model, io);
    assertEquals(8, node.stats(v.id()).mappedBlocks(), "unmapped vBlocks left the block map");
    assertEquals(usedBefore - 8L * MIB, diskUsed(), "their slices no longer count as used");

    node.restart();
    io = node.io(v.id());
    assertModel(model, io);
    assertEquals(8, node.stats(v.id()).mappedBlocks(), "BlocksUnmapped survives a restart");
    assertEquals(8L * MIB, diskUsed());
  }

  @Test
  void shouldDeallocateWholeSlicesAndZeroPartialOnesInsidePartlyCoveredVBlocks() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("partial", 8L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] model = random(2, 4 * MIB);
    writeSequential(io, 0, model);
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    long usedBefore = diskUsed();

    long off = MIB + 3 * 512;          // inside slice 256 of the vDisk
    long len = 10L * SLICE + 1024;     // ends inside a slice too
    unmap(io, off, len);
    zero(model, off, len);
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);

    assertModel(model, io);
    assertEquals(4, node.stats(v.id()).mappedBlocks(), "no vBlock was covered whole");
    // slices fully inside [off, off+len): from the next 4 KiB boundary to the last one before the end
    long whole = ((off + len) / SLICE) - ((off + SLICE - 1) / SLICE);
    assertEquals(usedBefore - whole * SLICE, diskUsed(), "whole slices released, the two partial ones stay");

    Provisioning p = io.provisioning(0, 16).get(10, TimeUnit.SECONDS);
    long firstHole = ((off + SLICE - 1) / SLICE) * SLICE;
    long holeEnd = ((off + len) / SLICE) * SLICE;
    assertEquals(new Provisioning(0, new long[] {firstHole, holeEnd, 4L * MIB, 8L * MIB}, new boolean[] {true, false, true, false}), p);
  }

  @Test
  void shouldNeverResurrectUndrainedOpLogBytesOfAnUnmappedRangeByDrainOrReplay() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("oplog", 8L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] model = new byte[4 * MIB];
    // drained bytes under newer undrained bytes
    byte[] base = random(3, 2 * MIB);
    writeSequential(io, 0, base);
    System.arraycopy(base, 0, model, 0, base.length);
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    Random r = new Random(4);
    for (int i = 0; i < 64; i++) {
      int off = 512 * r.nextInt(4 * MIB / 512 - 16);
      byte[] d = random(100 + i, 512 * (1 + r.nextInt(16)));
      write(io, off, d);
      System.arraycopy(d, 0, model, off, d.length);
    }
    assertTrue(node.oplog.undrainedBytes(v.id()) > 0);

    unmap(io, 0, 3L * MIB);
    zero(model, 0, 3L * MIB);
    assertModel(model, io);

    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertModel(model, io);

    node.restart(); // the OpLog replays every record still in its files, drained or not
    io = node.io(v.id());
    assertModel(model, io);
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertModel(model, io);
  }

  @Test
  void shouldNotRedrainRecordsDrainedBeforeTheUnmapAfterARestart() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("redrain", 8L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] data = random(5, 64 * 1024);
    write(io, MIB, data); // OpLog
    node.oplog.drainAll().get(30, TimeUnit.SECONDS); // drained; its record stays in the log file
    unmap(io, MIB, MIB);
    node.restart();
    io = node.io(v.id());
    node.oplog.drainAll().get(30, TimeUnit.SECONDS); // replay made the record undrained again...
    assertArrayEquals(new byte[data.length], read(io, MIB, data.length), "...but SUPERSEDE killed it");
    assertEquals(0, node.stats(v.id()).mappedBlocks());
  }

  @Test
  void shouldReadZerosFromAPartialGranuleUnmapAndKeepItAllocated() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("granule", 4L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] block = random(6, SLICE);
    write(io, 2 * SLICE, block);
    unmap(io, 2 * SLICE + 1024, 512);
    byte[] expect = block.clone();
    Arrays.fill(expect, 1024, 1536, (byte) 0);
    assertArrayEquals(expect, read(io, 2 * SLICE, SLICE));
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertArrayEquals(expect, read(io, 2 * SLICE, SLICE));
    Provisioning p = io.provisioning(0, 8).get(10, TimeUnit.SECONDS);
    assertEquals(new Provisioning(0, new long[] {2 * SLICE, 3 * SLICE, 4L * MIB}, new boolean[] {false, true, false}), p,
        "a granule with data left stays mapped");
  }

  @Test
  void shouldUnmapTheWholeVDiskLikeASanitize() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("erase", 16L * MIB);
    VDiskIo io = node.io(v.id());
    writeSequential(io, 0, random(7, 6 * MIB));
    write(io, 12L * MIB, random(8, 8192));
    unmap(io, 0, 16L * MIB);
    assertModel(new byte[16 * MIB], io);
    assertEquals(new Provisioning(0, new long[] {16L * MIB}, new boolean[] {false}), io.provisioning(0, 4).get(10, TimeUnit.SECONDS));
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertEquals(0, node.stats(v.id()).mappedBlocks());
    assertEquals(0, diskUsed());
  }

  @Test
  void shouldRejectUnmapBeyondTheEnd() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("edge", 4L * MIB);
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> node.io(v.id()).unmap(4L * MIB - 512, 1024).get(10, TimeUnit.SECONDS));
    assertEquals(VDiskIoException.Kind.LBA_OUT_OF_RANGE, VDiskIoException.of(e).kind());
  }

  // ---- provisioning status -------------------------------------------------------------------

  @Test
  void shouldReportOpLogAndExtentDataAsMappedAndEverythingElseDeallocated() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("status", 8L * MIB);
    VDiskIo io = node.io(v.id());
    write(io, 8192, random(9, 4096));                 // drained below: extent slice 2
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    write(io, 12288, random(10, 1024));                // undrained, touches it
    write(io, 3L * MIB, random(11, 512));              // undrained, alone
    Provisioning p = io.provisioning(0, 16).get(10, TimeUnit.SECONDS);
    assertEquals(new Provisioning(0, new long[] {8192, 13312, 3L * MIB, 3L * MIB + 512, 8L * MIB},
        new boolean[] {false, true, false, true, false}), p);
    assertEquals(new Provisioning(9000, new long[] {13312, 3L * MIB}, new boolean[] {true, false}),
        io.provisioning(9000, 2).get(10, TimeUnit.SECONDS), "from inside a range, at most 2 ranges");
  }

  // ---- compare and write, atomic writes ------------------------------------------------------

  @Test
  void shouldWriteOnlyWhenTheRangeMatchesAndReportTheFirstDifference() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("caw", 4L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] a = random(12, 2048);
    write(io, 4096, a);
    byte[] wrong = a.clone();
    wrong[1500] ^= 1;
    byte[] b = random(13, 2048);
    assertEquals(1500, caw(io, 4096, wrong, b));
    assertArrayEquals(a, read(io, 4096, 2048), "a miscompare writes nothing");
    assertEquals(-1, caw(io, 4096, a, b));
    assertArrayEquals(b, read(io, 4096, 2048));
    assertEquals(-1, caw(io, 2L * MIB, new byte[512], Arrays.copyOf(a, 512)), "a never-written range compares as zeros");
    assertArrayEquals(Arrays.copyOf(a, 512), read(io, 2L * MIB, 512));
  }

  @Test
  void shouldCountEveryIncrementOfConcurrentCompareAndWriteLoops() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("counter", 4L * MIB);
    VDiskIo io = node.io(v.id());
    int threads = 4;
    int perThread = 25;
    AtomicInteger conflicts = new AtomicInteger();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      loops.add(CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < perThread; i++) {
            while (true) {
              byte[] cur = read(io, 0, 512);
              byte[] next = cur.clone();
              long n = java.nio.ByteBuffer.wrap(cur).getLong() + 1;
              java.nio.ByteBuffer.wrap(next).putLong(n);
              if (caw(io, 0, cur, next) < 0) break;
              conflicts.incrementAndGet();
            }
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }));
    }
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
    assertEquals(threads * perThread, java.nio.ByteBuffer.wrap(read(io, 0, 512)).getLong(),
        "no increment lost (" + conflicts.get() + " retries after a miscompare)");
  }

  @Test
  void shouldNeverLetAWriteSlipBetweenTheCompareAndTheWrite() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("race", 4L * MIB);
    VDiskIo io = node.io(v.id());
    int len = 16 * 1024;
    for (int round = 0; round < 40; round++) {
      byte[] a = filled(len, 'A');
      write(io, 0, a);
      CompletableFuture<Long> c = io.compareAndWrite(0, Unpooled.wrappedBuffer(a), Unpooled.wrappedBuffer(filled(len, 'B')));
      CompletableFuture<Void> w = io.write(4096, Unpooled.wrappedBuffer(filled(4096, 'C')));
      long at = c.get(30, TimeUnit.SECONDS);
      w.get(30, TimeUnit.SECONDS);
      byte[] got = read(io, 0, len);
      // Either order leaves C in [4096, 8192): before the compare (miscompare, A stays around it) or
      // after the write of B. A B over the C would mean the write slipped in between.
      assertArrayEquals(filled(4096, 'C'), Arrays.copyOfRange(got, 4096, 8192), "round " + round);
      byte around = at < 0 ? (byte) 'B' : (byte) 'A';
      assertEquals(around, got[0], "round " + round);
      assertEquals(around, got[len - 1], "round " + round);
      if (at >= 0) assertEquals(4096, at, "the first byte the write changed");
    }
  }

  @Test
  void shouldSendAnAtomicWriteToTheOpLogAsOneRecordEvenWhenLarge() throws Exception {
    node = TestNode.start(dir);
    VDiskSpec v = node.createVDisk("atomic", 8L * MIB);
    VDiskIo io = node.io(v.id());
    byte[] data = random(14, 2 * MIB);
    long appends = node.oplog.stats().appends();
    List<CompletableFuture<Void>> f = new ArrayList<>();
    f.add(io.writeAtomic(0, Unpooled.wrappedBuffer(data)));
    f.add(io.writeAtomic(4L * MIB, Unpooled.wrappedBuffer(data))); // 4 MiB outstanding: would be sequential
    CompletableFuture.allOf(f.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertEquals(appends + 2, node.oplog.stats().appends(), "each atomic write is exactly one OpLog record");
    assertEquals(4L * MIB, node.oplog.undrainedBytes(v.id()));
    node.restart();
    assertArrayEquals(data, read(node.io(v.id()), 4L * MIB, data.length));
  }

  private static byte[] filled(int n, char c) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) c);
    return b;
  }
}
