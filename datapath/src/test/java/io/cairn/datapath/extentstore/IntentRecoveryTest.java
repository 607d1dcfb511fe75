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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash at each point of the write and checkpoint protocols (simulated by a hook that stops the
 * store dead, plus hand-made torn data where a real crash could leave it): after reopening, every
 * slice reads without a checksum error, acknowledged data is intact, and the write's slices hold
 * old, new, or (torn) a mixture of the two.
 */
@Timeout(60)
class IntentRecoveryTest {

  @TempDir Path dir;

  /** The write under test: a partial head slice 1, full slice 2, partial tail slice 3. */
  static final long W_OFFSET = SLICE + 100;
  static final int W_LENGTH = 2 * SLICE - 50;

  final byte[] before = bytes(1, EGROUP); // acknowledged and checkpointed before the crash
  final byte[] w = bytes(2, W_LENGTH);
  final byte[] after = applied(before, W_OFFSET, w);

  static final class CrashHooks implements FileExtentStore.Hooks {
    volatile String crashAt = "";
    volatile Runnable beforeCrash = () -> {};

    private void maybe(String point) {
      if (crashAt.equals(point)) {
        beforeCrash.run();
        throw new FileExtentStore.SimulatedCrash(point);
      }
    }

    @Override
    public void afterIntentDurable(long egroupId, int firstSlice, int count) {
      maybe("afterIntentDurable");
    }

    @Override
    public void afterDataDurable(long egroupId, int firstSlice, int count) {
      maybe("afterDataDurable");
    }

    @Override
    public void beforeMetaRename(long egroupId) {
      maybe("beforeMetaRename");
    }

    @Override
    public void beforeIntentRetire(String diskId) {
      maybe("beforeIntentRetire");
    }
  }

  private FileExtentStore prepare(CrashHooks hooks) throws Exception {
    FileExtentStore store = open(dir, hooks);
    store.create(1, null);
    store.create(2, null);
    write(store, 1, 0, before);
    write(store, 2, 0, bytes(3, 4 * SLICE)); // another egroup, acknowledged
    store.checkpointNow(); // the metadata files hold these checksums
    return store;
  }

  /** Issues the write under test and expects the simulated crash to fail it. */
  private void crashingWrite(FileExtentStore store, long egroup) throws Exception {
    ByteBuf b = Unpooled.wrappedBuffer(w);
    try {
      ExecutionException e = assertThrows(ExecutionException.class, () -> store.write(egroup, W_OFFSET, b).get(20, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof FileExtentStore.SimulatedCrash, String.valueOf(e.getCause()));
    } finally {
      b.release();
    }
  }

  /** After reopening: the other egroup is intact and the store keeps working across another restart. */
  private void assertHealthyAfter(FileExtentStore store) throws Exception {
    assertArrayEquals(bytes(3, 4 * SLICE), read(store, 2, 0, 4 * SLICE));
    write(store, 1, 20 * SLICE, bytes(4, SLICE));
    store.close();
    try (FileExtentStore again = open(dir)) {
      assertArrayEquals(bytes(4, SLICE), read(again, 1, 20 * SLICE, SLICE));
      assertArrayEquals(bytes(3, 4 * SLICE), read(again, 2, 0, 4 * SLICE));
    }
  }

  @Test
  void shouldKeepOldDataWhenCrashingAfterTheIntentBeforeAnyDataIsWritten() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    hooks.crashAt = "afterIntentDurable";
    crashingWrite(store, 1);
    store.crash();
    FileExtentStore reopened = open(dir);
    assertArrayEquals(before, read(reopened, 1, 0, EGROUP));
    assertHealthyAfter(reopened);
  }

  @Test
  void shouldReadATornWriteWithoutChecksumErrorsAndKeepAcknowledgedBytesAroundIt() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    Path data = store.dataFile(1);
    // a torn write: slice 1 completely new, slice 2 only its first 4 sectors new, slice 3 untouched
    hooks.beforeCrash = () -> {
      try {
        writeFileBytes(data, SLICE, Arrays.copyOfRange(after, SLICE, 2 * SLICE));
        writeFileBytes(data, 2 * SLICE, Arrays.copyOfRange(after, 2 * SLICE, 2 * SLICE + 2048));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    hooks.crashAt = "afterIntentDurable";
    crashingWrite(store, 1);
    store.crash();

    FileExtentStore reopened = open(dir);
    byte[] got = read(reopened, 1, 0, EGROUP); // no slice fails its checksum
    byte[] expect = before.clone();
    System.arraycopy(after, SLICE, expect, SLICE, SLICE + 2048);
    assertArrayEquals(expect, got);
    // the bytes of the partial slices outside the write are the acknowledged ones
    assertArrayEquals(Arrays.copyOfRange(before, SLICE, SLICE + 100), Arrays.copyOfRange(got, SLICE, SLICE + 100));
    assertArrayEquals(Arrays.copyOfRange(before, 0, SLICE), Arrays.copyOfRange(got, 0, SLICE));
    assertArrayEquals(Arrays.copyOfRange(before, 3 * SLICE, EGROUP), Arrays.copyOfRange(got, 3 * SLICE, EGROUP));
    assertHealthyAfter(reopened);
  }

  @Test
  void shouldTakeTheNewDataWhenCrashingAfterItIsDurableBeforeTheChecksumsAreUpdated() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    hooks.crashAt = "afterDataDurable";
    crashingWrite(store, 1);
    store.crash();
    FileExtentStore reopened = open(dir);
    assertArrayEquals(after, read(reopened, 1, 0, EGROUP));
    assertHealthyAfter(reopened);
  }

