package io.cairn.datapath.extentstore;

import io.cairn.config.DiskSettings;
import io.cairn.config.ExtentStoreSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.datapath.vdisk.VDiskIoException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extent store on local files (formats and directory layout: {@link ExtentStoreFormat}).
 *
 * <h2>Threads</h2>
 *
 * Reads and writes run on the store's I/O pool ({@code cairn-extentstore-io-N}, extent-store.io-threads
 * threads) with positional {@link FileChannel} I/O; a read whose slices are all in the
 * {@link UnifiedCache} completes on the caller's thread without blocking. Each disk has an intent
 * journal thread (group commit), and one checkpointer thread ({@code cairn-extentstore-checkpoint})
 * persists metadata and retires intents. {@link #create} runs on the caller's thread (it creates
 * and forces two small files; egroup creation is rare).
 *
 * <h2>Write protocol and crash safety</h2>
 *
 * <ol>
 *   <li>Take an exclusive hold on the slices (readers of them wait; other slices and egroups go on).
 *   <li>Build the new slices: fully covered slices come straight from the caller's buffer; a
 *       partially covered head or tail slice is read, verified against its checksum, and merged
 *       (read-modify-write). Compute each new slice's CRC32C.
 *   <li>Log an intent {egroup, slice range, new checksums} in the disk's journal and wait until it
 *       is durable. The intent is durable before any data byte is written, otherwise a crash in
 *       the middle of the data write could leave a slice whose bytes match neither its old nor its
 *       new checksum with nothing to tell recovery the slice was being written: it would fail its
 *       checksum forever, i.e. the write would have made its own slices permanently unreadable.
 *   <li>Write the data and force the data file. Only then update the in-memory checksums, so a
 *       checksum never describes bytes that are not yet durable.
 *   <li>Invalidate the slices in the cache, release the hold, complete the future.
 *   <li>At a checkpoint (every second, or when a generation covers 64 MiB) the journal generation
 *       is sealed, its writes are awaited, the metadata file of every egroup it touched is replaced
 *       atomically (temporary file, force, rename, directory force) and only then is the generation
 *       deleted. Deleting it first would let a crash leave old checksums on disk for new data.
 * </ol>
 *
 * On start-up every intent left in the journal is checked slice by slice against the bytes on disk:
 * bytes that match the intent's (or a later intent's) checksum make the metadata take it; bytes that
 * match the metadata's checksum (or a never-written slice still reading zeros) keep it; bytes that
 * match neither are a torn mixture of old and new sectors, which SBC allows for an interrupted
 * write, so the metadata takes the checksum of what is there (logged as a warning). Acknowledged
 * data in other slices is never touched by this: their bytes were not being written. The outcome
 * always describes the bytes on disk, so no slice stays unreadable because of a crash. A slice that
 * reads all zeros under an intent that announced the checksum of zeros (a deallocation, or a write
 * of zeros) becomes unwritten: it reads the same and no longer counts as used. A partially
 * covered slice's torn mixture only mixes old and new versions of the same merged slice, whose bytes
 * outside the write's range are identical in both, so acknowledged bytes around the write survive.
 *
 * <h2>Deallocation</h2>
 *
 * {@link #deallocate} is the write protocol with zeros for the written slices of a range, after
 * which their flags go to unwritten: reads return zeros from the flags, and the disk's used bytes
 * drop. The data file keeps the zeros it was given (Java has no portable hole punching); the file
 * system space comes back when the egroup's files are deleted.
 *
 * <h2>Space</h2>
 *
 * A disk's used bytes are written slices x slice size (taken from the metadata, not the file
 * system; metadata and journal files are not counted). A write that would allocate slices beyond
 * the disk's capacity fails with SPACE_EXHAUSTED before anything is written. Placement takes the
 * online disk with the most free space that can still hold a whole egroup, SSD tier first.
 */
public final class FileExtentStore implements ExtentStore {

  /**
   * Reads at most this long fill the unified cache; longer ones (sequential scans, image copies)
   * are served without caching so that they do not evict the random working set, and without the
   * cost of copying every slice into it.
   */
  static final int CACHE_FILL_MAX_READ_BYTES = 64 << 10;

  private static final Logger LOG = LoggerFactory.getLogger(FileExtentStore.class);

  /** Longest time between checkpoints while intents are pending. */
  static final long CHECKPOINT_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
  /** Slice bytes covered by one journal generation that trigger an early checkpoint. */
  static final long CHECKPOINT_COVERED_BYTES = 64L << 20;

  /** Test hooks at the crash points of the write and checkpoint protocols. */
  interface Hooks {
    Hooks NONE = new Hooks() {};

    default void afterIntentDurable(long egroupId, int firstSlice, int count) {}

    default void afterDataDurable(long egroupId, int firstSlice, int count) {}

    default void beforeMetaRename(long egroupId) {}

    default void beforeIntentRetire(String diskId) {}
  }

  /** Thrown by a test hook to stop the store dead at a crash point (nothing more is written). */
  static final class SimulatedCrash extends Error {
    SimulatedCrash(String where) {
      super("simulated crash " + where, null, false, false);
    }
  }

  private final ExtentStoreSettings settings;
  private final int sliceSize;
  private final int sliceCount;
  private final long egroupSize;
  private final UnifiedCache cache;
  /** CRC32C of a slice of zeros: what a deallocation announces in its intent. */
  private final int zeroSliceCrc;
  private final Hooks hooks;
  private final List<Disk> disks = new ArrayList<>();
  private final Map<String, Disk> disksById = new LinkedHashMap<>();
  private final ConcurrentHashMap<Long, Egroup> egroups = new ConcurrentHashMap<>();
  private final Object createLock = new Object();
  private final Object checkpointMutex = new Object();
  private final ThreadPoolExecutor io;
  private final Thread checkpointer;
  private final ReentrantLock cpLock = new ReentrantLock();
  private final Condition cpWake = cpLock.newCondition();
  private boolean cpRequested; // guarded by cpLock
  private volatile boolean closed;
  /** Test only: set by {@link #crash}; queued I/O fails instead of running. */
  private volatile boolean crashed;

