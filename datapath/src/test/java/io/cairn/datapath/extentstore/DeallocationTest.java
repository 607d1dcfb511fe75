package io.cairn.datapath.extentstore;

import static io.cairn.datapath.extentstore.StoreTestSupport.EGROUP;
import static io.cairn.datapath.extentstore.StoreTestSupport.SLICE;
import static io.cairn.datapath.extentstore.StoreTestSupport.bytes;
import static io.cairn.datapath.extentstore.StoreTestSupport.open;
import static io.cairn.datapath.extentstore.StoreTestSupport.read;
import static io.cairn.datapath.extentstore.StoreTestSupport.write;
import static io.cairn.datapath.extentstore.StoreTestSupport.writeFileBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ExtentStore#deallocate}: deallocated slices read zeros, stop counting as used, show as
 * unwritten, and a crash at every point of the deallocation leaves each slice either with its old
 * bytes or deallocated, never failing its checksum.
 */
@Timeout(60)
class DeallocationTest {

  @TempDir Path dir;

  private final byte[] before = bytes(11, EGROUP);

  private long used(ExtentStore s) {
    return s.disks().get(0).usedBytes();
  }

  private static void deallocate(ExtentStore s, long egroup, long offset, long length) throws Exception {
    s.deallocate(egroup, offset, length).get(20, TimeUnit.SECONDS);
  }

  private static BitSet bits(int... set) {
    BitSet b = new BitSet();
    for (int i : set) b.set(i);
    return b;
  }

  @Test
  void shouldReadZerosAndReleaseSpaceOfDeallocatedSlicesOnly() throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      write(store, 1, 0, before);
      assertEquals(EGROUP, used(store));

      deallocate(store, 1, 3 * SLICE, 5 * SLICE);

