package io.cairn.datapath.oplog;

import static io.cairn.datapath.oplog.OpLogTestSupport.append;
import static io.cairn.datapath.oplog.OpLogTestSupport.appendSync;
import static io.cairn.datapath.oplog.OpLogTestSupport.await;
import static io.cairn.datapath.oplog.OpLogTestSupport.bytes;
import static io.cairn.datapath.oplog.OpLogTestSupport.logFileSeqs;
import static io.cairn.datapath.oplog.OpLogTestSupport.read;
import static io.cairn.datapath.oplog.OpLogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.OpLogSettings;
import io.cairn.datapath.vdisk.VDiskIoException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class FileOpLogTest {

  @TempDir Path dir;

  private static final int DISK = 4 << 20;

  @Test
  void shouldCaptureNewestBytesOfOverlappingWrites() throws Exception {
    byte[] model = new byte[64 << 10];
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      Random rnd = new Random(7);
      for (int i = 0; i < 300; i++) {
        int off = rnd.nextInt(model.length - 1);
        int len = 1 + rnd.nextInt(Math.min(9000, model.length - off));
        byte[] data = bytes(i, len);
        appendSync(log, 1, off, data);
        System.arraycopy(data, 0, model, off, len);
      }
      assertArrayEquals(model, read(log, 1, 0, model.length, new byte[model.length]));
      // sub-ranges starting and ending inside pieces
      for (int i = 0; i < 50; i++) {
        int off = rnd.nextInt(model.length - 1);
        int len = 1 + rnd.nextInt(model.length - off);
        byte[] expect = new byte[len];
        System.arraycopy(model, off, expect, 0, len);
        assertArrayEquals(expect, read(log, 1, off, len, new byte[len]));
      }
      assertTrue(log.hasUndrained(1, 0, model.length));
      assertFalse(log.hasUndrained(2, 0, 1 << 20));
      assertTrue(log.capture(1, model.length, 4096).isEmpty());
    }
  }

  @Test
  void shouldListUndrainedRangesClippedMergedAndLimited() throws Exception {
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 4096, bytes(1, 4096));      // [4096, 8192)
      appendSync(log, 1, 8192, bytes(2, 1024));      // touches it: [4096, 9216)
      appendSync(log, 1, 20480, bytes(3, 512));      // [20480, 20992)
      appendSync(log, 1, 65536, bytes(4, 4096));     // [65536, 69632)
      await(log.supersede(1, 6144, 1024));           // hole [6144, 7168)
      appendSync(log, 2, 0, bytes(5, 4096));         // another vDisk

      assertArrayEquals(new long[] {4096, 6144, 7168, 9216, 20480, 20992, 65536, 69632},
          log.undrainedRanges(1, 0, 1 << 20, 16));
      assertArrayEquals(new long[] {5000, 6144, 7168, 9216, 20480, 20600},
          log.undrainedRanges(1, 5000, 20600 - 5000, 16), "clipped to the asked range");
      assertArrayEquals(new long[] {4096, 6144, 7168, 9216}, log.undrainedRanges(1, 0, 1 << 20, 2), "at most 2 ranges");
      assertArrayEquals(new long[0], log.undrainedRanges(1, 9216, 20480 - 9216, 16));
      assertArrayEquals(new long[0], log.undrainedRanges(3, 0, 1 << 20, 16), "a vDisk the log never saw");
      assertArrayEquals(new long[] {Long.MAX_VALUE - 4096, Long.MAX_VALUE - 1024},
          rangesNearTheEnd(log), "no overflow next to 2^63");
    }
  }

  private static long[] rangesNearTheEnd(FileOpLog log) throws Exception {
    appendSync(log, 9, Long.MAX_VALUE - 4096, bytes(6, 3072));
    return log.undrainedRanges(9, Long.MAX_VALUE - 8192, 8192, 4);
  }

  @Test
  void shouldCountUndrainedBytesOncePerByteAfterOverwrites() throws Exception {
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, bytes(1, 8192));
      appendSync(log, 1, 4096, bytes(2, 8192));
      appendSync(log, 1, 100, bytes(3, 10));
      assertEquals(12288, log.undrainedBytes(1));
      assertEquals(12288, log.stats().undrainedBytes());
    }
  }

  @Test
  void shouldBatchConcurrentAppendsIntoFewerFsyncs() throws Exception {
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      int n = 2000;
      List<CompletableFuture<Void>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) fs.add(append(log, i % 8, (long) (i / 8) * 4096, bytes(i, 4096)));
      await(CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])));
      OpLogStats st = log.stats();
      assertEquals(n, st.appends());
      assertTrue(st.fsyncs() < n / 4, "fsyncs " + st.fsyncs() + " for " + n + " appends");
      assertTrue(st.fsyncs() >= 1);
    }
  }

  @Test
  void shouldRebuildTheSameIndexOnReplay() throws Exception {
    Random rnd = new Random(11);
    byte[][] model = new byte[3][256 << 10];
    OpLogSettings s = OpLogTestSupport.withFileSize(settings(dir), 256 << 10); // several files
    try (FileOpLog log = FileOpLog.open(s)) {
      for (int i = 0; i < 400; i++) {
        int v = rnd.nextInt(3);
        int off = rnd.nextInt(model[v].length - 1);
        int len = 1 + rnd.nextInt(Math.min(20000, model[v].length - off));
        byte[] data = bytes(1000 + i, len);
        appendSync(log, v, off, data);
        System.arraycopy(data, 0, model[v], off, len);
      }
    }
    long[] undrained = new long[3];
    try (FileOpLog log = FileOpLog.open(s)) {
      OpLogStats st = log.stats();
      assertEquals(400, st.replayedRecords());
      assertEquals(0, st.droppedTailRecords());
      for (int v = 0; v < 3; v++) {
        assertArrayEquals(model[v], read(log, v, 0, model[v].length, new byte[model[v].length]));
        undrained[v] = log.undrainedBytes(v);
        assertTrue(undrained[v] > 0);
      }
    }
    try (FileOpLog log = FileOpLog.open(s)) { // replay of a replayed log is the same
      for (int v = 0; v < 3; v++) {
        assertEquals(undrained[v], log.undrainedBytes(v));
        assertArrayEquals(model[v], read(log, v, 0, model[v].length, new byte[model[v].length]));
      }
    }
  }

  @Test
  void shouldKeepSupersedeAndDiscardAcrossReplay() throws Exception {
    byte[] a = bytes(1, 16384);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, a);
      appendSync(log, 2, 0, bytes(2, 8192));
      await(log.supersede(1, 4096, 8192));
      await(log.discard(2));
      assertFalse(log.hasUndrained(1, 4096, 8192));
      assertFalse(log.hasUndrained(2, 0, 8192));
    }
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      assertFalse(log.hasUndrained(1, 4096, 8192));
      assertTrue(log.hasUndrained(1, 0, 4096));
      assertTrue(log.hasUndrained(1, 12288, 4096));
      assertEquals(8192, log.undrainedBytes(1));
      assertFalse(log.hasUndrained(2, 0, 1 << 20));
      assertEquals(0, log.undrainedBytes(2));
      byte[] got = read(log, 1, 0, 16384, new byte[16384]);
      for (int i = 0; i < 16384; i++) {
        byte expect = i >= 4096 && i < 12288 ? 0 : a[i];
        assertEquals(expect, got[i], "byte " + i);
      }
    }
  }

  @Test
  void shouldNotResurrectDrainedRecordsOverASupersededRange() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    byte[] old = bytes(1, 8192);
    byte[] direct = bytes(2, 8192);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      log.startDrainer(sink);
      appendSync(log, 1, 0, old);
      await(log.drainAll());
      assertFalse(log.hasUndrained(1, 0, 8192));
      // a sequential write goes straight to the store, announced by a supersede
      await(log.supersede(1, 0, 8192));
      synchronized (sink) {
        System.arraycopy(direct, 0, sink.disk(1), 0, 8192);
      }
    }
    int callsBefore = sink.calls().size();
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      assertEquals(2, log.stats().replayedRecords()); // the drained DATA record is still in its file
      assertFalse(log.hasUndrained(1, 0, 8192));
      log.startDrainer(sink);
      await(log.drainAll());
    }
    assertEquals(callsBefore, sink.calls().size());
    assertArrayEquals(direct, sink.storeRead(1, 0, 8192));
  }

  @Test
  void shouldRedrainDrainedButUntrimmedRecordsHarmlesslyAfterReplay() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    byte[] data = bytes(1, 8192);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      log.startDrainer(sink);
      appendSync(log, 1, 0, data);
      await(log.drainAll());
    }
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      assertTrue(log.hasUndrained(1, 0, 8192));
      log.startDrainer(sink);
      await(log.drainAll());
      assertFalse(log.hasUndrained(1, 0, 8192));
    }
    assertArrayEquals(data, sink.storeRead(1, 0, 8192));
  }

  @Test
  void shouldDrainCoalescedRunsWithinBatchBoundaries() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(settings(dir))) { // drain batch 64 KiB
      byte[] all = new byte[200_000];
      for (int off = 0; off < all.length; off += 5000) {
        byte[] d = bytes(off, 5000);
        appendSync(log, 1, 10_000 + off, d);
        System.arraycopy(d, 0, all, off, 5000);
      }
      log.startDrainer(sink);
      await(log.drainAll());
      assertEquals(0, log.undrainedBytes(1));
      assertArrayEquals(all, sink.storeRead(1, 10_000, all.length));
      for (ModelSink.Call c : sink.calls()) {
        assertTrue(c.data().length <= 64 << 10);
        assertEquals(c.offset() / (64 << 10), (c.offset() + c.data().length - 1) / (64 << 10), "run crosses a batch boundary");
      }
      assertTrue(sink.calls().size() <= 5, "expected coalesced runs, got " + sink.calls().size());
      assertEquals(all.length, log.stats().drainedBytes());
    }
  }

  @Test
  void shouldKeepANewerWriteThatArrivesWhileItsRangeIsDraining() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    byte[] v1 = bytes(1, 4096);
    byte[] v2 = bytes(2, 4096);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, v1);
      sink.hold = true;
      log.startDrainer(sink);
      CompletableFuture<Void> all = log.drainAll();
      waitFor(() -> sink.heldCount() == 1);
      appendSync(log, 1, 0, v2); // newer data over the range being drained
      sink.release();
      await(all);
      assertTrue(log.hasUndrained(1, 0, 4096), "the newer write must stay undrained");
      assertArrayEquals(v2, read(log, 1, 0, 4096, sink.storeRead(1, 0, 4096)));
      await(log.drainAll());
      assertArrayEquals(v2, sink.storeRead(1, 0, 4096));
    }
  }

  @Test
  void shouldCompleteSupersedeOnlyAfterOverlappingDrainInFlightFinishes() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, bytes(1, 8192));
      sink.hold = true;
      log.startDrainer(sink);
      CompletableFuture<Void> all = log.drainAll();
      waitFor(() -> sink.heldCount() == 1);
      CompletableFuture<Void> sup = log.supersede(1, 4096, 4096);
      CompletableFuture<Void> unrelated = log.supersede(1, 1 << 20, 4096);
      await(unrelated);
      assertThrows(TimeoutException.class, () -> sup.get(200, TimeUnit.MILLISECONDS));
      sink.release();
      await(sup);
      await(all);
    }
  }

  @Test
  void shouldTrimLogFilesOnlyOldestFirst() throws Exception {
    OpLogSettings s = OpLogTestSupport.withFileSize(settings(dir), 64 << 10);
    ModelSink sink = new ModelSink(DISK);
    sink.goneVDisk = -1;
    try (FileOpLog log = FileOpLog.open(s)) {
      appendSync(log, 1, 0, bytes(1, 4096)); // vDisk 1 pins the first file
      for (int i = 0; i < 60; i++) appendSync(log, 2, (long) i * 4096, bytes(100 + i, 4096));
      List<Long> before = logFileSeqs(dir);
      assertTrue(before.size() >= 4, "files " + before);
      // drain only vDisk 2: its files have no live bytes, but the oldest file still does
      sink.failuresLeft.set(0);
      DrainSink only2 = (v, off, data) -> v == 2 ? sink.drain(v, off, data)
          : CompletableFuture.failedFuture(new RuntimeException("vDisk 1 not drainable yet"));
      AtomicReference<DrainSink> current = new AtomicReference<>(only2);
      log.startDrainer((v, off, data) -> current.get().drain(v, off, data));
      CompletableFuture<Void> all = log.drainAll(); // makes every vDisk drainable
      waitFor(() -> log.undrainedBytes(2) == 0);
      Thread.sleep(200); // give the drainer the chance to (wrongly) trim
      assertEquals(before, logFileSeqs(dir), "no file may go while the oldest still holds live data");
      current.set(sink);
      await(all);
      assertEquals(0, log.undrainedBytes(1));
      waitFor(() -> {
        try {
          return logFileSeqs(dir).size() == 1;
        } catch (Exception e) {
          return false;
        }
      });
      assertEquals(List.of(before.get(before.size() - 1)), logFileSeqs(dir)); // only the active file stays
      assertEquals(1, log.stats().files());
    }
  }

  @Test
  void shouldCompleteAppendsHeldByBackPressureOnlyAfterTheDrainerMakesRoom() throws Exception {
    OpLogSettings s = OpLogTestSupport.withLimits(settings(dir), 16 << 10, 1 << 20);
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(s)) {
      appendSync(log, 1, 0, bytes(1, 16 << 10)); // exactly at the limit
      CompletableFuture<Void> held = append(log, 1, 16 << 10, bytes(2, 4096));
      CompletableFuture<Void> other = append(log, 2, 0, bytes(3, 4096)); // another vDisk is not held
      await(other);
      assertThrows(TimeoutException.class, () -> held.get(300, TimeUnit.MILLISECONDS));
      assertFalse(log.hasUndrained(1, 16 << 10, 4096));
      log.startDrainer(sink);
      await(held);
      assertTrue(log.undrainedBytes(1) <= 16 << 10);
      await(log.drainAll());
      assertArrayEquals(bytes(2, 4096), sink.storeRead(1, 16 << 10, 4096));
    }
  }

  @Test
  void shouldHoldAppendsOfEveryVDiskWhenTheNodeIsOverItsLimit() throws Exception {
    OpLogSettings s = OpLogTestSupport.withLimits(settings(dir), 16 << 10, 16 << 10);
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(s)) {
      appendSync(log, 1, 0, bytes(1, 12 << 10));
      CompletableFuture<Void> held = append(log, 2, 0, bytes(2, 8 << 10));
      assertThrows(TimeoutException.class, () -> held.get(300, TimeUnit.MILLISECONDS));
      log.startDrainer(sink);
      await(held);
    }
  }

  @Test
  void shouldRetryAFailedDrain() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    sink.failuresLeft.set(2);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, bytes(1, 4096));
      log.startDrainer(sink);
      await(log.drainAll());
      assertEquals(0, log.undrainedBytes(1));
      assertEquals(3, sink.calls().size());
      assertArrayEquals(bytes(1, 4096), sink.storeRead(1, 0, 4096));
    }
  }

  @Test
  void shouldDiscardRecordsOfAVDiskTheSinkReportsGone() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    sink.goneVDisk = 5;
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 5, 0, bytes(1, 4096));
      appendSync(log, 6, 0, bytes(2, 4096));
      log.startDrainer(sink);
      await(log.drainAll());
      assertEquals(0, log.undrainedBytes(5));
      assertEquals(0, log.undrainedBytes(6));
    }
    // the discard was made durable: the gone vDisk's record does not come back
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      waitFor(() -> !log.hasUndrained(5, 0, 4096));
      assertEquals(0, log.undrainedBytes(5));
      assertTrue(log.hasUndrained(6, 0, 4096)); // drained, untrimmed: replayed (harmless)
    }
  }

  @Test
  void shouldMakeEveryAcceptedAppendDurableOnClose() throws Exception {
    OpLogSettings s = OpLogTestSupport.withLimits(settings(dir), 64 << 10, 1 << 20);
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    FileOpLog log = FileOpLog.open(s);
    for (int i = 0; i < 64; i++) fs.add(append(log, 1, (long) i * 4096, bytes(i, 4096))); // 256 KiB, over the limit
    log.close();
    for (CompletableFuture<Void> f : fs) await(f);
    assertThrows(ExecutionException.class, () -> append(log, 1, 0, bytes(0, 1)).get(1, TimeUnit.SECONDS));
    try (FileOpLog again = FileOpLog.open(s)) {
      for (int i = 0; i < 64; i++) assertArrayEquals(bytes(i, 4096), read(again, 1, (long) i * 4096, 4096, new byte[4096]));
    }
  }

  @Test
  void shouldRejectAppendsAfterClose() throws Exception {
    FileOpLog log = FileOpLog.open(settings(dir));
    log.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> append(log, 1, 0, bytes(0, 10)).get(1, TimeUnit.SECONDS));
    assertEquals(VDiskIoException.Kind.NOT_READY, ((VDiskIoException) e.getCause()).kind());
  }

  @Test
  void shouldDrainAVDiskThatHasBeenIdle() throws Exception {
    OpLogSettings s = OpLogTestSupport.withIdleDelay(settings(dir), Duration.ofMillis(100));
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(s)) {
      log.startDrainer(sink);
      appendSync(log, 1, 0, bytes(1, 4096));
      waitFor(() -> log.undrainedBytes(1) == 0);
      assertArrayEquals(bytes(1, 4096), sink.storeRead(1, 0, 4096));
    }
  }

  @Test
  void shouldDrainAVDiskThatHoldsMoreThanTheThreshold() throws Exception {
    OpLogSettings base = settings(dir);
    OpLogSettings s = new OpLogSettings(dir, base.fileSizeBytes(), base.maxVDiskBytes(), base.maxNodeBytes(),
        base.groupCommitMaxBytes(), 32 << 10, Duration.ofHours(1), base.drainBatchBytes(), base.drainConcurrency());
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(s)) {
      log.startDrainer(sink);
      appendSync(log, 1, 0, bytes(1, 16 << 10));
      appendSync(log, 2, 0, bytes(2, 16 << 10));
      Thread.sleep(200);
      assertEquals(16 << 10, log.undrainedBytes(1), "below the threshold and not idle: stays");
      appendSync(log, 1, 16 << 10, bytes(3, 16 << 10)); // vDisk 1 reaches 32 KiB
      waitFor(() -> log.undrainedBytes(1) == 0);
      assertEquals(16 << 10, log.undrainedBytes(2));
    }
  }

  @Test
  void shouldDrainTheOldestRecordSoOldFilesCanBeTrimmed() throws Exception {
    OpLogSettings s = OpLogTestSupport.withFileSize(settings(dir), 64 << 10); // threshold 64 MiB, idle 1 h
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(s)) {
      log.startDrainer(sink);
      appendSync(log, 1, 0, bytes(1, 4096)); // one small record pins the first file
      for (int i = 0; i < 200; i++) appendSync(log, 2, (i % 16) * 4096L, bytes(100 + i, 4096)); // overwrites
      waitFor(() -> log.undrainedBytes(1) == 0);
      waitFor(() -> log.stats().files() <= 3);
      assertArrayEquals(bytes(1, 4096), sink.storeRead(1, 0, 4096));
    }
  }

  @Test
  void shouldNeverMissDataWhenReadingDuringDrain() throws Exception {
    OpLogSettings s = OpLogTestSupport.withIdleDelay(settings(dir), Duration.ofMillis(1));
    ModelSink sink = new ModelSink(DISK);
    int blocks = 64;
    byte[][] latest = new byte[blocks][];
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (FileOpLog log = FileOpLog.open(s)) {
      for (int b = 0; b < blocks; b++) {
        latest[b] = bytes(b, 4096);
        appendSync(log, 1, (long) b * 4096, latest[b]);
      }
      Thread reader = new Thread(() -> {
        Random rnd = new Random(3);
        try {
          while (!stop.get()) {
            int b = rnd.nextInt(blocks);
            byte[] expect = latest[b];
            // the read path: capture, then read the store, then apply the capture on top
            OpLogCapture c = log.capture(1, (long) b * 4096, 4096);
            byte[] store = sink.storeRead(1, (long) b * 4096, 4096);
            io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.wrappedBuffer(store);
            c.applyTo(buf, 0);
            if (!java.util.Arrays.equals(expect, store)) throw new AssertionError("block " + b + " read stale data");
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      reader.start();
      log.startDrainer(sink);
      await(log.drainAll());
      Thread.sleep(50);
      stop.set(true);
      reader.join();
      if (failure.get() != null) throw new AssertionError(failure.get());
      assertEquals(0, log.undrainedBytes(1));
    }
  }

  @Test
  void shouldDrainARecordSplitIntoManyPiecesByNewerWrites() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    byte[] model = bytes(1, 64 << 10);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, model.clone());
      for (int i = 0; i < 16; i += 2) {
        byte[] d = bytes(100 + i, 1000);
        appendSync(log, 1, i * 4096L + 500, d);
        System.arraycopy(d, 0, model, i * 4096 + 500, 1000);
      }
      assertArrayEquals(model, read(log, 1, 0, model.length, new byte[model.length]));
      log.startDrainer(sink);
      await(log.drainAll());
      assertArrayEquals(model, sink.storeRead(1, 0, model.length));
    }
  }

  @Test
  void shouldNeverDrainARecordThatFailsItsChecksum() throws Exception {
    ModelSink sink = new ModelSink(DISK);
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, bytes(1, 4096));
      appendSync(log, 2, 0, bytes(2, 4096));
      Path file = OpLogTestSupport.logFiles(dir).get(0);
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x55}), OpLogFormat.FILE_HEADER_LENGTH + OpLogFormat.HEADER_LENGTH + 7);
      }
      log.startDrainer(sink);
      CompletableFuture<Void> all = log.drainAll();
      waitFor(() -> log.undrainedBytes(2) == 0);
      assertThrows(TimeoutException.class, () -> all.get(300, TimeUnit.MILLISECONDS));
      assertTrue(log.hasUndrained(1, 0, 4096), "the corrupt record stays, undrained");
      for (ModelSink.Call c : sink.calls()) assertEquals(2, c.vdisk(), "vDisk 1's corrupt bytes reached the sink");
    }
  }

  @Test
  void shouldFailCaptureOfARecordWhoseBytesChangedOnDisk() throws Exception {
    try (FileOpLog log = FileOpLog.open(settings(dir))) {
      appendSync(log, 1, 0, bytes(1, 4096));
      Path file = OpLogTestSupport.logFiles(dir).get(0);
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x55}), OpLogFormat.FILE_HEADER_LENGTH + OpLogFormat.HEADER_LENGTH + 100);
      }
      VDiskIoException e = assertThrows(VDiskIoException.class, () -> log.capture(1, 0, 4096));
      assertEquals(VDiskIoException.Kind.UNRECOVERED_READ_ERROR, e.kind());
      assertThrows(VDiskIoException.class, () -> log.capture(1, 100, 10)); // partial reads verify too
    }
  }

  static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(OpLogTestSupport.TIMEOUT_S);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) throw new AssertionError("condition not met in time");
      Thread.sleep(5);
    }
  }
}
