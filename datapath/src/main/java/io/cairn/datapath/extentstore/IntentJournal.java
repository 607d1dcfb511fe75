package io.cairn.datapath.extentstore;

import static io.cairn.datapath.extentstore.ExtentStoreFormat.INTENT_HEADER_LENGTH;
import static io.cairn.datapath.extentstore.ExtentStoreFormat.JOURNAL_HEADER_LENGTH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One disk's intent journal (format: {@link ExtentStoreFormat}): tentative slice updates, made
 * durable before the data they announce is written, and retired a generation at a time once the
 * metadata files they touched are durable.
 *
 * <p>Threads: I/O threads call {@link #log} and block until their intent is durable; one journal
 * thread ({@code cairn-intent-<disk>}) group-commits every pending intent with one write and one
 * {@code force(false)}, and switches generations when the checkpointer asks ({@link #seal}). The
 * checkpointer thread waits for a sealed generation's writes to finish ({@link #awaitQuiescent}),
 * persists the metadata, then {@link #retire}s it. Fields are guarded by {@link #lock}; the active
 * generation's channel is used by the journal thread only.
 */
final class IntentJournal {
  private static final Logger LOG = LoggerFactory.getLogger(IntentJournal.class);

  /** Most intent bytes written per group commit. */
  static final int MAX_BATCH_BYTES = 1 << 20;

  /** One journal file. */
  static final class Generation {
    final long gen;
    final Path path;
    FileChannel channel; // journal thread only
    long size;
    /** Intents written into this generation whose data writes have not finished. */
    int outstanding;
    /** Egroups with intents here: their metadata must be durable before the file may go. */
    final Set<Egroup> dirty = Collections.newSetFromMap(new IdentityHashMap<>());
    long coveredBytes;
    int intents;

    Generation(long gen, Path path, FileChannel channel, long size) {
      this.gen = gen;
      this.path = path;
      this.channel = channel;
      this.size = size;
    }
  }

  /** An intent read back at start-up. */
  record Recovered(long egroupId, int firstSlice, int[] crcs) {}

  private static final class Pending {
    final Egroup eg;
    final int firstSlice;
    final int[] crcs;
    final int count;
    final CompletableFuture<Generation> future = new CompletableFuture<>();

    Pending(Egroup eg, int firstSlice, int[] crcs, int count) {
      this.eg = eg;
      this.firstSlice = firstSlice;
      this.crcs = crcs;
      this.count = count;
    }
  }

  private final Path dir;
  private final String name;
  private final int sliceSize;
  private final int maxSlices;
  private final long checkpointBytes;
  private final Runnable wantCheckpoint;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Condition quiet = lock.newCondition();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final ArrayList<Generation> sealed = new ArrayList<>();
  private final ArrayList<Path> recoveredFiles = new ArrayList<>();
  private CompletableFuture<Void> sealRequest;
  private Generation active;
  private boolean broken;
  private boolean stopping;
  private long nextGen = 1;
  private long nextSeq = 1;
  private long commits;
  private Thread thread;

  // journal thread only
  private ByteBuffer buf = ByteBuffer.allocateDirect(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();

  /**
   * @param checkpointBytes slice bytes covered by the active generation at which
   *     {@code wantCheckpoint} is called (bounds the work of recovery)
   */
  IntentJournal(Path dir, String name, int sliceSize, int maxSlices, long checkpointBytes, Runnable wantCheckpoint) {
    this.dir = dir;
    this.name = name;
    this.sliceSize = sliceSize;
    this.maxSlices = maxSlices;
    this.checkpointBytes = checkpointBytes;
    this.wantCheckpoint = wantCheckpoint;
  }

  /**
   * Reads every generation left by the previous run, oldest first; each ends at its first torn or
   * corrupt record. The files stay until {@link #deleteRecovered} (after the caller has made the
   * metadata they imply durable).
   */
  List<Recovered> recover() throws IOException {
    Files.createDirectories(dir);
    ArrayList<Long> gens = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        long g = ExtentStoreFormat.parseJournalFileName(p.getFileName().toString());
        if (g >= 0) gens.add(g);
      }
    }
    gens.sort(Long::compare);
    ArrayList<Recovered> out = new ArrayList<>();
    for (long g : gens) {
      nextGen = Math.max(nextGen, g + 1);
      Path p = dir.resolve(ExtentStoreFormat.journalFileName(g));
      recoveredFiles.add(p);
      byte[] all = Files.readAllBytes(p);
      ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
      if (all.length < JOURNAL_HEADER_LENGTH || !ExtentStoreFormat.isValidJournalHeader(b, g)) {
        // Headers are forced before any intent goes in: a file without a valid one holds none.
        LOG.warn("intent journal {}: no valid header, ignored", p);
        continue;
      }
      int pos = JOURNAL_HEADER_LENGTH;
      while (pos + INTENT_HEADER_LENGTH <= all.length && ExtentStoreFormat.isValidIntent(b, pos, maxSlices)) {
        int count = ExtentStoreFormat.intentSliceCount(b, pos);
        int[] crcs = new int[count];
        for (int i = 0; i < count; i++) crcs[i] = ExtentStoreFormat.intentCrc(b, pos, i);
        out.add(new Recovered(ExtentStoreFormat.intentEgroup(b, pos), ExtentStoreFormat.intentFirstSlice(b, pos), crcs));
        nextSeq = Math.max(nextSeq, ExtentStoreFormat.intentSeq(b, pos) + 1);
        pos += ExtentStoreFormat.intentLength(count);
      }
      if (pos < all.length) {
        LOG.info("intent journal {}: {} byte tail after the last whole intent ignored (torn append)", p.getFileName(), all.length - pos);
      }
    }
    return out;
  }

  /** Deletes the generations read by {@link #recover}; their metadata is durable now. */
  void deleteRecovered() throws IOException {
    for (Path p : recoveredFiles) Files.deleteIfExists(p);
    recoveredFiles.clear();
    FileUtil.fsyncDir(dir);
  }

  /** Starts a fresh generation and the journal thread. */
  void start() throws IOException {
    active = newGeneration();
    thread = new Thread(this::run, "cairn-intent-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Durably records that slices {@code [firstSlice, firstSlice+count)} of {@code eg} are about to
   * be overwritten with bytes of checksums {@code crcs[0..count)}. Blocks until the intent is on
   * stable storage; returns the generation holding it, which the caller must {@link #done} once the
   * data write and the in-memory metadata update are finished (or reconciled after a failure).
   */
  Generation log(Egroup eg, int firstSlice, int[] crcs, int count) throws IOException {
    Pending p = new Pending(eg, firstSlice, crcs, count);
    lock.lock();
    try {
      if (stopping) throw new IOException("intent journal " + name + " closed");
      pending.addLast(p);
      wake.signal();
    } finally {
      lock.unlock();
    }
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return p.future.get();
        } catch (InterruptedException e) {
          interrupted = true; // the intent may already be durable: its outcome must be known
        }
      }
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw c instanceof IOException io ? io : new IOException(c);
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /** The data write of one intent of generation {@code g} is over. */
  void done(Generation g) {
    lock.lock();
    try {
      if (--g.outstanding == 0) quiet.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Seals the active generation if it holds intents (new intents go to a fresh one), and returns
   * every sealed generation not yet retired, oldest first.
   */
  List<Generation> seal() throws IOException {
    CompletableFuture<Void> f;
    lock.lock();
    try {
      if (stopping || active == null || active.intents == 0) return List.copyOf(sealed);
      if (sealRequest == null) {
        sealRequest = new CompletableFuture<>();
        wake.signal();
      }
      f = sealRequest;
    } finally {
      lock.unlock();
    }
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sealing intent journal " + name, e);
    } catch (ExecutionException e) {
      throw new IOException("cannot seal intent journal " + name, e.getCause());
    }
    lock.lock();
    try {
      return List.copyOf(sealed);
    } finally {
      lock.unlock();
    }
  }

  /** Waits until every intent of {@code g} is done; false when the journal stopped first. */
  boolean awaitQuiescent(Generation g) {
    lock.lock();
    try {
      while (g.outstanding > 0) {
        if (stopping) return false;
        quiet.awaitUninterruptibly();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Deletes a sealed, quiescent generation whose egroups' metadata is durable. */
  void retire(Generation g) throws IOException {
    Files.deleteIfExists(g.path);
    FileUtil.fsyncDir(dir);
    lock.lock();
    try {
      sealed.remove(g);
    } finally {
      lock.unlock();
    }
  }

  long commits() {
    lock.lock();
    try {
      return commits;
    } finally {
      lock.unlock();
    }
  }

  /** Stops the thread once pending intents are written; closes the files. */
  void close() {
    lock.lock();
    try {
      stopping = true;
      wake.signal();
      quiet.signalAll();
    } finally {
      lock.unlock();
    }
    if (thread != null) {
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      if (active != null) FileUtil.closeQuietly(active.channel);
      for (Generation g : sealed) FileUtil.closeQuietly(g.channel);
    } finally {
      lock.unlock();
    }
  }

  // ---- journal thread ----------------------------------------------------------------------------

  private void run() {
    ArrayList<Pending> batch = new ArrayList<>();
    while (true) {
      batch.clear();
      CompletableFuture<Void> sealNow;
      lock.lock();
      try {
        while (pending.isEmpty() && sealRequest == null && !stopping) wake.awaitUninterruptibly();
        if (stopping && pending.isEmpty()) {
          if (sealRequest != null) sealRequest.completeExceptionally(new IOException("journal closed"));
          sealRequest = null;
          return;
        }
        int bytes = 0;
        while (!pending.isEmpty()) {
          int len = ExtentStoreFormat.intentLength(pending.peekFirst().count);
          if (!batch.isEmpty() && bytes + len > MAX_BATCH_BYTES) break;
          batch.add(pending.pollFirst());
          bytes += len;
        }
        sealNow = sealRequest;
        sealRequest = null;
      } finally {
        lock.unlock();
      }
      if (sealNow != null) {
        try {
          switchGeneration();
          sealNow.complete(null);
        } catch (IOException e) {
          sealNow.completeExceptionally(e);
        }
      }
      if (!batch.isEmpty()) writeBatch(batch);
    }
  }

  private void writeBatch(ArrayList<Pending> batch) {
    Generation g = null;
    IOException failure = null;
    try {
      if (broken) switchGeneration(); // the failed file's tail is suspect: nothing more goes after it
      g = active;
      int total = 0;
      for (Pending p : batch) total += ExtentStoreFormat.intentLength(p.count);
      if (buf.capacity() < total) buf = ByteBuffer.allocateDirect(Math.max(total, buf.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
      buf.clear();
      int at = 0;
      for (Pending p : batch) {
        ExtentStoreFormat.encodeIntent(buf, at, nextSeq++, p.eg.id, p.firstSlice, p.crcs, p.count, crc);
        at += ExtentStoreFormat.intentLength(p.count);
      }
      buf.limit(total);
      long pos = g.size;
      while (buf.hasRemaining()) pos += g.channel.write(buf, pos);
      g.channel.force(false);
      g.size = pos;
    } catch (IOException e) {
      failure = e;
      broken = true;
    }
    boolean big = false;
    lock.lock();
    try {
      if (failure == null) {
        commits++;
        for (Pending p : batch) {
          g.outstanding++;
          g.intents++;
          g.dirty.add(p.eg);
          g.coveredBytes += (long) p.count * sliceSize;
        }
        big = g.coveredBytes >= checkpointBytes;
      }
    } finally {
      lock.unlock();
    }
    if (failure != null) LOG.error("intent journal {}: group commit of {} intents failed", name, batch.size(), failure);
    for (Pending p : batch) {
      if (failure == null) p.future.complete(g);
      else p.future.completeExceptionally(failure);
    }
    if (big) wantCheckpoint.run();
  }

  /**
   * Starts a new generation and seals the active one. The new file's header is forced and the
   * directory forced before any intent goes in.
   */
  private void switchGeneration() throws IOException {
    Generation next = newGeneration();
    lock.lock();
    try {
      Generation old = active;
      active = next;
      broken = false;
      if (old != null) {
        FileUtil.closeQuietly(old.channel);
        old.channel = null;
        sealed.add(old);
      }
    } finally {
      lock.unlock();
    }
  }

  private Generation newGeneration() throws IOException {
    long gen;
    lock.lock();
    try {
      gen = nextGen++;
    } finally {
      lock.unlock();
    }
    Path p = dir.resolve(ExtentStoreFormat.journalFileName(gen));
    FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer h = ByteBuffer.allocate(JOURNAL_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
      ExtentStoreFormat.writeJournalHeader(h, gen);
      while (h.hasRemaining()) ch.write(h, h.position());
      ch.force(true);
      FileUtil.fsyncDir(dir);
    } catch (IOException e) {
      FileUtil.closeQuietly(ch);
      throw e;
    }
    return new Generation(gen, p, ch, JOURNAL_HEADER_LENGTH);
  }
}