      byte[] expect = before.clone();
      Arrays.fill(expect, 3 * SLICE, 8 * SLICE, (byte) 0);
      assertArrayEquals(expect, read(store, 1, 0, EGROUP));
      assertEquals(EGROUP - 5 * SLICE, used(store));
      BitSet w = store.written(1, 2 * SLICE, 7 * SLICE);
      assertEquals(bits(0, 6), w, "slices 2 and 8 stay written, 3..7 are not");
    }
  }

  @Test
  void shouldKeepDeallocatedSlicesDeallocatedAcrossACleanRestart() throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      write(store, 1, 0, before);
      deallocate(store, 1, 0, 4 * SLICE);
    }
    try (FileExtentStore again = open(dir)) {
      byte[] expect = before.clone();
      Arrays.fill(expect, 0, 4 * SLICE, (byte) 0);
      assertArrayEquals(expect, read(again, 1, 0, EGROUP));
      assertEquals(EGROUP - 4 * SLICE, used(again));
      assertEquals(new BitSet(), again.written(1, 0, 4 * SLICE));
    }
  }

  @Test
  void shouldLeaveNeverWrittenSlicesAloneAndCompleteWithoutAnIntent() throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      write(store, 1, 10 * SLICE, bytes(2, SLICE));
      long commits = store.intentCommits("d0");
      deallocate(store, 1, 0, 8 * SLICE);
      assertEquals(commits, store.intentCommits("d0"), "nothing written in the range: no intent");
      assertEquals(SLICE, used(store));
      assertArrayEquals(bytes(2, SLICE), read(store, 1, 10 * SLICE, SLICE));
    }
  }

  @Test
  void shouldRejectARangeThatIsNotWholeSlices() throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> store.deallocate(1, 512, SLICE).get(20, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IllegalArgumentException, String.valueOf(e.getCause()));
      assertThrows(ExecutionException.class, () -> store.deallocate(1, 0, EGROUP + SLICE).get(20, TimeUnit.SECONDS));
    }
  }

  @Test
  void shouldWriteAgainIntoADeallocatedSliceAndCountItAgain() throws Exception {
    try (FileExtentStore store = open(dir)) {
      store.create(1, null);
      write(store, 1, 0, before);
      deallocate(store, 1, 0, EGROUP);
      assertEquals(0, used(store));
      assertArrayEquals(new byte[EGROUP], read(store, 1, 0, EGROUP));
      write(store, 1, SLICE + 100, bytes(3, 200)); // partial: merged with the zeros of a hole
      byte[] expect = new byte[SLICE];
      System.arraycopy(bytes(3, 200), 0, expect, 100, 200);
      assertArrayEquals(expect, read(store, 1, SLICE, SLICE));
      assertEquals(SLICE, used(store));
    }
  }

  // ---- crashes ------------------------------------------------------------------------------

  private FileExtentStore prepare(IntentRecoveryTest.CrashHooks hooks) throws Exception {
    FileExtentStore store = open(dir, hooks);
    store.create(1, null);
    write(store, 1, 0, before);
    store.checkpointNow(); // the metadata files say every slice is written, with these checksums
    return store;
  }

  private void crashingDeallocate(FileExtentStore store) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> store.deallocate(1, 2 * SLICE, 4 * SLICE).get(20, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof FileExtentStore.SimulatedCrash, String.valueOf(e.getCause()));
  }

  @Test
  void shouldKeepTheOldBytesWhenCrashingAfterTheIntentBeforeAnyZeroIsWritten() throws Exception {
    IntentRecoveryTest.CrashHooks hooks = new IntentRecoveryTest.CrashHooks();
    FileExtentStore store = prepare(hooks);
    hooks.crashAt = "afterIntentDurable";
    crashingDeallocate(store);
    store.crash();
    try (FileExtentStore reopened = open(dir)) {
      assertArrayEquals(before, read(reopened, 1, 0, EGROUP));
      assertEquals(EGROUP, used(reopened));
    }
  }

  @Test
  void shouldDeallocateWhenCrashingAfterTheZerosAreDurableBeforeTheFlagsChange() throws Exception {
    IntentRecoveryTest.CrashHooks hooks = new IntentRecoveryTest.CrashHooks();
    FileExtentStore store = prepare(hooks);
    hooks.crashAt = "afterDataDurable";
    crashingDeallocate(store);
    store.crash();
    try (FileExtentStore reopened = open(dir)) {
      byte[] expect = before.clone();
      Arrays.fill(expect, 2 * SLICE, 6 * SLICE, (byte) 0);
      assertArrayEquals(expect, read(reopened, 1, 0, EGROUP));
      assertEquals(EGROUP - 4 * SLICE, used(reopened), "recovery turns announced zeros back into holes");
      assertEquals(new BitSet(), reopened.written(1, 2 * SLICE, 4 * SLICE));
    }
  }

  @Test
  void shouldReadATornDeallocationAsOldOrZeroSlicesWithoutChecksumErrors() throws Exception {
    IntentRecoveryTest.CrashHooks hooks = new IntentRecoveryTest.CrashHooks();
    FileExtentStore store = prepare(hooks);
    Path data = store.dataFile(1);
    // torn: slice 2 fully zeroed, slice 3 half zeroed, slices 4 and 5 untouched
    hooks.beforeCrash = () -> {
      try {
        writeFileBytes(data, 2 * SLICE, new byte[SLICE + SLICE / 2]);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    hooks.crashAt = "afterIntentDurable";
    crashingDeallocate(store);
    store.crash();
    try (FileExtentStore reopened = open(dir)) {
      byte[] got = read(reopened, 1, 0, EGROUP); // no checksum error anywhere
      byte[] expect = before.clone();
      Arrays.fill(expect, 2 * SLICE, 3 * SLICE + SLICE / 2, (byte) 0);
      assertArrayEquals(expect, got);
      assertEquals(EGROUP - SLICE, used(reopened), "only the fully zeroed slice became a hole");
    }
  }

  @Test
  void shouldKeepADeallocationAcknowledgedBeforeACrashWhoseMetadataWasNeverCheckpointed() throws Exception {
    IntentRecoveryTest.CrashHooks hooks = new IntentRecoveryTest.CrashHooks();
    FileExtentStore store = prepare(hooks);
    store.deallocate(1, 2 * SLICE, 4 * SLICE).get(20, TimeUnit.SECONDS); // acknowledged
    hooks.crashAt = "beforeMetaRename";
    assertThrows(FileExtentStore.SimulatedCrash.class, store::checkpointNow);
    store.crash(); // the metadata file on disk still says slices 2..5 hold the old bytes
    try (FileExtentStore reopened = open(dir)) {
      byte[] expect = before.clone();
      Arrays.fill(expect, 2 * SLICE, 6 * SLICE, (byte) 0);
      assertArrayEquals(expect, read(reopened, 1, 0, EGROUP), "the old bytes never come back");
      assertEquals(EGROUP - 4 * SLICE, used(reopened));
    }
  }
}
