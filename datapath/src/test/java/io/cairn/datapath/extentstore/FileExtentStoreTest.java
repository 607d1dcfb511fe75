package io.cairn.datapath.extentstore;

import static io.cairn.datapath.extentstore.StoreTestSupport.EGROUP;
import static io.cairn.datapath.extentstore.StoreTestSupport.SETTINGS;
import static io.cairn.datapath.extentstore.StoreTestSupport.SLICE;
import static io.cairn.datapath.extentstore.StoreTestSupport.bytes;
import static io.cairn.datapath.extentstore.StoreTestSupport.failureKind;
import static io.cairn.datapath.extentstore.StoreTestSupport.flipByte;
import static io.cairn.datapath.extentstore.StoreTestSupport.open;
import static io.cairn.datapath.extentstore.StoreTestSupport.read;
import static io.cairn.datapath.extentstore.StoreTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.CacheSettings;
import io.cairn.config.DiskSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.datapath.vdisk.VDiskIoException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(60)
class FileExtentStoreTest {

  @TempDir Path dir;

  @ParameterizedTest(name = "offset {0}, length {1}")
  @CsvSource({
    "0, 4096", // one aligned slice
    "0, 1", // first byte
    "1, 1", // a byte inside a slice
    "4095, 2", // across a slice boundary
    "100, 5000", // partial head and tail
    "4096, 8192", // aligned, two slices
    "65000, 2000", // across the extent boundary (64 KiB)
    "65536, 65536", // the whole second extent
    "1, 131070", // everything but the first and last byte
    "0, 131072", // the whole egroup
    "131071, 1", // the last byte
    "12345, 54321"
  })
  void shouldReadBackWritesAtAnyOffsetAndLength(long offset, int length) throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      byte[] before = bytes(1, EGROUP);
      write(store, 1, 0, before); // acknowledged data around the write
      byte[] data = bytes(2, length);
      write(store, 1, offset, data);
      System.arraycopy(data, 0, before, (int) offset, length);
      assertArrayEquals(data, read(store, 1, offset, length));
      assertArrayEquals(before, read(store, 1, 0, EGROUP));
    }
    try (FileExtentStore store = open(dir)) {
      byte[] expect = bytes(1, EGROUP);
      System.arraycopy(bytes(2, length), 0, expect, (int) offset, length);
      assertArrayEquals(expect, read(store, 1, 0, EGROUP));
    }
  }

  @Test
  void shouldMatchAByteArrayModelUnderRandomUnalignedWritesAndReads() throws Exception {
    Random rnd = new Random(42);
    byte[] model = new byte[EGROUP];
    try (FileExtentStore store = open(dir)) {
      store.create(7, null);
      for (int i = 0; i < 300; i++) {
        int off = rnd.nextInt(EGROUP);
        int len = 1 + rnd.nextInt(Math.min(3 * SLICE, EGROUP - off));
        if (rnd.nextBoolean()) {
          byte[] d = bytes(i, len);
          write(store, 7, off, d);
          System.arraycopy(d, 0, model, off, len);
        } else {
          byte[] expect = new byte[len];
          System.arraycopy(model, off, expect, 0, len);
          assertArrayEquals(expect, read(store, 7, off, len), "read " + off + "+" + len);
        }
      }
      assertArrayEquals(model, read(store, 7, 0, EGROUP));
    }
  }

  @Test
  void shouldReadZerosFromNeverWrittenRangesAndUseNoSpaceForThem() throws Exception {
    try (FileExtentStore store = open(dir)) {
      assertEquals("d0", store.create(3, null));
      assertArrayEquals(new byte[EGROUP], read(store, 3, 0, EGROUP));
      assertEquals(0, store.disks().get(0).usedBytes());
      write(store, 3, 10 * SLICE + 100, bytes(1, 10)); // one slice
      assertEquals(SLICE, store.disks().get(0).usedBytes());
      byte[] slice = read(store, 3, 10 * SLICE, SLICE);
      for (int i = 0; i < SLICE; i++) assertEquals(i >= 100 && i < 110 ? bytes(1, 10)[i - 100] : 0, slice[i]);
      assertArrayEquals(new byte[10 * SLICE], read(store, 3, 0, 10 * SLICE));
      assertArrayEquals(new byte[EGROUP - 11 * SLICE], read(store, 3, 11 * SLICE, EGROUP - 11 * SLICE));
    }
  }

  @Test
  void shouldFailAReadOfACorruptSliceAndNeverReturnItsData() throws Exception {
    Path data;
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      write(store, 1, 0, bytes(1, 4 * SLICE));
      data = store.dataFile(1);
    }
    flipByte(data, 2 * SLICE + 17);
    try (FileExtentStore store = open(dir)) {
      assertEquals(Kind.UNRECOVERED_READ_ERROR, failureKind(store.read(1, 2 * SLICE + 100, 10)));
      assertEquals(Kind.UNRECOVERED_READ_ERROR, failureKind(store.read(1, 0, 4 * SLICE)));
      // a partial write into the corrupt slice cannot merge unknown bytes: refused
      ByteBuf b = Unpooled.wrappedBuffer(new byte[10]);
      assertEquals(Kind.UNRECOVERED_READ_ERROR, failureKind(store.write(1, 2 * SLICE + 5, b)));
      b.release();
      // the other slices are fine
      assertArrayEquals(java.util.Arrays.copyOfRange(bytes(1, 4 * SLICE), 0, 2 * SLICE), read(store, 1, 0, 2 * SLICE));
      assertArrayEquals(java.util.Arrays.copyOfRange(bytes(1, 4 * SLICE), 3 * SLICE, 4 * SLICE), read(store, 1, 3 * SLICE, SLICE));
      // a full-slice overwrite repairs it
      write(store, 1, 2 * SLICE, bytes(9, SLICE));
      assertArrayEquals(bytes(9, SLICE), read(store, 1, 2 * SLICE, SLICE));
    }
  }

  @Test
  void shouldFailEveryReadOfAnEgroupWhoseMetadataIsCorrupt() throws Exception {
    Path meta;
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      write(store, 1, 0, bytes(1, SLICE));
      meta = store.metaFile(1);
    }
    flipByte(meta, ExtentStoreFormat.META_HEADER_LENGTH + 4); // the written flag of slice 0
    try (FileExtentStore store = open(dir)) {
      assertTrue(store.contains(1));
      assertEquals(Kind.UNRECOVERED_READ_ERROR, failureKind(store.read(1, 0, SLICE)));
      assertEquals(Kind.UNRECOVERED_READ_ERROR, failureKind(store.read(1, 5 * SLICE, SLICE)));
    }
  }

  @Test
  void shouldKeepDataChecksumsAndUsageAcrossRestart() throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      store.create(2, null);
      write(store, 1, 5000, bytes(1, 20000));
      write(store, 2, 0, bytes(2, SLICE));
    }
    try (FileExtentStore store = open(dir)) {
      assertTrue(store.contains(1));
      assertTrue(store.contains(2));
      assertFalse(store.contains(3));
      assertArrayEquals(bytes(1, 20000), read(store, 1, 5000, 20000));
      assertArrayEquals(bytes(2, SLICE), read(store, 2, 0, SLICE));
      DiskUsage u = store.disks().get(0);
      assertEquals(2, u.egroups());
      assertEquals(7L * SLICE, u.usedBytes()); // slices 1..5 of egroup 1 and slice 0 of egroup 2
      assertTrue(u.online());
    }
    // the journal was checkpointed at close: nothing left to recover
    try (var s = Files.list(dir.resolve("d0").resolve(ExtentStoreFormat.INTENT_DIR))) {
      for (Path p : s.toList()) assertEquals(ExtentStoreFormat.JOURNAL_HEADER_LENGTH, Files.size(p), p.toString());
    }
  }

  @Test
  void shouldRejectIoOnAnEgroupItDoesNotHoldAndOutsideTheEgroup() throws Exception {
    try (FileExtentStore store = open(dir)) {
      assertEquals(Kind.NOT_READY, failureKind(store.read(99, 0, 10)));
      store.create(1, null);
      assertEquals(Kind.LBA_OUT_OF_RANGE, failureKind(store.read(1, EGROUP - 10, 11)));
      ByteBuf b = Unpooled.wrappedBuffer(new byte[11]);
      assertEquals(Kind.LBA_OUT_OF_RANGE, failureKind(store.write(1, EGROUP - 10, b)));
      b.release();
    }
  }

  @Test
  void shouldDeleteFilesAndFreeSpaceAndReadZerosWhenRecreated() throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      write(store, 1, 0, bytes(1, 8 * SLICE));
      Path data = store.dataFile(1);
      Path meta = store.metaFile(1);
      store.delete(1).get(10, TimeUnit.SECONDS);
      store.delete(1).get(10, TimeUnit.SECONDS); // idempotent
      assertFalse(store.contains(1));
      assertFalse(Files.exists(data));
      assertFalse(Files.exists(meta));
      assertEquals(0, store.disks().get(0).usedBytes());
      assertEquals(0, store.disks().get(0).egroups());
      assertEquals(Kind.NOT_READY, failureKind(store.read(1, 0, 10)));
      store.create(1, null);
      assertArrayEquals(new byte[8 * SLICE], read(store, 1, 0, 8 * SLICE));
    }
    try (FileExtentStore store = open(dir)) {
      assertArrayEquals(new byte[8 * SLICE], read(store, 1, 0, 8 * SLICE));
    }
  }

  @Test
  void shouldDeleteAnIdleReplicaOnlyOnceItHasBeenLeftAloneForTheGivenTime() throws Exception {
    byte[] data = bytes(2, 4 * SLICE);
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      store.create(2, null);
      write(store, 1, 0, data);
      assertEquals(List.of(1L, 2L), store.egroupIds().stream().sorted().toList());
      // just written: not idle for an hour, so neither is deleted
      assertFalse(store.deleteIfIdle(1, java.time.Duration.ofHours(1)).get(10, TimeUnit.SECONDS));
      assertFalse(store.deleteIfIdle(2, java.time.Duration.ofHours(1)).get(10, TimeUnit.SECONDS));
      assertArrayEquals(data, read(store, 1, 0, data.length));
      Thread.sleep(300);
      write(store, 1, 0, data); // written again: its idle time starts over
      assertFalse(store.deleteIfIdle(1, java.time.Duration.ofMillis(250)).get(10, TimeUnit.SECONDS));
      assertTrue(store.deleteIfIdle(2, java.time.Duration.ofMillis(250)).get(10, TimeUnit.SECONDS));
      assertFalse(store.deleteIfIdle(2, java.time.Duration.ZERO).get(10, TimeUnit.SECONDS), "already gone");
      assertFalse(store.deleteIfIdle(99, java.time.Duration.ZERO).get(10, TimeUnit.SECONDS), "never here");
      assertEquals(List.of(1L), store.egroupIds());
      assertArrayEquals(data, read(store, 1, 0, data.length));
    }
    try (FileExtentStore store = open(dir)) {
      assertEquals(List.of(1L), store.egroupIds());
      // opening counts as a change: an orphan found after a restart waits a full grace again
      assertFalse(store.deleteIfIdle(1, java.time.Duration.ofHours(1)).get(10, TimeUnit.SECONDS));
      assertTrue(store.deleteIfIdle(1, java.time.Duration.ZERO).get(10, TimeUnit.SECONDS));
      assertFalse(store.contains(1));
      assertEquals(0, store.disks().get(0).usedBytes());
      assertEquals(0, store.disks().get(0).egroups());
    }
  }

  @Test
  void shouldFailWritesWithSpaceExhaustedInsteadOfExceedingCapacity() throws Exception {
    List<DiskSettings> disks = List.of(new DiskSettings("d0", dir.resolve("d0"), DiskSettings.Tier.SSD, EGROUP + EGROUP / 2));
    try (FileExtentStore store = FileExtentStore.open(disks, SETTINGS, UnifiedCache.disabled())) {
      store.create(1, null);
      store.create(2, null); // thin: nothing used yet
      write(store, 1, 0, bytes(1, EGROUP));
      VDiskIoException e = assertThrows(VDiskIoException.class, () -> store.create(3, null));
      assertEquals(Kind.SPACE_EXHAUSTED, e.kind());
      write(store, 2, 0, bytes(2, EGROUP / 2));
      ByteBuf b = Unpooled.wrappedBuffer(new byte[SLICE]);
      assertEquals(Kind.SPACE_EXHAUSTED, failureKind(store.write(2, EGROUP / 2, b)));
      b.release();
      assertEquals(EGROUP + EGROUP / 2, store.disks().get(0).usedBytes());
      write(store, 2, 0, bytes(3, SLICE)); // overwriting written slices needs no space
      assertArrayEquals(new byte[SLICE], read(store, 2, EGROUP / 2, SLICE)); // the refused write left nothing
    }
  }

  @Test
  void shouldPlaceOnTheSsdWithTheMostFreeSpaceAndUseHddOnlyWhenSsdsAreFull() throws Exception {
    List<DiskSettings> disks = List.of(
        new DiskSettings("ssd-a", dir.resolve("a"), DiskSettings.Tier.SSD, 2L * EGROUP),
        new DiskSettings("ssd-b", dir.resolve("b"), DiskSettings.Tier.SSD, 3L * EGROUP),
        new DiskSettings("hdd-c", dir.resolve("c"), DiskSettings.Tier.HDD, 100L * EGROUP));
    try (FileExtentStore store = FileExtentStore.open(disks, SETTINGS, UnifiedCache.disabled())) {
      // ties go to the first disk listed; each egroup is filled before the next is placed
      String[] expected = {"ssd-b", "ssd-a", "ssd-b", "ssd-a", "ssd-b"};
      for (int id = 1; id <= 5; id++) {
        assertEquals(expected[id - 1], store.create(id, null), "egroup " + id);
        write(store, id, 0, bytes(id, EGROUP));
      }
      assertEquals("hdd-c", store.create(6, null)); // both SSDs full
      assertEquals("hdd-c", store.create(6, null)); // idempotent
      assertEquals(Kind.SPACE_EXHAUSTED, assertThrows(VDiskIoException.class, () -> store.create(7, "ssd-a")).kind());
      long ssdUsed = store.disks().stream().filter(d -> d.tier().equals("ssd")).mapToLong(DiskUsage::usedBytes).sum();
      assertEquals(5L * EGROUP, ssdUsed);
      for (DiskUsage u : store.disks()) assertTrue(u.usedBytes() <= u.capacityBytes(), u.toString());
    }
    try (FileExtentStore store = FileExtentStore.open(disks, SETTINGS, UnifiedCache.disabled())) {
      for (long id = 1; id <= 5; id++) assertArrayEquals(bytes(id, EGROUP), read(store, id, 0, EGROUP), "egroup " + id);
      assertEquals(List.of("ssd-a", "ssd-b", "hdd-c"), store.disks().stream().map(DiskUsage::diskId).toList());
    }
  }

  @Test
  void shouldKeepADiskWhoseDirectoryBelongsToAnotherDiskOffline() throws Exception {
    Path shared = dir.resolve("x");
    try (FileExtentStore store = FileExtentStore.open(
        List.of(new DiskSettings("one", shared, DiskSettings.Tier.SSD, 1L << 30)), SETTINGS, UnifiedCache.disabled())) {
      store.create(1, null);
    }
    try (FileExtentStore store = FileExtentStore.open(
        List.of(new DiskSettings("two", shared, DiskSettings.Tier.SSD, 1L << 30)), SETTINGS, UnifiedCache.disabled())) {
      assertFalse(store.disks().get(0).online());
      assertFalse(store.contains(1));
      assertEquals(Kind.SPACE_EXHAUSTED, assertThrows(VDiskIoException.class, () -> store.create(2, null)).kind());
    }
  }

  @Test
  void shouldFindACorruptSliceOnTheMediumWhenScrubbingEvenWhileAGoodCopyIsCached() throws Exception {
    UnifiedCache cache = UnifiedCache.create(new CacheSettings(1 << 20));
    byte[] data = bytes(4, 6 * SLICE);
    try (FileExtentStore store = FileExtentStore.open(StoreTestSupport.oneDisk(dir), SETTINGS, cache)) {
      store.create(1, null);
      write(store, 1, SLICE, data); // slices 1..6; 0 and 7.. never written
      assertArrayEquals(data, read(store, 1, SLICE, data.length)); // now cached
      assertTrue(store.verify(1, 0, EGROUP).get(10, TimeUnit.SECONDS).isEmpty(), "a clean replica scrubs clean");
      flipByte(store.dataFile(1), 3 * SLICE + 99);
      flipByte(store.dataFile(1), 5 * SLICE + 1);
      // the cache still serves the good bytes; the scrub reads the medium
      assertArrayEquals(data, read(store, 1, SLICE, data.length));
      java.util.BitSet bad = store.verify(1, 0, EGROUP).get(10, TimeUnit.SECONDS);
      assertEquals(java.util.BitSet.valueOf(new long[] {(1L << 3) | (1L << 5)}), bad);
      // bits count from the first slice the range touches
      assertEquals(java.util.BitSet.valueOf(new long[] {1L}), store.verify(1, 3 * SLICE + 10, 10).get(10, TimeUnit.SECONDS));
      // the bad slices left the cache: a read now meets the medium's checksum failure
      assertEquals(Kind.UNRECOVERED_READ_ERROR, failureKind(store.read(1, 3 * SLICE, SLICE)));
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 3 * SLICE, 4 * SLICE), read(store, 1, 4 * SLICE, SLICE));
      assertEquals(Kind.NOT_READY, failureKind(store.verify(2, 0, SLICE)));
      assertEquals(Kind.LBA_OUT_OF_RANGE, failureKind(store.verify(1, EGROUP - SLICE, 2 * SLICE)));
    }
  }

  @Test
  void shouldServeRepeatedReadsFromTheCacheAndNeverReturnStaleBytesAfterAWrite() throws Exception {
    UnifiedCache cache = UnifiedCache.create(new CacheSettings(1 << 20));
    try (FileExtentStore store = FileExtentStore.open(StoreTestSupport.oneDisk(dir), SETTINGS, cache)) {
      store.create(1, null);
      write(store, 1, 0, bytes(1, 4 * SLICE));
      assertArrayEquals(bytes(1, 4 * SLICE), read(store, 1, 0, 4 * SLICE));
      UnifiedCache.Stats s1 = cache.stats();
      assertEquals(4, s1.misses());
      assertEquals(4, s1.entries());
      assertArrayEquals(bytes(1, 4 * SLICE), read(store, 1, 0, 4 * SLICE));
      UnifiedCache.Stats s2 = cache.stats();
      assertEquals(s1.hits() + 4, s2.hits());
      assertEquals(s1.misses(), s2.misses());
      // a partial write into cached slice 1 and a full write of cached slice 2
      write(store, 1, SLICE + 10, bytes(2, 100));
      write(store, 1, 2 * SLICE, bytes(3, SLICE));
      byte[] expect = bytes(1, 4 * SLICE);
      System.arraycopy(bytes(2, 100), 0, expect, SLICE + 10, 100);
      System.arraycopy(bytes(3, SLICE), 0, expect, 2 * SLICE, SLICE);
      assertArrayEquals(expect, read(store, 1, 0, 4 * SLICE));
      store.delete(1).get(10, TimeUnit.SECONDS);
      store.create(1, null);
      assertArrayEquals(new byte[4 * SLICE], read(store, 1, 0, 4 * SLICE)); // nothing cached survives a delete
    }
  }

  @Test
  void shouldNotCacheAnythingWhenTheCacheIsDisabled() throws Exception {
    UnifiedCache cache = UnifiedCache.create(new CacheSettings(0));
    try (FileExtentStore store = FileExtentStore.open(StoreTestSupport.oneDisk(dir), SETTINGS, cache)) {
      store.create(1, null);
      write(store, 1, 0, bytes(1, SLICE));
      read(store, 1, 0, SLICE);
      read(store, 1, 0, SLICE);
      assertEquals(new UnifiedCache.Stats(0, 0, 0, 0, 0, 0), cache.stats());
    }
  }

  @Test
  void shouldNeverReportAChecksumErrorWhileReadersRaceAWriterOnTheSameSlices() throws Exception {
    UnifiedCache cache = UnifiedCache.create(new CacheSettings(1 << 20));
    try (FileExtentStore store = FileExtentStore.open(StoreTestSupport.oneDisk(dir), SETTINGS, cache)) {
      store.create(1, null);
      int versions = 8;
      byte[][] v = new byte[versions][];
      for (int i = 0; i < versions; i++) {
        v[i] = new byte[2 * SLICE];
        java.util.Arrays.fill(v[i], (byte) (i + 1));
      }
      write(store, 1, 0, v[0]);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> readers = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        Thread t = new Thread(() -> {
          try {
            while (!stop.get()) {
              byte[] got = read(store, 1, SLICE - 100, 200); // spans both slices
              for (byte b : got) if (b < 1 || b > versions) throw new AssertionError("unexpected byte " + b);
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        });
        t.start();
        readers.add(t);
      }
      for (int i = 0; i < 200; i++) write(store, 1, (i % 3) * 10, v[i % versions]); // partial head and tail slices
      stop.set(true);
      for (Thread t : readers) t.join();
      if (failure.get() != null) throw new AssertionError(failure.get());
    }
  }

  @Test
  void shouldGroupCommitIntentsOfConcurrentWrites() throws Exception {
    try (FileExtentStore store = open(dir)) {
      int n = 64;
      for (int i = 0; i < n; i++) store.create(i, null);
      List<CompletableFuture<Void>> fs = new ArrayList<>();
      List<ByteBuf> bufs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ByteBuf b = Unpooled.wrappedBuffer(bytes(i, SLICE));
        bufs.add(b);
        fs.add(store.write(i, 0, b));
      }
      CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.SECONDS);
      bufs.forEach(ByteBuf::release);
      assertTrue(store.intentCommits("d0") < n, "intent commits " + store.intentCommits("d0"));
      for (int i = 0; i < n; i++) assertArrayEquals(bytes(i, SLICE), read(store, i, 0, SLICE));
    }
  }

  @Test
  void shouldRejectIoAfterClose() throws Exception {
    FileExtentStore store = open(dir);
    store.create(1, null);
    store.close();
    assertEquals(Kind.NOT_READY, failureKind(store.read(1, 0, 10)));
    VDiskIoException e = assertThrows(VDiskIoException.class, () -> store.create(2, null));
    assertEquals(Kind.NOT_READY, e.kind());
  }
}