  private FileExtentStore(ExtentStoreSettings settings, UnifiedCache cache, Hooks hooks) {
    this.settings = settings;
    this.sliceSize = settings.sliceSizeBytes();
    this.egroupSize = settings.egroupSizeBytes();
    this.sliceCount = (int) (egroupSize / sliceSize);
    this.cache = cache;
    this.hooks = hooks;
    CRC32C zc = new CRC32C();
    zc.update(new byte[sliceSize]);
    this.zeroSliceCrc = (int) zc.getValue();
    AtomicInteger n = new AtomicInteger();
    this.io = new ThreadPoolExecutor(settings.ioThreads(), settings.ioThreads(), 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "cairn-extentstore-io-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.checkpointer = new Thread(this::checkpointLoop, "cairn-extentstore-checkpoint");
    this.checkpointer.setDaemon(true);
  }

  /**
   * Opens the store on {@code disks}: scans each disk, loads and verifies egroup metadata, recovers
   * unretired intents, and starts the threads. A disk that cannot be used is kept offline (logged).
   */
  public static FileExtentStore open(List<DiskSettings> disks, ExtentStoreSettings settings, UnifiedCache cache) {
    return open(disks, settings, cache, Hooks.NONE);
  }

  static FileExtentStore open(List<DiskSettings> disks, ExtentStoreSettings settings, UnifiedCache cache, Hooks hooks) {
    FileExtentStore store = new FileExtentStore(settings, cache, hooks);
    for (DiskSettings ds : disks) {
      Disk d = new Disk(ds);
      if (store.disksById.putIfAbsent(d.id, d) != null) throw new IllegalArgumentException("duplicate disk id " + d.id);
      store.disks.add(d);
      store.openDisk(d);
    }
    store.checkpointer.start();
    return store;
  }

  // ==== ExtentStore ===============================================================================

  @Override
  public String create(long egroupId, String diskId) {
    synchronized (createLock) {
      Egroup existing = egroups.get(egroupId);
      if (existing != null) return existing.disk.id;
      if (closed) throw new VDiskIoException(Kind.NOT_READY, "extent store closed");
      Disk d;
      if (diskId == null) {
        d = place();
      } else {
        d = disksById.get(diskId);
        if (d == null) throw new IllegalArgumentException("unknown disk " + diskId);
        if (!d.online) throw new VDiskIoException(Kind.NOT_READY, "disk " + diskId + " is offline");
        if (d.free() < egroupSize) {
          throw new VDiskIoException(Kind.SPACE_EXHAUSTED, "disk " + diskId + " cannot hold another extent group");
        }
      }
      Egroup eg = new Egroup(egroupId, d, sliceCount);
      try {
        // metadata first, then the data file, then the directory: the egroup exists after a crash
        // only if both files do (a data file without metadata is taken as never written)
        writeMetaFile(eg, eg.crcs, eg.written);
        createSparseDataFile(eg);
        FileUtil.fsyncDir(eg.dir);
      } catch (IOException e) {
        LOG.error("cannot create {}: {}", eg, e.toString());
        throw new VDiskIoException(Kind.WRITE_ERROR, "cannot create extent group " + ExtentStoreFormat.hex(egroupId), e);
      }
      egroups.put(egroupId, eg);
      d.egroups.incrementAndGet();
      return d.id;
    }
  }

  @Override
  public boolean contains(long egroupId) {
    Egroup eg = egroups.get(egroupId);
    return eg != null && !eg.deleted;
  }

  @Override
  public CompletableFuture<ByteBuf> read(long egroupId, long offset, int length) {
    if (offset < 0 || length < 0 || offset + length > egroupSize) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.LBA_OUT_OF_RANGE,
          "read [" + offset + ", +" + length + ") outside extent group of " + egroupSize + " bytes"));
    }
    Egroup eg = egroups.get(egroupId);
    if (eg == null || eg.deleted) return CompletableFuture.failedFuture(notHere(egroupId));
    if (length == 0) return CompletableFuture.completedFuture(Unpooled.EMPTY_BUFFER);
    ByteBuf fromCache = readFromCache(eg, offset, length);
    if (fromCache != null) return CompletableFuture.completedFuture(fromCache);
    return onIoThread(() -> doRead(eg, offset, length));
  }

  @Override
  public CompletableFuture<Void> write(long egroupId, long offset, ByteBuf data) {
    int length = data.readableBytes();
    if (offset < 0 || offset + length > egroupSize) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.LBA_OUT_OF_RANGE,
          "write [" + offset + ", +" + length + ") outside extent group of " + egroupSize + " bytes"));
    }
    Egroup eg = egroups.get(egroupId);
    if (eg == null || eg.deleted) return CompletableFuture.failedFuture(notHere(egroupId));
    if (length == 0) return CompletableFuture.completedFuture(null);
    return onIoThread(() -> {
      doWrite(eg, offset, data);
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> deallocate(long egroupId, long offset, long length) {
    if (offset < 0 || length < 0 || offset + length > egroupSize || offset % sliceSize != 0 || length % sliceSize != 0) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "deallocate [" + offset + ", +" + length + ") is not whole slices of an extent group of " + egroupSize + " bytes"));
    }
    Egroup eg = egroups.get(egroupId);
    if (eg == null || eg.deleted) return CompletableFuture.failedFuture(notHere(egroupId));
    if (length == 0) return CompletableFuture.completedFuture(null);
    int first = (int) (offset / sliceSize);
    int end = (int) ((offset + length) / sliceSize);
    // The written flags are looked at under the slices' exclusive hold, on an I/O thread: a write
    // in flight to them finishes first, and then its slices are deallocated too.
    return onIoThread(() -> {
      doDeallocate(eg, first, end);
      return null;
    });
  }

  @Override
  public java.util.BitSet written(long egroupId, long offset, long length) {
    java.util.BitSet out = new java.util.BitSet();
    Egroup eg = egroups.get(egroupId);
    if (eg == null || eg.deleted || length <= 0 || offset < 0 || offset >= egroupSize) return out;
    int first = (int) (offset / sliceSize);
    int end = (int) Math.min(sliceCount, (Math.min(offset + length, egroupSize) + sliceSize - 1) / sliceSize);
    for (int s = first; s < end; s++) {
      if (eg.written[s] != 0) out.set(s - first);
    }
    return out;
  }

  @Override
  public CompletableFuture<Void> delete(long egroupId) {
    Egroup eg = egroups.get(egroupId);
    if (eg == null) return CompletableFuture.completedFuture(null);
    return onIoThread(() -> {
      doDelete(eg);
      return null;
    });
  }

  @Override
  public List<Long> egroupIds() {
    List<Long> ids = new ArrayList<>();
    for (Egroup eg : egroups.values()) if (!eg.deleted) ids.add(eg.id);
    return ids;
  }

  @Override
  public CompletableFuture<Boolean> deleteIfIdle(long egroupId, java.time.Duration idle) {
    Egroup eg = egroups.get(egroupId);
    if (eg == null || eg.deleted) return CompletableFuture.completedFuture(false);
    return onIoThread(() -> {
      // Under the whole-egroup hold: a write of it either finished (and stamped it) or waits, and
      // then finds the egroup gone.
      SliceRangeLock.Hold hold = eg.lock.acquire(0, sliceCount, true);
      try {
        if (eg.deleted || System.currentTimeMillis() - eg.changedAtMs < idle.toMillis()) return false;
        doDeleteHeld(eg);
        return true;
      } finally {
        eg.lock.release(hold);
      }
    });
  }

  @Override
  public CompletableFuture<java.util.BitSet> verify(long egroupId, long offset, long length) {
    if (offset < 0 || length < 0 || offset + length > egroupSize) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.LBA_OUT_OF_RANGE,
          "verify [" + offset + ", +" + length + ") outside extent group of " + egroupSize + " bytes"));
    }
    Egroup eg = egroups.get(egroupId);
    if (eg == null || eg.deleted) return CompletableFuture.failedFuture(notHere(egroupId));
    return onIoThread(() -> doVerify(eg, (int) (offset / sliceSize), (int) ((offset + length + sliceSize - 1) / sliceSize)));
  }

  @Override
  public int pendingIo() {
    return io.getQueue().size() + io.getActiveCount();
  }

  /** A blocking step of the store, run on its I/O pool. */
  @FunctionalInterface
  private interface IoStep<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code step} on an I/O thread; the future fails with a {@link VDiskIoException} (NOT_READY
   * once the store is closed or crashed), or with the test's {@link SimulatedCrash} as it is.
   */
  private <T> CompletableFuture<T> onIoThread(IoStep<T> step) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      io.execute(() -> {
        if (crashed) {
          f.completeExceptionally(new VDiskIoException(Kind.NOT_READY, "extent store crashed"));
          return;
        }
        try {
          f.complete(step.run());
        } catch (Throwable t) {
          f.completeExceptionally(t instanceof SimulatedCrash ? t : VDiskIoException.of(t));
        }
      });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new VDiskIoException(Kind.NOT_READY, "extent store closed"));
    }
    return f;
  }

  @Override
  public List<DiskUsage> disks() {
    List<DiskUsage> out = new ArrayList<>(disks.size());
    for (Disk d : disks) {
      out.add(new DiskUsage(d.id, d.tier(), d.root.toString(), d.capacity(), d.usedBytes.get(), d.egroups.get(), d.online));
    }
    return out;
  }

  /** Stops taking I/O, finishes the I/O in progress, checkpoints every disk, stops the threads. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    io.shutdown();
    awaitQuietly(io);
    stopCheckpointer();
    for (Disk d : disks) {
      if (!d.online) continue;
      try {
        checkpoint(d);
      } catch (IOException | RuntimeException e) {
        LOG.error("final checkpoint of disk {} failed; its intents will be recovered at the next start", d.id, e);
      }
      d.journal.close();
    }
    for (Egroup eg : egroups.values()) eg.closeChannel();
  }

  /**
   * Test only: stops dead, as a crash would: no checkpoint, no metadata written; whatever the
   * files hold now is what the next {@link #open} finds.
   */
  void crash() {
    crashed = true;
    closed = true;
    io.shutdown(); // no interrupts: an interrupted FileChannel op would close the egroup's channel
    awaitQuietly(io);
    for (Disk d : disks) if (d.journal != null) d.journal.close();
    stopCheckpointer();
    for (Egroup eg : egroups.values()) eg.closeChannel();
  }

  /** Test only: runs a checkpoint of every disk now, on the calling thread. */
  void checkpointNow() throws IOException {
    for (Disk d : disks) if (d.online) checkpoint(d);
  }

  /** Test only: group commits of a disk's intent journal. */
  long intentCommits(String diskId) {
    return disksById.get(diskId).journal.commits();
  }

  /** Test only: where an egroup's files are. */
  Path dataFile(long egroupId) {
    return egroups.get(egroupId).dataPath;
  }

  Path metaFile(long egroupId) {
    return egroups.get(egroupId).metaPath;
  }

  int sliceSize() {
    return sliceSize;
  }

  // ==== placement =================================================================================

  private Disk place() {
    for (boolean ssd : new boolean[] {true, false}) {
      Disk best = null;
      for (Disk d : disks) {
        if (!d.online || d.ssd() != ssd || d.free() < egroupSize) continue;
        if (best == null || d.free() > best.free()) best = d;
      }
      if (best != null) return best;
    }
    throw new VDiskIoException(Kind.SPACE_EXHAUSTED, "no online disk can hold another extent group of " + egroupSize + " bytes");
  }

  // ==== read path =================================================================================

  /** Serves a read entirely from the cache (caller's thread, no lock), or returns null. */
  private ByteBuf readFromCache(Egroup eg, long offset, int length) {
    if (!cache.enabled() || eg.failure != null) return null;
    int first = (int) (offset / sliceSize);
    int end = (int) ((offset + length + sliceSize - 1) / sliceSize);
    byte[][] slices = new byte[end - first][];
    for (int s = first; s < end; s++) {
      byte[] b = cache.peek(eg.id, s);
      if (b == null) return null;
      slices[s - first] = b;
    }
    cache.recordHits(end - first);
    ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
    for (int s = first; s < end; s++) copySlicePart(slices[s - first], s, offset, length, out);
    out.writerIndex(length);
    return out;
  }

  /** Copies the part of slice {@code s} (bytes {@code src}) that falls in the read into {@code out}. */
  private void copySlicePart(byte[] src, int s, long offset, int length, ByteBuf out) {
    long sliceStart = (long) s * sliceSize;
    long from = Math.max(sliceStart, offset);
    long to = Math.min(sliceStart + sliceSize, offset + length);
    out.setBytes((int) (from - offset), src, (int) (from - sliceStart), (int) (to - from));
  }

  private ByteBuf doRead(Egroup eg, long offset, int length) throws IOException {
    int first = (int) (offset / sliceSize);
    int end = (int) ((offset + length + sliceSize - 1) / sliceSize);
    SliceRangeLock.Hold hold = eg.lock.acquire(first, end, false);
    try {
      checkUsable(eg);
      ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
      boolean ok = false;
      try {
        CRC32C crc = new CRC32C();
        int s = first;
        while (s < end) {
          if (eg.written[s] == 0) {
            long sliceStart = (long) s * sliceSize;
            long from = Math.max(sliceStart, offset);
            long to = Math.min(sliceStart + sliceSize, offset + length);
            out.setZero((int) (from - offset), (int) (to - from));
            s++;
            continue;
          }
          byte[] cached = cache.get(eg.id, s);
          if (cached != null) {
            copySlicePart(cached, s, offset, length, out);
            s++;
            continue;
          }
          int runEnd = s + 1;
          while (runEnd < end && eg.written[runEnd] != 0 && cache.peek(eg.id, runEnd) == null) runEnd++;
          cache.recordMisses(runEnd - s - 1);
          readRun(eg, s, runEnd, offset, length, out, crc);
          s = runEnd;
        }
        out.writerIndex(length);
        ok = true;
        return out;
      } finally {
        if (!ok) out.release();
      }
    } finally {
      eg.lock.release(hold);
    }
  }

  /**
   * Reads written slices {@code [s, runEnd)} with one positional read, verifies each against its
   * checksum, caches them, and copies the requested part into {@code out}. When the run lies wholly
   * inside the request it is read straight into {@code out}. Hold on the slices held.
   */
  private void readRun(Egroup eg, int s, int runEnd, long offset, int length, ByteBuf out, CRC32C crc) throws IOException {
    long runStart = (long) s * sliceSize;
    int runBytes = (runEnd - s) * sliceSize;
    boolean inside = runStart >= offset && runStart + runBytes <= offset + length;
    ByteBuf tmp = inside ? null : PooledByteBufAllocator.DEFAULT.directBuffer(runBytes, runBytes);
    try {
      ByteBuffer target = inside ? out.nioBuffer((int) (runStart - offset), runBytes) : tmp.nioBuffer(0, runBytes);
      try {
        FileUtil.readFully(eg.channel(), target, runStart);
      } catch (IOException e) {
        LOG.error("read of {} slices [{}, {}) failed: {}", eg, s, runEnd, e.toString());
        throw new VDiskIoException(Kind.UNRECOVERED_READ_ERROR, "read of " + eg + " failed: " + e.getMessage(), e);
      }
      for (int i = s; i < runEnd; i++) {
        int at = (i - s) * sliceSize;
        target.limit(at + sliceSize).position(at);
        crc.reset();
        crc.update(target);
        int actual = (int) crc.getValue();
        if (actual != eg.crcs[i]) {
          LOG.error("checksum mismatch: {} slice {} (disk {}, {}): expected {}, found {}; data not returned",
              eg, i, eg.disk.id, eg.dataPath, Integer.toHexString(eg.crcs[i]), Integer.toHexString(actual));
          throw new VDiskIoException(Kind.UNRECOVERED_READ_ERROR,
              "extent group " + ExtentStoreFormat.hex(eg.id) + " slice " + i + " fails its checksum");
        }
        if (cache.enabled() && length <= CACHE_FILL_MAX_READ_BYTES) {
          byte[] copy = new byte[sliceSize];
          target.position(at);
          target.get(copy);
          cache.put(eg.id, i, copy);
        }
      }
      if (!inside) {
        long from = Math.max(runStart, offset);
        long to = Math.min(runStart + runBytes, offset + length);
        out.setBytes((int) (from - offset), tmp, (int) (from - runStart), (int) (to - from));
      }
    } finally {
      if (tmp != null) tmp.release();
    }
  }

  /** Checks written slices {@code [first, end)} on the medium, under a shared hold; returns the bad ones. */
  private java.util.BitSet doVerify(Egroup eg, int first, int end) throws IOException {
    java.util.BitSet bad = new java.util.BitSet();
    SliceRangeLock.Hold hold = eg.lock.acquire(first, end, false);
    try {
      checkUsable(eg);
      ByteBuffer b = ByteBuffer.allocate(sliceSize);
      CRC32C crc = new CRC32C();
      for (int s = first; s < end; s++) {
        if (eg.written[s] == 0) continue;
        b.clear();
        try {
          FileUtil.readFully(eg.channel(), b, (long) s * sliceSize);
        } catch (IOException e) {
          LOG.error("scrub read of {} slice {} failed: {}", eg, s, e.toString());
          bad.set(s - first);
          continue;
        }
        b.flip();
        crc.reset();
        crc.update(b);
        int actual = (int) crc.getValue();
        if (actual != eg.crcs[s]) {
          LOG.error("scrub: checksum mismatch: {} slice {} (disk {}, {}): expected {}, found {}", eg, s, eg.disk.id,
              eg.dataPath, Integer.toHexString(eg.crcs[s]), Integer.toHexString(actual));
          bad.set(s - first);
          cache.invalidate(eg.id, s, s + 1);
        }
      }
      return bad;
    } finally {
      eg.lock.release(hold);
    }
  }

  /** Reads one written slice and verifies it (hold on the slice held); for read-modify-write. */
  private ByteBuffer readVerifiedSlice(Egroup eg, int s) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(sliceSize);
    if (eg.written[s] == 0) return b; // a hole reads as zeros
    byte[] cached = cache.get(eg.id, s);
    if (cached != null) return b.put(cached).flip();
    FileUtil.readFully(eg.channel(), b, (long) s * sliceSize);
    b.flip();
    CRC32C crc = new CRC32C();
    crc.update(b.duplicate());
    if ((int) crc.getValue() != eg.crcs[s]) {
      LOG.error("checksum mismatch: {} slice {} (disk {}) before a partial write; write refused", eg, s, eg.disk.id);
      throw new VDiskIoException(Kind.UNRECOVERED_READ_ERROR,
          "extent group " + ExtentStoreFormat.hex(eg.id) + " slice " + s + " fails its checksum");
    }
    return b;
  }

  // ==== write path ================================================================================

  private void doWrite(Egroup eg, long offset, ByteBuf data) throws IOException {
    final int S = sliceSize;
    final int length = data.readableBytes();
    final long writeEnd = offset + length;
    final int first = (int) (offset / S);
    final int end = (int) ((writeEnd + S - 1) / S);
    final int count = end - first;
    SliceRangeLock.Hold hold = eg.lock.acquire(first, end, true);
    eg.changedAtMs = System.currentTimeMillis();
    try {
      checkUsable(eg);
      boolean[] fresh = new boolean[count];
      int freshCount = 0;
      for (int i = 0; i < count; i++) {
        if (eg.written[first + i] == 0) {
          fresh[i] = true;
          freshCount++;
        }
      }
      long reserved = (long) freshCount * S;
      if (reserved > 0 && !eg.disk.reserve(reserved)) {
        throw new VDiskIoException(Kind.SPACE_EXHAUSTED, "disk " + eg.disk.id + " is full");
      }
      boolean spaceSettled = false;
      try {
        ByteBuffer src = (data.nioBufferCount() == 1 ? data.nioBuffer() : copyToDirect(data)).slice();
        long firstStart = (long) first * S;
        boolean headPartial = offset != firstStart || (count == 1 && writeEnd != firstStart + S);
        boolean tailPartial = count > 1 && writeEnd != (long) end * S;
        ByteBuffer head = null;
        ByteBuffer tail = null;
        if (headPartial) {
          head = readVerifiedSlice(eg, first);
          int skip = (int) (offset - firstStart);
          int n = Math.min(length, S - skip);
          head.put(skip, src, 0, n);
        }
        if (tailPartial) {
          tail = readVerifiedSlice(eg, end - 1);
          int fromSrc = (int) ((long) (end - 1) * S - offset);
          tail.put(0, src, fromSrc, length - fromSrc);
        }
        int midFirst = headPartial ? first + 1 : first;
        int midEnd = tailPartial ? end - 1 : end;
        ByteBuffer mid = null;
        if (midFirst < midEnd) {
          mid = src.duplicate();
          mid.limit((int) ((long) midEnd * S - offset)).position((int) ((long) midFirst * S - offset));
        }
        int[] newCrcs = new int[count];
        CRC32C crc = new CRC32C();
        if (head != null) newCrcs[0] = crc(crc, head, 0, S);
        if (tail != null) newCrcs[count - 1] = crc(crc, tail, 0, S);
        for (int s = midFirst; s < midEnd; s++) {
          newCrcs[s - first] = crc(crc, mid, mid.position() + (s - midFirst) * S, S);
        }

        IntentJournal.Generation gen;
        try {
          gen = eg.disk.journal.log(eg, first, newCrcs, count); // durable before any data byte moves
        } catch (IOException e) {
          throw new VDiskIoException(Kind.WRITE_ERROR, "intent journal of disk " + eg.disk.id + " failed", e);
        }
        hooks.afterIntentDurable(eg.id, first, count);
        try {
          FileChannel ch = eg.channel();
          if (head != null) FileUtil.writeFully(ch, head.clear(), firstStart);
          if (mid != null) FileUtil.writeFully(ch, mid, (long) midFirst * S);
          if (tail != null) FileUtil.writeFully(ch, tail.clear(), (long) (end - 1) * S);
          ch.force(false);
          hooks.afterDataDurable(eg.id, first, count);
          // the bytes are durable: the checksums may now describe them
          System.arraycopy(newCrcs, 0, eg.crcs, first, count);
          for (int i = first; i < end; i++) eg.written[i] = 1;
          spaceSettled = true;
        } catch (IOException | RuntimeException | Error e) {
          if (e instanceof SimulatedCrash) throw e; // the test's crash: nothing more happens
          // The slices now hold old, new or torn bytes: make the checksums describe them, so the
          // intent can be retired without leaving an unreadable slice behind.
          LOG.error("write of {} slices [{}, {}) failed; reconciling metadata with the disk", eg, first, end, e);
          reconcile(eg, first, end, newCrcs);
          settleSpace(eg, first, fresh, reserved);
          spaceSettled = true;
          cache.invalidate(eg.id, first, end);
          eg.disk.journal.done(gen);
          throw new VDiskIoException(Kind.WRITE_ERROR, "write to " + eg + " failed: " + e, e);
        }
        cache.invalidate(eg.id, first, end);
        eg.disk.journal.done(gen);
      } finally {
        if (!spaceSettled && reserved > 0) eg.disk.unreserve(reserved);
      }
    } finally {
      eg.lock.release(hold);
    }
  }

  /** A zero-filled buffer that deallocations write from (read-only views only). */
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(256 << 10).asReadOnlyBuffer();

  /**
   * Deallocates the written slices of {@code [first, end)}. The protocol is the write protocol with
   * zeros as the new bytes: an intent announcing the checksum of a zero slice for the written span
   * is durable before any byte moves, then the written slices are overwritten with zeros and forced,
   * and only then do their flags go to unwritten and their space back to the disk. Recovery treats a
   * slice that reads all zeros, under an intent that announced zeros, as unwritten again (see
   * {@link #reconcileSlices}), so a crash at any point leaves each slice with its old bytes (and
   * checksum) or deallocated. Writing zeros rather than only dropping the flag is what makes that
   * true: a dropped flag alone would let the old bytes come back from an older metadata file.
   * Slices never written are left alone (they are holes already).
   */
  private void doDeallocate(Egroup eg, int first, int end) throws IOException {
    final int S = sliceSize;
    SliceRangeLock.Hold hold = eg.lock.acquire(first, end, true);
    eg.changedAtMs = System.currentTimeMillis();
    try {
      checkUsable(eg);
      int lo = -1;
      int hi = -1;
      for (int s = first; s < end; s++) {
        if (eg.written[s] != 0) {
          if (lo < 0) lo = s;
          hi = s + 1;
        }
      }
      if (lo < 0) return;
      int count = hi - lo;
      boolean[] was = new boolean[count];
      for (int i = 0; i < count; i++) was[i] = eg.written[lo + i] != 0;
      int[] zeroCrcs = new int[count];
      java.util.Arrays.fill(zeroCrcs, zeroSliceCrc);
      IntentJournal.Generation gen;
      try {
        gen = eg.disk.journal.log(eg, lo, zeroCrcs, count); // durable before any data byte moves
      } catch (IOException e) {
        throw new VDiskIoException(Kind.WRITE_ERROR, "intent journal of disk " + eg.disk.id + " failed", e);
      }
      hooks.afterIntentDurable(eg.id, lo, count);
      try {
        FileChannel ch = eg.channel();
        int s = lo;
        while (s < hi) {
          if (!was[s - lo]) {
            s++;
            continue;
          }
          int runEnd = s + 1;
          while (runEnd < hi && was[runEnd - lo]) runEnd++;
          long pos = (long) s * S;
          long stop = (long) runEnd * S;
          while (pos < stop) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit((int) Math.min(z.capacity(), stop - pos));
            FileUtil.writeFully(ch, z, pos);
            pos += z.limit();
          }
          s = runEnd;
        }
        ch.force(false);
        hooks.afterDataDurable(eg.id, lo, count);
        long freed = 0;
        for (int i = 0; i < count; i++) {
          if (!was[i]) continue;
          eg.written[lo + i] = 0;
          eg.crcs[lo + i] = 0;
          freed += S;
        }
        eg.disk.unreserve(freed);
      } catch (IOException | RuntimeException | Error e) {
        if (e instanceof SimulatedCrash) throw e;
        LOG.error("deallocation of {} slices [{}, {}) failed; reconciling metadata with the disk", eg, lo, hi, e);
        reconcile(eg, lo, hi, zeroCrcs);
        long freed = 0;
        for (int i = 0; i < count; i++) if (was[i] && eg.written[lo + i] == 0) freed += S;
        eg.disk.unreserve(freed);
        cache.invalidate(eg.id, lo, hi);
        eg.disk.journal.done(gen);
        throw new VDiskIoException(Kind.WRITE_ERROR, "deallocation in " + eg + " failed: " + e, e);
      }
      cache.invalidate(eg.id, lo, hi);
      eg.disk.journal.done(gen);
    } finally {
      eg.lock.release(hold);
    }
  }

  /** After a failed write: gives back the space of fresh slices that did not end up written. */
  private void settleSpace(Egroup eg, int first, boolean[] fresh, long reserved) {
    long keep = 0;
    for (int i = 0; i < fresh.length; i++) if (fresh[i] && eg.written[first + i] != 0) keep += sliceSize;
    eg.disk.unreserve(reserved - keep);
  }

  /** (Re)creates the data file as one hole of egroup-size bytes: reads zeros, takes no space. */
  private void createSparseDataFile(Egroup eg) throws IOException {
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(eg.dataPath.toFile(), "rw")) {
      raf.setLength(0); // a leftover file's bytes must not show through
      raf.setLength(egroupSize);
      raf.getChannel().force(true);
    }
  }

  private static ByteBuffer copyToDirect(ByteBuf data) {
    ByteBuffer b = ByteBuffer.allocateDirect(data.readableBytes());
    data.getBytes(data.readerIndex(), b);
    return b.flip();
  }

  private static int crc(CRC32C crc, ByteBuffer b, int at, int len) {
    ByteBuffer d = b.duplicate();
    d.limit(at + len).position(at);
    crc.reset();
    crc.update(d);
    return (int) crc.getValue();
  }

  /**
   * Makes the metadata of slices {@code [first, end)} describe the bytes on disk, given the
   * checksums an intent announced for them (the recovery rule, also used after a failed write in
   * the running process). Returns whether anything changed. Exclusive hold (or start-up) required.
   */
  private boolean reconcile(Egroup eg, int first, int end, int[] candidates) {
    Map<Integer, int[]> perSlice = new HashMap<>();
    for (int s = first; s < end; s++) perSlice.put(s, new int[] {candidates[s - first]});
    try {
      return reconcileSlices(eg, perSlice);
    } catch (IOException e) {
      eg.failure = "slices [" + first + ", " + end + ") unreadable after a failed write: " + e;
      LOG.error("{}: {}; the egroup is failed", eg, eg.failure);
      return true;
    }
  }

  private boolean reconcileSlices(Egroup eg, Map<Integer, int[]> candidates) throws IOException {
    boolean changed = false;
    ByteBuffer b = ByteBuffer.allocateDirect(sliceSize);
    CRC32C crc = new CRC32C();
    FileChannel ch = eg.channel();
    for (Map.Entry<Integer, int[]> e : new TreeMap<>(candidates).entrySet()) {
      int s = e.getKey();
      b.clear();
      long pos = (long) s * sliceSize;
      while (b.hasRemaining()) {
        int n = ch.read(b, pos);
        if (n < 0) break; // beyond the end of the file: zeros
        pos += n;
      }
      while (b.hasRemaining()) b.put((byte) 0);
      b.flip();
      crc.reset();
      crc.update(b.duplicate());
      int actual = (int) crc.getValue();
      if (eg.written[s] != 0 && actual == eg.crcs[s]) continue; // old bytes: keep
      if (eg.written[s] == 0 && isZero(b)) continue; // never written, still a hole: keep
      boolean announced = false;
      for (int c : e.getValue()) announced |= c == actual;
      if (announced && actual == zeroSliceCrc && isZero(b)) {
        // Zeros that an intent announced: a deallocation (or a write of zeros) reached the disk.
        // The slice reads the same as a hole, so it becomes one and stops counting as used.
        if (eg.written[s] != 0) changed = true;
        eg.written[s] = 0;
        eg.crcs[s] = 0;
        continue;
      }
      if (!announced) {
        LOG.warn("{} slice {}: bytes match neither the old nor the new checksum (torn write); taking what is on disk",
            eg, s);
      }
      eg.crcs[s] = actual;
      eg.written[s] = 1;
      changed = true;
    }
    return changed;
  }

  private static boolean isZero(ByteBuffer b) {
    for (int i = b.position(); i < b.limit(); i += 8) {
      if (i + 8 <= b.limit() ? b.getLong(i) != 0 : b.get(i) != 0) return false;
    }
    return true;
  }

  // ==== delete ====================================================================================

  private void doDelete(Egroup eg) throws IOException {
    SliceRangeLock.Hold hold = eg.lock.acquire(0, sliceCount, true);
    try {
      doDeleteHeld(eg);
    } finally {
      eg.lock.release(hold);
    }
  }

  /** Deletes the egroup's files; the caller holds every slice of it exclusively. */
  private void doDeleteHeld(Egroup eg) throws IOException {
    synchronized (createLock) {
      synchronized (eg.fileLock) {
        if (eg.deleted) return;
        eg.deleted = true;
      }
      eg.closeChannel();
      Files.deleteIfExists(eg.metaPath);
      Files.deleteIfExists(eg.dataPath);
      Files.deleteIfExists(tmpPath(eg));
      FileUtil.fsyncDir(eg.dir);
      cache.invalidate(eg.id, 0, sliceCount);
      egroups.remove(eg.id, eg);
      eg.disk.unreserve((long) eg.writtenSlices() * sliceSize);
      eg.disk.egroups.decrementAndGet();
    }
  }

  // ==== metadata files and checkpoints ============================================================

  private static Path tmpPath(Egroup eg) {
    return eg.metaPath.resolveSibling(eg.metaPath.getFileName() + ExtentStoreFormat.TMP_SUFFIX);
  }

  /** Replaces the metadata file atomically with the given state (directory not forced). */
  private void writeMetaFile(Egroup eg, int[] crcs, byte[] written) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(ExtentStoreFormat.metaFileLength(sliceCount)).order(ByteOrder.LITTLE_ENDIAN);
    ExtentStoreFormat.encodeMeta(b, eg.id, sliceSize, crcs, written);
    Path tmp = tmpPath(eg);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      FileUtil.writeFully(ch, b, 0);
      ch.force(true);
    }
    hooks.beforeMetaRename(eg.id);
    Files.move(tmp, eg.metaPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Persists an egroup's in-memory metadata (checkpointer). The snapshot is taken under a shared
   * hold of every slice, so it holds only checksums of durable bytes; the file is replaced under
   * {@link Egroup#fileLock} so a deleted egroup's file is never recreated. Returns false when the
   * egroup is gone or failed (nothing written).
   */
  private boolean persistMeta(Egroup eg) throws IOException {
    int[] crcs;
    byte[] written;
    SliceRangeLock.Hold hold = eg.lock.acquire(0, sliceCount, false);
    try {
      if (eg.deleted || eg.failure != null) return false;
      crcs = eg.crcs.clone();
      written = eg.written.clone();
    } finally {
      eg.lock.release(hold);
    }
    synchronized (eg.fileLock) {
      if (eg.deleted) return false;
      writeMetaFile(eg, crcs, written);
      return true;
    }
  }

  /**
   * Seals the disk's active intent generation and retires every sealed one: waits for its writes,
   * makes the metadata of every egroup it touched durable, and only then deletes it.
   */
  private void checkpoint(Disk d) throws IOException {
    synchronized (checkpointMutex) {
      for (IntentJournal.Generation g : d.journal.seal()) {
        if (!d.journal.awaitQuiescent(g)) return;
        HashSet<Path> dirs = new HashSet<>();
        for (Egroup eg : g.dirty) {
          if (persistMeta(eg)) dirs.add(eg.dir);
        }
        for (Path dir : dirs) FileUtil.fsyncDir(dir);
        hooks.beforeIntentRetire(d.id);
        d.journal.retire(g);
      }
    }
  }

  private void checkpointLoop() {
    long last = System.nanoTime();
    while (!closed) {
      cpLock.lock();
      try {
        long wait = CHECKPOINT_INTERVAL_NS - (System.nanoTime() - last);
        while (!cpRequested && !closed && wait > 0) {
          try {
            wait = cpWake.awaitNanos(wait);
          } catch (InterruptedException e) {
            return;
          }
        }
        cpRequested = false;
      } finally {
        cpLock.unlock();
      }
      if (closed) return;
      last = System.nanoTime();
      for (Disk d : disks) {
        if (!d.online) continue;
        try {
          checkpoint(d);
        } catch (SimulatedCrash c) {
          return;
        } catch (IOException | RuntimeException e) {
          LOG.error("checkpoint of disk {} failed; retrying", d.id, e);
        }
      }
    }
  }

  private void requestCheckpoint() {
    cpLock.lock();
    try {
      cpRequested = true;
      cpWake.signal();
    } finally {
      cpLock.unlock();
    }
  }

  private void stopCheckpointer() {
    cpLock.lock();
    try {
      cpWake.signal();
    } finally {
      cpLock.unlock();
    }
    checkpointer.interrupt();
    boolean interrupted = false;
    while (checkpointer.isAlive()) {
      try {
        checkpointer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  // ==== start-up ==================================================================================

  private void openDisk(Disk d) {
    try {
      Files.createDirectories(d.root);
      if (!checkDiskId(d)) return;
      // all 256 fan-out directories exist (durably) before any egroup file goes into one
      boolean created = !Files.isDirectory(d.egroupRoot);
      Files.createDirectories(d.egroupRoot);
      for (int i = 0; i < 256; i++) {
        Path sub = d.egroupRoot.resolve(String.format("%02x", i));
        if (!Files.isDirectory(sub)) {
          Files.createDirectory(sub);
          created = true;
        }
      }
      if (created) {
        FileUtil.fsyncDir(d.egroupRoot);
        FileUtil.fsyncDir(d.root);
      }
      List<Egroup> loaded = scan(d);
      d.journal = new IntentJournal(d.intentDir, d.id, sliceSize, sliceCount, CHECKPOINT_COVERED_BYTES, this::requestCheckpoint);
      recover(d, d.journal.recover());
      d.journal.deleteRecovered();
      d.journal.start();
      long used = 0;
      for (Egroup eg : loaded) used += (long) eg.writtenSlices() * sliceSize;
      d.usedBytes.set(used);
      d.egroups.set(loaded.size());
      d.online = true;
      LOG.info("disk {} ({}, {}): {} extent groups, {} bytes used of {}", d.id, d.tier(), d.root, loaded.size(), used, d.capacity());
    } catch (IOException | RuntimeException e) {
      LOG.error("disk {} at {} cannot be used; it stays offline", d.id, d.root, e);
      d.online = false;
      egroups.values().removeIf(eg -> eg.disk == d); // their metadata may not describe their data
    }
  }

  /** The disk directory must be this disk's: a {@code disk.id} holding another id keeps it offline. */
  private boolean checkDiskId(Disk d) throws IOException {
    Path idFile = d.root.resolve(ExtentStoreFormat.DISK_ID_FILE);
    if (Files.exists(idFile)) {
      String found = Files.readString(idFile, StandardCharsets.UTF_8).trim();
      if (!found.equals(d.id)) {
        LOG.error("disk {} at {} belongs to disk '{}'; kept offline", d.id, d.root, found);
        return false;
      }
      return true;
    }
    Path tmp = d.root.resolve(ExtentStoreFormat.DISK_ID_FILE + ExtentStoreFormat.TMP_SUFFIX);
    Files.writeString(tmp, d.id + "\n", StandardCharsets.UTF_8);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, idFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    FileUtil.fsyncDir(d.root);
    return true;
  }

  /** Finds the disk's egroups and loads their metadata. */
  private List<Egroup> scan(Disk d) throws IOException {
    List<Egroup> out = new ArrayList<>();
    try (DirectoryStream<Path> fanout = Files.newDirectoryStream(d.egroupRoot)) {
      for (Path sub : fanout) {
        if (!Files.isDirectory(sub)) continue;
        HashSet<Long> metas = new HashSet<>();
        HashSet<Long> datas = new HashSet<>();
        boolean changed = false;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(sub)) {
          for (Path f : files) {
            String name = f.getFileName().toString();
            if (name.endsWith(ExtentStoreFormat.META_SUFFIX + ExtentStoreFormat.TMP_SUFFIX)) {
              Files.deleteIfExists(f); // a replacement that never got renamed: the old file stands
              changed = true;
              continue;
            }
            Long id = ExtentStoreFormat.parseEgroupFileName(name, ExtentStoreFormat.META_SUFFIX);
            if (id != null) metas.add(id);
            id = ExtentStoreFormat.parseEgroupFileName(name, ExtentStoreFormat.DATA_SUFFIX);
            if (id != null) datas.add(id);
          }
        }
        HashSet<Long> ids = new HashSet<>(metas);
        ids.addAll(datas);
        for (long id : ids) {
          Egroup eg = new Egroup(id, d, sliceCount);
          Egroup other = egroups.putIfAbsent(id, eg);
          if (other != null) {
            LOG.error("extent group {} found on disk {} and on disk {}; ignoring the copy on {}",
                ExtentStoreFormat.hex(id), other.disk.id, d.id, d.id);
            continue;
          }
          if (!datas.contains(id)) {
            createSparseDataFile(eg);
            changed = true;
            LOG.warn("{}: data file missing; recreated empty", eg);
          }
          if (metas.contains(id)) {
            loadMeta(eg);
          } else {
            // Created, crashed before its metadata rename was durable: nothing was acknowledged in it.
            LOG.warn("{}: metadata file missing; taken as never written", eg);
            writeMetaFile(eg, eg.crcs, eg.written);
            changed = true;
          }
          out.add(eg);
        }
        if (changed) FileUtil.fsyncDir(sub);
      }
    }
    return out;
  }

  private void loadMeta(Egroup eg) throws IOException {
    byte[] bytes = Files.readAllBytes(eg.metaPath);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    String bad = ExtentStoreFormat.decodeMeta(b, bytes.length, eg.id, sliceSize, eg.crcs, eg.written);
    if (bad != null) {
      eg.failure = "metadata file " + eg.metaPath + ": " + bad;
      java.util.Arrays.fill(eg.written, (byte) 0);
      LOG.error("{}: {}; every read and write of it fails until it is repaired", eg, eg.failure);
    }
  }

  /** Applies the intents left in a disk's journal (see the class comment), then persists metadata. */
  private void recover(Disk d, List<IntentJournal.Recovered> intents) throws IOException {
    if (intents.isEmpty()) return;
    Map<Egroup, Map<Integer, int[]>> candidates = new LinkedHashMap<>();
    for (IntentJournal.Recovered r : intents) {
      Egroup eg = egroups.get(r.egroupId());
      if (eg == null || eg.disk != d || eg.failure != null) continue; // deleted since, or unusable
      Map<Integer, int[]> slices = candidates.computeIfAbsent(eg, k -> new HashMap<>());
      for (int i = 0; i < r.crcs().length; i++) {
        int s = r.firstSlice() + i;
        if (s >= sliceCount) break;
        int[] prev = slices.get(s);
        int[] next = prev == null ? new int[1] : java.util.Arrays.copyOf(prev, prev.length + 1);
        next[next.length - 1] = r.crcs()[i];
        slices.put(s, next);
      }
    }
    int changed = 0;
    HashSet<Path> dirs = new HashSet<>();
    for (Map.Entry<Egroup, Map<Integer, int[]>> e : candidates.entrySet()) {
      Egroup eg = e.getKey();
      if (reconcileSlices(eg, e.getValue())) changed++;
      // persisted even if unchanged: the journal goes next, and the file must be known durable
      writeMetaFile(eg, eg.crcs, eg.written);
      dirs.add(eg.dir);
    }
    for (Path dir : dirs) FileUtil.fsyncDir(dir);
    LOG.info("disk {}: recovered {} intents over {} extent groups ({} changed)", d.id, intents.size(), candidates.size(), changed);
  }

  // ==== misc ======================================================================================

  private static void checkUsable(Egroup eg) {
    if (eg.deleted) throw notHere(eg.id);
    if (eg.failure != null) {
      throw new VDiskIoException(Kind.UNRECOVERED_READ_ERROR, "extent group " + ExtentStoreFormat.hex(eg.id) + ": " + eg.failure);
    }
  }

  private static VDiskIoException notHere(long egroupId) {
    return new VDiskIoException(Kind.NOT_READY, "no local replica of extent group " + ExtentStoreFormat.hex(egroupId));
  }

  private static void awaitQuietly(ThreadPoolExecutor pool) {
    boolean interrupted = false;
    while (true) {
      try {
        if (pool.awaitTermination(1, TimeUnit.MINUTES)) break;
        LOG.warn("extent store I/O still running after a minute; waiting");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  @Override
  public String toString() {
    return "FileExtentStore" + disksById.keySet();
  }
}