  @Test
  void shouldRecoverAnAcknowledgedWriteWhenTheCheckpointCrashesBeforeTheMetadataRename() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    hooks.crashAt = "beforeMetaRename";
    write(store, 1, W_OFFSET, w); // acknowledged
    Path meta = store.metaFile(1);
    assertThrows(FileExtentStore.SimulatedCrash.class, store::checkpointNow);
    store.crash();
    // the metadata file still holds the old checksum of slice 2; only the journal knows the new one
    assertEquals(crcOf(before, 2), metaCrc(meta, 2));
    assertTrue(Files.exists(meta.resolveSibling(meta.getFileName() + ExtentStoreFormat.TMP_SUFFIX)));

    FileExtentStore reopened = open(dir);
    assertFalse(Files.exists(meta.resolveSibling(meta.getFileName() + ExtentStoreFormat.TMP_SUFFIX)));
    assertArrayEquals(after, read(reopened, 1, 0, EGROUP));
    assertEquals(crcOf(after, 2), metaCrc(meta, 2)); // recovery made it durable
    assertHealthyAfter(reopened);
  }

  @Test
  void shouldRecoverWhenTheCheckpointCrashesBeforeRetiringTheJournal() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    hooks.crashAt = "beforeIntentRetire";
    write(store, 1, W_OFFSET, w);
    assertThrows(FileExtentStore.SimulatedCrash.class, store::checkpointNow);
    store.crash();
    assertTrue(journalBytes() > 0, "the sealed generation must still be there");
    FileExtentStore reopened = open(dir);
    assertArrayEquals(after, read(reopened, 1, 0, EGROUP));
    assertHealthyAfter(reopened);
  }

  @Test
  void shouldIgnoreATornIntentRecordAtTheEndOfTheJournal() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    hooks.crashAt = "beforeMetaRename"; // keep the intent of the acknowledged write unretired
    write(store, 1, W_OFFSET, w);
    assertThrows(FileExtentStore.SimulatedCrash.class, store::checkpointNow);
    store.crash();
    Path journal = newestJournal();
    byte[] j = Files.readAllBytes(journal);
    int firstRecord = ExtentStoreFormat.JOURNAL_HEADER_LENGTH;
    // half of a copy of the first intent, as an append interrupted by the crash would leave it
    byte[] torn = Arrays.copyOfRange(j, firstRecord, firstRecord + ExtentStoreFormat.INTENT_HEADER_LENGTH + 4);
    writeFileBytes(journal, j.length, torn);
    FileExtentStore reopened = open(dir);
    assertArrayEquals(after, read(reopened, 1, 0, EGROUP));
    assertHealthyAfter(reopened);
  }

  @Test
  void shouldLeaveNeverWrittenSlicesUnwrittenWhenTheirFirstWriteCrashedBeforeData() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    store.create(5, null);
    long usedBefore = store.disks().get(0).usedBytes();
    hooks.crashAt = "afterIntentDurable";
    crashingWrite(store, 5);
    store.crash();
    FileExtentStore reopened = open(dir);
    assertArrayEquals(new byte[EGROUP], read(reopened, 5, 0, EGROUP));
    assertEquals(usedBefore, reopened.disks().get(0).usedBytes());
    assertHealthyAfter(reopened);
  }

  @Test
  void shouldReadATornFirstWriteOfFreshSlicesAsTheMixtureOfNewBytesAndZeros() throws Exception {
    CrashHooks hooks = new CrashHooks();
    FileExtentStore store = prepare(hooks);
    store.create(5, null);
    Path data = store.dataFile(5);
    byte[] fresh = applied(new byte[EGROUP], W_OFFSET, w);
    hooks.beforeCrash = () -> {
      try {
        writeFileBytes(data, 2 * SLICE + 512, Arrays.copyOfRange(fresh, 2 * SLICE + 512, 2 * SLICE + 1024));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    hooks.crashAt = "afterIntentDurable";
    crashingWrite(store, 5);
    store.crash();
    FileExtentStore reopened = open(dir);
    byte[] expect = new byte[EGROUP];
    System.arraycopy(fresh, 2 * SLICE + 512, expect, 2 * SLICE + 512, 512);
    assertArrayEquals(expect, read(reopened, 5, 0, EGROUP));
    assertHealthyAfter(reopened);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  static byte[] applied(byte[] base, long offset, byte[] data) {
    byte[] out = base.clone();
    System.arraycopy(data, 0, out, (int) offset, data.length);
    return out;
  }

  static int crcOf(byte[] egroup, int slice) {
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    c.update(egroup, slice * SLICE, SLICE);
    return (int) c.getValue();
  }

  static int metaCrc(Path meta, int slice) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(meta)).order(ByteOrder.LITTLE_ENDIAN);
    return b.getInt(ExtentStoreFormat.META_HEADER_LENGTH + slice * ExtentStoreFormat.META_ENTRY_LENGTH);
  }

  private long journalBytes() throws IOException {
    long n = 0;
    for (Path p : journals()) n += Files.size(p) - ExtentStoreFormat.JOURNAL_HEADER_LENGTH;
    return n;
  }

  private Path newestJournal() throws IOException {
    List<Path> js = journals();
    Path best = null;
    for (Path p : js) if (Files.size(p) > ExtentStoreFormat.JOURNAL_HEADER_LENGTH) best = p;
    return best;
  }

  private List<Path> journals() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("d0").resolve(ExtentStoreFormat.INTENT_DIR))) {
      return s.sorted().toList();
    }
  }
}
