package io.cairn.datapath.oplog;

import static io.cairn.datapath.oplog.ReplicaLogFormat.HEADER_LENGTH;

import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node store of OpLog records that other nodes' vDisk controllers replicated here
 * (format: {@link ReplicaLogFormat}). Never drained: records leave by {@link #trim} (the primary
 * drained them), {@link #discard} (the vDisk moved or was deleted) or replacement by a re-sent
 * record of the same write sequence. A new owner reads them back with {@link #fetch}.
 *
 * <h2>Threads and ownership</h2>
 *
 * The same shape as {@link FileOpLog}: callers (any thread) sequence records into the write queue
 * under {@link #lock} and never block on I/O; the writer thread ({@code cairn-replica-log-writer})
 * takes every queued record up to {@code groupCommitMaxBytes}, writes them with one gathering
 * write, forces the file ({@code force(false)}), applies them to the index under the lock, then
 * completes their futures: an append completes only once its record is durable and visible to
 * {@link #fetch}. The writer also deletes dead files. {@link #fetch} reads on the caller's thread
 * with the files it reads pinned. Every index field is guarded by {@link #lock}; no file I/O
 * happens while holding it.
 *
 * <h2>Why deleting dead files keeps dead records dead</h2>
 *
 * A record dies by a TRIM or DISCARD record, or by a later DATA record of the same write sequence,
 * and replay applies records in log order, so a dead record stays dead after a restart as long as
 * what killed it is still on disk. Hence a file whose records are all dead is deleted only if it
 * holds no TRIM or DISCARD record, or else once every older file is gone (then nothing older that
 * such a record could kill remains); a killing DATA record is live or was itself killed, so the
 * same argument applies to it. A DATA record whose write sequence is below a TRIM already
 * sequenced for its vDisk is acknowledged without being written (its write is drained), so no file
 * newer than a TRIM holds a record that only the TRIM keeps dead.
 */
public final class ReplicaLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaLog.class);

  /** Most records per group commit (bounds the header buffer). */
  static final int MAX_BATCH_RECORDS = 1024;

  /**
   * Settings.
   *
   * @param dir directory of the replica log files (created if missing)
   * @param fileSizeBytes size after which the next batch starts a new file
   * @param groupCommitMaxBytes most bytes written per fsync
   */
  public record Settings(Path dir, long fileSizeBytes, long groupCommitMaxBytes) {
    public Settings {
      Objects.requireNonNull(dir, "dir");
      if (fileSizeBytes < (1 << 20)) throw new IllegalArgumentException("fileSizeBytes < 1 MiB: " + fileSizeBytes);
      if (groupCommitMaxBytes < (64 << 10) || groupCommitMaxBytes > fileSizeBytes) {
        throw new IllegalArgumentException("groupCommitMaxBytes must be in [64 KiB, fileSizeBytes]: " + groupCommitMaxBytes);
      }
    }
  }

  /**
   * Counters and sizes.
   *
   * @param liveRecords live DATA records
   * @param liveBytes payload bytes of live records
   * @param files log files on disk
   * @param fileBytes bytes of those files
   * @param appends DATA records written
   * @param fsyncs group commits
   * @param replayedRecords records found valid at open
   * @param droppedRecords records dropped at open (torn or damaged tails)
   * @param deletedFiles dead files deleted since open
   */
  public record Stats(long liveRecords, long liveBytes, int files, long fileBytes, long appends, long fsyncs,
      long replayedRecords, long droppedRecords, long deletedFiles) {}

  private final Settings settings;
  private final Path dir;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition writerWake = lock.newCondition();

  // ---- guarded by lock -------------------------------------------------------------------------
  private final Long2ObjectHashMap<VDisk> vdisks = new Long2ObjectHashMap<>();
  private final ArrayDeque<Rec> writeQueue = new ArrayDeque<>();
  /** Log files, oldest first; the last is the active one. */
  private final ArrayList<Segment> files = new ArrayList<>();
  private Segment active;
  private long nextSeq = 1;
  private boolean closing;
  private boolean trimWanted;
  private long liveRecords;
  private long liveBytes;
  private long appends;
  private long fsyncs;
  private long replayedRecords;
  private long droppedRecords;
  private long deletedFiles;

  // ---- writer thread only ----------------------------------------------------------------------
  private long nextFileSeq = 1;
  private boolean rollNeeded;
  private final ByteBuffer headers =
      ByteBuffer.allocateDirect(MAX_BATCH_RECORDS * HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer[] headerViews = new ByteBuffer[MAX_BATCH_RECORDS];
  private ByteBuffer[] iov = new ByteBuffer[MAX_BATCH_RECORDS * 2];
  private final CRC32C writerCrc = new CRC32C();
  private final Thread writer;

  /** One vDisk's live records by write sequence, and its trim bounds. */
  private static final class VDisk {
    final long id;
    final TreeMap<Long, Rec> live = new TreeMap<>();
    /** Highest TRIM bound applied (durable). */
    long trimBelow;
    /** Highest TRIM bound sequenced (possibly not yet durable); DATA below it is not written. */
    long admittedTrimBelow;

    VDisk(long id) {
      this.id = id;
    }
  }

  /** A log file and what the index knows about it (guarded by the lock). */
  private static final class Segment {
    final LogFile file;
    /** Holds a TRIM or DISCARD record: deleted only as the oldest file. */
    boolean hasControl;

    Segment(LogFile file) {
      this.file = file;
    }
  }

  /** One record from admission to death. Fields guarded by the lock, except as noted. */
  private static final class Rec {
    final byte type;
    final long vdiskId;
    final long episode;
    /** DATA: the write's sequence; TRIM: the bound; DISCARD: 0. */
    final long writeSeq;
    final long offset;
    final int length;
    final CompletableFuture<Void> future;
    /** DATA payload, retained from admission until written (writer thread). */
    ByteBuf payload;
    long seq;
    Segment seg;
    long position;
    boolean live;

    Rec(byte type, long vdiskId, long episode, long writeSeq, long offset, int length, CompletableFuture<Void> future) {
      this.type = type;
      this.vdiskId = vdiskId;
      this.episode = episode;
      this.writeSeq = writeSeq;
      this.offset = offset;
      this.length = length;
      this.future = future;
    }
  }

  private ReplicaLog(Settings settings) {
    this.settings = settings;
    this.dir = settings.dir();
    for (int i = 0; i < MAX_BATCH_RECORDS; i++) {
      headerViews[i] = headers.slice(i * HEADER_LENGTH, HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    }
    writer = new Thread(this::writerLoop, "cairn-replica-log-writer");
    writer.setDaemon(true);
  }

  /**
   * Opens (creating if needed) the replica log in {@code settings.dir()}: replays every file,
   * truncating torn or damaged tails, rebuilds the index, starts a new file and the writer.
   */
  public static ReplicaLog open(Settings settings) {
    ReplicaLog log = new ReplicaLog(settings);
    try {
      Files.createDirectories(settings.dir());
      log.replay();
      log.rollFile();
    } catch (IOException e) {
      log.closeFiles();
      throw new UncheckedIOException("cannot open replica log in " + settings.dir(), e);
    }
    log.trimWanted = true; // files that replay found dead go first thing (deletion is the writer's job)
    log.writer.start();
    return log;
  }

  // ==== public API ================================================================================

  /**
   * Stores a write of {@code data} at vDisk {@code offset}; completes once durable. A record of the
   * same vDisk and write sequence replaces an older one. A write sequence below the vDisk's trim
   * bound completes at once without being stored (it was drained). The caller keeps ownership of
   * {@code data}, which may be released as soon as this returns.
   */
  public CompletableFuture<Void> append(long vdiskId, long episode, long writeSeq, long offset, ByteBuf data) {
    int len = data.readableBytes();
    if (len == 0 || offset < 0 || offset + len < offset || writeSeq < 0 || episode < 0) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("bad replica record: vDisk " + vdiskId
          + " episode " + episode + " write seq " + writeSeq + " range " + offset + "+" + len));
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    lock.lock();
    try {
      if (closing) return closedFuture();
      VDisk vd = vdisk(vdiskId);
      if (writeSeq < vd.admittedTrimBelow) return CompletableFuture.completedFuture(null);
      Rec r = new Rec(ReplicaLogFormat.TYPE_DATA, vdiskId, episode, writeSeq, offset, len, f);
      r.payload = data.retainedSlice();
      submit(r);
    } finally {
      lock.unlock();
    }
    return f;
  }

  /**
   * Drops the vDisk's records with a write sequence below {@code belowWriteSeq}; completes once
   * durable. A bound at or below one already given completes at once.
   */
  public CompletableFuture<Void> trim(long vdiskId, long belowWriteSeq) {
    if (belowWriteSeq < 0) return CompletableFuture.failedFuture(new IllegalArgumentException("bound < 0"));
    CompletableFuture<Void> f = new CompletableFuture<>();
    lock.lock();
    try {
      if (closing) return closedFuture();
      VDisk vd = vdisk(vdiskId);
      if (belowWriteSeq <= vd.admittedTrimBelow) {
        if (belowWriteSeq <= vd.trimBelow) return CompletableFuture.completedFuture(null);
      } else {
        vd.admittedTrimBelow = belowWriteSeq;
      }
      submit(new Rec(ReplicaLogFormat.TYPE_TRIM, vdiskId, 0, belowWriteSeq, 0, 0, f));
    } finally {
      lock.unlock();
    }
    return f;
  }

  /** Drops every record of the vDisk appended before this call; completes once durable. */
  public CompletableFuture<Void> discard(long vdiskId) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    lock.lock();
    try {
      if (closing) return closedFuture();
      vdisk(vdiskId);
      submit(new Rec(ReplicaLogFormat.TYPE_DISCARD, vdiskId, 0, 0, 0, 0, f));
    } finally {
      lock.unlock();
    }
    return f;
  }

  /** Every live record of the vDisk, in write-sequence order (one page without a size limit). */
  public ReplicaPage fetch(long vdiskId) {
    return fetch(vdiskId, 0, Long.MAX_VALUE);
  }

  /**
   * Live records of the vDisk with write sequence &gt;= {@code fromWriteSeq}, in write-sequence
   * order, at most {@code maxBytes} of payload (but at least one record). Reads and verifies each
   * record on the caller's thread; a record whose bytes fail their CRC is listed in {@code
   * unreadable} instead.
   *
   * @throws UncheckedIOException when a file cannot be read at all
   */
  public ReplicaPage fetch(long vdiskId, long fromWriteSeq, long maxBytes) {
    List<Rec> recs = new ArrayList<>();
    long next = -1;
    lock.lock();
    try {
      VDisk vd = vdisks.get(vdiskId);
      if (vd == null) return new ReplicaPage(List.of(), List.of(), -1);
      long bytes = 0;
      for (Rec r : vd.live.tailMap(Math.max(0, fromWriteSeq), true).values()) {
        if (!recs.isEmpty() && bytes + r.length > maxBytes) {
          next = r.writeSeq;
          break;
        }
        recs.add(r);
        bytes += r.length;
      }
      for (Rec r : recs) r.seg.file.pins++;
    } finally {
      lock.unlock();
    }
    List<ReplicaRecord> out = new ArrayList<>(recs.size());
    List<Long> unreadable = new ArrayList<>();
    try {
      for (Rec r : recs) {
        byte[] data = new byte[r.length];
        try {
          readVerified(r, data);
          out.add(new ReplicaRecord(r.vdiskId, r.episode, r.writeSeq, r.offset, data));
        } catch (CorruptRecordException e) {
          LOG.error("replica log: {}", e.getMessage());
          unreadable.add(r.writeSeq);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("replica log read of vDisk " + vdiskId + " failed", e);
    } finally {
      unpin(recs);
    }
    return new ReplicaPage(out, unreadable, next);
  }

  /**
   * The episodes of which this log holds live records, by vDisk: {@code episodeOf} maps a record's
   * episode and offset to the episode reported (supersede markers carry a sentinel episode).
   */
  public java.util.SortedMap<Long, java.util.SortedSet<Long>> heldEpisodes(java.util.function.LongBinaryOperator episodeOf) {
    java.util.SortedMap<Long, java.util.SortedSet<Long>> out = new TreeMap<>();
    lock.lock();
    try {
      vdisks.forEach((id, vd) -> {
        for (Rec r : vd.live.values()) {
          out.computeIfAbsent(id, k -> new java.util.TreeSet<>()).add(episodeOf.applyAsLong(r.episode, r.offset));
        }
      });
    } finally {
      lock.unlock();
    }
    return out;
  }

  public Stats stats() {
    lock.lock();
    try {
      long fileBytes = 0;
      for (Segment s : files) fileBytes += s.file.size;
      return new Stats(liveRecords, liveBytes, files.size(), fileBytes, appends, fsyncs, replayedRecords,
          droppedRecords, deletedFiles);
    } finally {
      lock.unlock();
    }
  }

  /** Writes everything already accepted, stops the writer and closes the files. Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closing) return;
      closing = true;
      writerWake.signal();
    } finally {
      lock.unlock();
    }
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    closeFiles();
  }

  // ==== admission ================================================================================

  private VDisk vdisk(long id) {
    VDisk vd = vdisks.get(id);
    if (vd == null) {
      vd = new VDisk(id);
      vdisks.put(id, vd);
    }
    return vd;
  }

  private void submit(Rec r) {
    r.seq = nextSeq++;
    writeQueue.addLast(r);
    writerWake.signal();
  }

  // ==== writer thread =============================================================================

  private void writerLoop() {
    ArrayList<Rec> batch = new ArrayList<>(MAX_BATCH_RECORDS);
    while (true) {
      batch.clear();
      long bytes = 0;
      boolean trim;
      lock.lock();
      try {
        while (writeQueue.isEmpty() && !trimWanted) {
          if (closing) return;
          writerWake.awaitUninterruptibly();
        }
        while (!writeQueue.isEmpty() && batch.size() < MAX_BATCH_RECORDS) {
          Rec r = writeQueue.peekFirst();
          long size = HEADER_LENGTH + r.length;
          if (!batch.isEmpty() && bytes + size > settings.groupCommitMaxBytes()) break;
          writeQueue.pollFirst();
          batch.add(r);
          bytes += size;
        }
        trim = trimWanted;
        trimWanted = false;
      } finally {
        lock.unlock();
      }
      if (!batch.isEmpty()) {
        IOException failure = null;
        try {
          writeBatch(batch, bytes);
        } catch (IOException | RuntimeException e) {
          failure = e instanceof IOException io ? io : new IOException(e);
        }
        trim |= applyBatch(batch, failure);
      }
      if (trim) trimDeadFiles();
    }
  }

  private void writeBatch(ArrayList<Rec> batch, long bytes) throws IOException {
    if (rollNeeded || (active.file.size > OpLogFormat.FILE_HEADER_LENGTH
        && active.file.size + bytes > settings.fileSizeBytes())) {
      rollFile();
    }
    Segment seg = active;
    LogFile f = seg.file;
    long start = f.size;
    long pos = start;
    int n = 0;
    for (int i = 0; i < batch.size(); i++) {
      Rec r = batch.get(i);
      ByteBuffer h = headerViews[i];
      h.clear();
      ReplicaLogFormat.writeHeader(h, 0, r.type, r.length, r.vdiskId, r.offset, r.episode, r.seq, r.writeSeq);
      ReplicaLogFormat.crcHeader(writerCrc, h, 0);
      ByteBuffer[] parts = r.payload == null ? null : r.payload.nioBuffers();
      iov = ensureCapacity(iov, n + 1 + (parts == null ? 0 : parts.length));
      iov[n++] = h;
      if (parts != null) {
        for (ByteBuffer p : parts) {
          int p0 = p.position();
          writerCrc.update(p);
          p.position(p0);
          iov[n++] = p;
        }
      }
      ReplicaLogFormat.putCrc(h, 0, (int) writerCrc.getValue());
      r.seg = seg;
      r.position = pos;
      pos += HEADER_LENGTH + r.length;
    }
    try {
      long remaining = pos - start;
      int first = 0;
      while (remaining > 0) {
        long w = f.writeChannel.write(iov, first, n - first);
        remaining -= w;
        while (first < n && !iov[first].hasRemaining()) first++;
      }
      f.writeChannel.force(false);
    } catch (IOException e) {
      // Nothing more goes into this file: replay stops at the torn record. Cut it back where we can.
      rollNeeded = true;
      try {
        f.writeChannel.truncate(start);
        f.writeChannel.position(start);
      } catch (IOException ignored) {
        // replay stops at the torn record instead
      }
      throw e;
    } finally {
      Arrays.fill(iov, 0, n, null);
    }
    lock.lock();
    try {
      f.size = pos;
    } finally {
      lock.unlock();
    }
  }

  private static ByteBuffer[] ensureCapacity(ByteBuffer[] a, int n) {
    return n <= a.length ? a : Arrays.copyOf(a, Math.max(n, a.length * 2));
  }

  /** Starts the next file: header written and forced, directory forced, before any record goes in. */
  private void rollFile() throws IOException {
    long seq = nextFileSeq++;
    Path path = dir.resolve(ReplicaLogFormat.fileName(seq));
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer h = ByteBuffer.allocate(OpLogFormat.FILE_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
      ReplicaLogFormat.writeFileHeader(h, 0, seq, System.currentTimeMillis());
      while (h.hasRemaining()) ch.write(h);
      ch.force(true);
      FileOpLog.fsyncDir(dir);
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    Segment seg = new Segment(new LogFile(seq, path, ch, OpLogFormat.FILE_HEADER_LENGTH));
    Segment old = active;
    if (old != null && old.file.writeChannel != null) {
      try {
        old.file.writeChannel.close(); // readers use the read channel
      } catch (IOException ignored) {
        // the file keeps being read through its read channel
      }
    }
    lock.lock();
    try {
      if (old != null) {
        old.file.writeChannel = null;
        trimWanted = true; // the old active file may now be deletable
      }
      files.add(seg);
      active = seg;
      rollNeeded = false;
    } finally {
      lock.unlock();
    }
  }

  /** Applies a written batch to the index, completes its futures; returns whether a trim may help. */
  private boolean applyBatch(ArrayList<Rec> batch, IOException failure) {
    boolean killed = false;
    lock.lock();
    try {
      if (failure == null) {
        fsyncs++;
        for (Rec r : batch) killed |= apply(r);
      }
    } finally {
      lock.unlock();
    }
    VDiskIoException error = failure == null ? null
        : new VDiskIoException(VDiskIoException.Kind.WRITE_ERROR, "replica log write failed: " + failure.getMessage(), failure);
    if (failure != null) LOG.error("replica log group commit of {} records failed", batch.size(), failure);
    for (Rec r : batch) {
      if (r.payload != null) {
        r.payload.release();
        r.payload = null;
      }
      if (r.future == null) continue;
      if (error == null) r.future.complete(null);
      else r.future.completeExceptionally(error);
    }
    return killed;
  }

  /** Applies one durable record to the index (writer thread and replay; lock held); true when something died. */
  private boolean apply(Rec r) {
    VDisk vd = vdisk(r.vdiskId);
    switch (r.type) {
      case ReplicaLogFormat.TYPE_DATA -> {
        if (r.writeSeq < vd.trimBelow) return false; // only at replay: a trim that came before it in the log
        Rec old = vd.live.put(r.writeSeq, r);
        r.live = true;
        r.seg.file.liveBytes += r.length;
        liveBytes += r.length;
        liveRecords++;
        if (r.future != null) appends++;
        if (old != null) {
          kill(old);
          return true;
        }
        return false;
      }
      case ReplicaLogFormat.TYPE_TRIM -> {
        r.seg.hasControl = true;
        vd.trimBelow = Math.max(vd.trimBelow, r.writeSeq);
        vd.admittedTrimBelow = Math.max(vd.admittedTrimBelow, vd.trimBelow);
        NavigableMap<Long, Rec> dead = vd.live.headMap(r.writeSeq, false);
        boolean any = !dead.isEmpty();
        for (Rec d : dead.values()) kill(d);
        dead.clear();
        return any;
      }
      case ReplicaLogFormat.TYPE_DISCARD -> {
        r.seg.hasControl = true;
        boolean any = !vd.live.isEmpty();
        for (Rec d : vd.live.values()) kill(d);
        vd.live.clear();
        return any;
      }
      default -> throw new IllegalStateException("record type " + r.type);
    }
  }

  private void kill(Rec r) {
    r.live = false;
    r.seg.file.liveBytes -= r.length;
    liveBytes -= r.length;
    liveRecords--;
  }

  // ==== deleting dead files (writer thread) ======================================================

  /**
   * Deletes files whose records are all dead and that nobody reads: any such file without TRIM or
   * DISCARD records, and such files with them only from the oldest end (see the class comment).
   */
  private void trimDeadFiles() {
    List<Segment> doomed = new ArrayList<>();
    lock.lock();
    try {
      boolean oldest = true;
      for (Iterator<Segment> it = files.iterator(); it.hasNext(); ) {
        Segment s = it.next();
        boolean dead = s != active && s.file.liveBytes == 0 && s.file.pins == 0;
        if (dead && (oldest || !s.hasControl)) {
          it.remove();
          doomed.add(s);
        } else {
          oldest = false;
        }
      }
    } finally {
      lock.unlock();
    }
    for (int i = 0; i < doomed.size(); i++) {
      Segment s = doomed.get(i);
      try {
        Files.deleteIfExists(s.file.path);
        FileOpLog.fsyncDir(dir); // in order: an older file's deletion is durable before a newer one's
        s.file.close();
        lock.lock();
        try {
          deletedFiles++;
        } finally {
          lock.unlock();
        }
      } catch (IOException e) {
        LOG.error("cannot delete replica log file {}; keeping it", s.file.path, e);
        lock.lock();
        try {
          // put back the rest in file order; a later trim retries them
          for (int j = doomed.size() - 1; j >= i; j--) files.add(indexFor(doomed.get(j)), doomed.get(j));
        } finally {
          lock.unlock();
        }
        return;
      }
    }
  }

  private int indexFor(Segment s) {
    int i = 0;
    while (i < files.size() && files.get(i).file.seq < s.file.seq) i++;
    return i;
  }

  // ==== reading ===================================================================================

  private void unpin(List<Rec> recs) {
    if (recs.isEmpty()) return;
    lock.lock();
    try {
      for (Rec r : recs) r.seg.file.pins--;
      trimWanted = true; // a dead file may have waited for this reader
      writerWake.signal();
    } finally {
      lock.unlock();
    }
  }

  private static final class CorruptRecordException extends IOException {
    CorruptRecordException(String message) {
      super(message);
    }
  }

  /** Reads DATA record {@code r} (its file pinned) into {@code dst} and verifies header and CRC. */
  private static void readVerified(Rec r, byte[] dst) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    LogFile f = r.seg.file;
    f.readFully(header, r.position);
    String where = "record of vDisk " + r.vdiskId + " write seq " + r.writeSeq + " in " + f + " at " + r.position;
    if (ReplicaLogFormat.magic(header, 0) != ReplicaLogFormat.RECORD_MAGIC
        || ReplicaLogFormat.type(header, 0) != ReplicaLogFormat.TYPE_DATA
        || ReplicaLogFormat.sequence(header, 0) != r.seq
        || ReplicaLogFormat.vdiskId(header, 0) != r.vdiskId
        || ReplicaLogFormat.writeSeq(header, 0) != r.writeSeq
        || ReplicaLogFormat.payloadLength(header, 0) != r.length) {
      throw new CorruptRecordException(where + ": header changed on disk");
    }
    CRC32C crc = new CRC32C();
    ReplicaLogFormat.crcHeader(crc, header, 0);
    f.readFully(ByteBuffer.wrap(dst), r.position + HEADER_LENGTH);
    crc.update(dst, 0, dst.length);
    if ((int) crc.getValue() != ReplicaLogFormat.crc(header, 0)) {
      throw new CorruptRecordException(where + " fails its checksum");
    }
  }

  // ==== replay ====================================================================================

  private void replay() throws IOException {
    ArrayList<Long> seqs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        long seq = ReplicaLogFormat.parseFileName(p.getFileName().toString());
        if (seq >= 0) seqs.add(seq);
      }
    }
    seqs.sort(Long::compare);
    LogScanner scanner = new LogScanner(ReplicaLogFormat.LAYOUT);
    long lastSeq = 0;
    for (long seq : seqs) {
      nextFileSeq = Math.max(nextFileSeq, seq + 1);
      Path path = dir.resolve(ReplicaLogFormat.fileName(seq));
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        if (!scanner.readFileHeader(ch, seq)) {
          handleBadHeader(scanner, ch, path);
          continue;
        }
        Segment seg = new Segment(new LogFile(seq, path, null, 0));
        LogScanner.Result res;
        lock.lock();
        try {
          res = scanner.scanHeaders(ch, lastSeq, (b, idx, position) -> {
            Rec r = new Rec(ReplicaLogFormat.type(b, idx), ReplicaLogFormat.vdiskId(b, idx),
                ReplicaLogFormat.episode(b, idx), ReplicaLogFormat.writeSeq(b, idx), ReplicaLogFormat.offset(b, idx),
                ReplicaLogFormat.payloadLength(b, idx), null);
            r.seq = ReplicaLogFormat.sequence(b, idx);
            r.seg = seg;
            r.position = position;
            apply(r);
          });
          replayedRecords += res.records();
          droppedRecords += res.dropped();
          files.add(seg);
        } finally {
          lock.unlock();
        }
        lastSeq = res.lastSeq();
        if (res.damage() != null && res.validEnd() < ch.size()) {
          LOG.warn("replica log file {}: {} at byte {}; dropping {} record(s) and truncating {} -> {} bytes",
              path.getFileName(), res.damage(), res.validEnd(), res.dropped(), ch.size(), res.validEnd());
          ch.truncate(res.validEnd());
          ch.force(true);
        }
        seg.file.size = res.validEnd();
      }
    }
    nextSeq = lastSeq + 1;
    if (!seqs.isEmpty()) {
      LOG.info("replica log replayed {} record(s) from {} file(s) in {}: {} live records, {} dropped",
          replayedRecords, seqs.size(), dir, liveRecords, droppedRecords);
    }
  }

  /**
   * A file whose header does not verify: deleted when empty or all zeros (its creation was torn
   * before any record could go in), else moved aside as {@code .corrupt}; its records are lost.
   */
  private void handleBadHeader(LogScanner scanner, FileChannel ch, Path path) throws IOException {
    if (ch.size() < OpLogFormat.FILE_HEADER_LENGTH || scanner.allZero(ch)) {
      LOG.warn("replica log file {} has no valid header and no data (torn creation); deleting it", path.getFileName());
      Files.delete(path);
    } else {
      Path aside = path.resolveSibling(path.getFileName() + ReplicaLogFormat.CORRUPT_SUFFIX);
      LOG.error("replica log file {} has a corrupt header; its records are lost; moved to {}", path.getFileName(),
          aside.getFileName());
      Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
    }
    FileOpLog.fsyncDir(dir);
  }

  // ==== misc ======================================================================================

  private void closeFiles() {
    lock.lock();
    try {
      for (Segment s : files) s.file.close();
    } finally {
      lock.unlock();
    }
  }

  private static <T> CompletableFuture<T> closedFuture() {
    return CompletableFuture.failedFuture(new VDiskIoException(VDiskIoException.Kind.NOT_READY, "replica log closed"));
  }

  /** Live records per vDisk (tests and status). */
  Map<Long, Integer> liveCounts() {
    lock.lock();
    try {
      Map<Long, Integer> m = new TreeMap<>();
      for (VDisk vd : vdisks.values()) if (!vd.live.isEmpty()) m.put(vd.id, vd.live.size());
      return m;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "ReplicaLog[" + dir + "]";
  }
}
