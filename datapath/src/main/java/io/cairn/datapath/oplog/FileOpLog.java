package io.cairn.datapath.oplog;

import static io.cairn.datapath.oplog.OpLogFormat.HEADER_LENGTH;

import io.cairn.config.OpLogSettings;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node OpLog on files (format: {@link OpLogFormat}).
 *
 * <h2>Threads and ownership</h2>
 *
 * <ul>
 *   <li>Callers (any thread) admit records into the write queue under {@link #lock} and never block
 *       on I/O, except {@link #capture}, which reads undrained bytes with positional reads on the
 *       caller's thread (the bytes are normally in the page cache).
 *   <li>The writer thread ({@code cairn-oplog-writer}) takes every queued record up to
 *       group-commit-max-bytes, writes them with one gathering write, forces the file once
 *       ({@code force(false)}, fdatasync), then indexes them under the lock, then completes their
 *       futures. So an append completes only after its record is durable and visible to capture.
 *   <li>The drainer thread ({@code cairn-oplog-drainer}) picks drain runs under the lock, reads
 *       their bytes from the files outside it, hands them to the {@link DrainSink}, and trims log
 *       files. Sink futures complete on any thread; their completion re-takes the lock to update the
 *       index.
 * </ul>
 *
 * Every index, accounting and queue field is guarded by {@link #lock}; file I/O never happens while
 * holding it. A file being read is pinned ({@link LogFile#pins}) and is not deleted until unpinned.
 *
 * <h2>Why replaying drained records is harmless</h2>
 *
 * A DATA record stays in its file after it is drained until the whole file is trimmed, so a restart
 * brings drained records back as undrained and drains them again. That rewrites the extent store
 * with bytes that are either what it already holds, or newer than what it holds, as long as no
 * write newer than the record bypassed the OpLog. Every such write (a sequential write sent
 * straight to the extent store) is preceded by a durable SUPERSEDE record for its range, and a
 * vDisk deletion by a DISCARD record: replay applies them in log order, so the older records' bytes
 * in the range are dead before the drainer sees them. Trimming deletes files oldest first, so a
 * SUPERSEDE or DISCARD record is only ever gone when every older record it protected against is
 * gone too. {@link #supersede} also waits for in-flight drains that overlap the range, so an older
 * drain cannot land on top of the direct write in the running process either.
 *
 * <h2>Drain policy</h2>
 *
 * A vDisk is drained when: appends wait for room (its or the node's limit), {@link #drainAll} is
 * pending, it holds the oldest undrained record and that record is older than the previous file
 * (so old files can be trimmed), it holds drain-threshold-bytes, or it has been idle for
 * drain-idle-delay. Runs are contiguous pieces, at most drain-batch-bytes long and never crossing a
 * multiple of drain-batch-bytes (so a run falls in one extent when the two sizes agree); at most
 * drain-concurrency are in flight, never two overlapping ones of one vDisk. A failed drain is retried
 * after an exponential backoff; {@link VDiskGoneException} discards the vDisk's records.
 *
 * <h2>Reads verify</h2>
 *
 * Capture and drain read whole records' checksums: a record whose bytes no longer match its CRC is
 * never returned or drained (capture fails with UNRECOVERED_READ_ERROR, the drain is retried).
 */
public final class FileOpLog implements OpLog {
  private static final Logger LOG = LoggerFactory.getLogger(FileOpLog.class);

  /** Most records per group commit (bounds the header buffer). */
  static final int MAX_BATCH_RECORDS = 1024;
  /** First retry delay after a failed drain; doubles up to {@link #MAX_DRAIN_BACKOFF_NS}. */
  static final long MIN_DRAIN_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(50);
  static final long MAX_DRAIN_BACKOFF_NS = TimeUnit.SECONDS.toNanos(5);
  /** Delay before retrying a failed file deletion. */
  static final long TRIM_RETRY_NS = TimeUnit.SECONDS.toNanos(1);

  private final OpLogSettings settings;
  private final Path dir;
  private final long idleDelayNs;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition writerWake = lock.newCondition();
  private final Condition drainerWake = lock.newCondition();

  // ---- guarded by lock -------------------------------------------------------------------------
  private final Long2ObjectHashMap<VDiskState> vdisks = new Long2ObjectHashMap<>();
  /** Records waiting for room (back-pressure), in arrival order. */
  private final ArrayDeque<LogRecord> admissionQueue = new ArrayDeque<>();
  /** Records admitted, sequenced, waiting for the writer. */
  private final ArrayDeque<LogRecord> writeQueue = new ArrayDeque<>();
  /** Log files, oldest first; the last is the writer's active file. */
  private final ArrayDeque<LogFile> files = new ArrayDeque<>();
  /** DATA records in sequence order; dead ones are popped lazily from the head. */
  private final ArrayDeque<LogRecord> liveRecords = new ArrayDeque<>();
  private final ArrayList<DrainAllWaiter> drainAllWaiters = new ArrayList<>();
  private final ArrayList<VDiskState> candidates = new ArrayList<>();
  private LogFile active;
  private long nextSeq = 1;
  /** Every record with a sequence up to this one has been written (or failed) and indexed. */
  private long lastAppliedSeq;
  private long nodeLiveBytes;
  private long nodeQueuedBytes;
  private int inflightRuns;
  private long nextRunId;
  private long markEpoch;
  private long trimRetryAtNanos;
  private boolean trimBlocked;
  private DrainSink sink;
  private boolean closing;
  private boolean writerExited;
  private boolean stopped;
  private long appends;
  private long fsyncs;
  private long drainedBytes;
  private long replayedRecords;
  private long droppedTailRecords;

  // ---- writer thread only ----------------------------------------------------------------------
  private long nextFileSeq = 1;
  private boolean rollNeeded;
  private final ByteBuffer headers =
      ByteBuffer.allocateDirect(MAX_BATCH_RECORDS * HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer[] headerViews = new ByteBuffer[MAX_BATCH_RECORDS];
  private ByteBuffer[] iov = new ByteBuffer[MAX_BATCH_RECORDS * 2];
  private final CRC32C writerCrc = new CRC32C();

  private final VDiskState.DeadBytes deadBytes = this::dead;
  private final Thread writer;
  private final Thread drainer;

  private record DrainAllWaiter(long targetSeq, CompletableFuture<Void> future) {}

  private FileOpLog(OpLogSettings settings) {
    this.settings = settings;
    this.dir = settings.dir();
    this.idleDelayNs = settings.drainIdleDelay().toNanos();
    for (int i = 0; i < MAX_BATCH_RECORDS; i++) {
      headerViews[i] = headers.slice(i * HEADER_LENGTH, HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    }
    writer = new Thread(this::writerLoop, "cairn-oplog-writer");
    writer.setDaemon(true);
    drainer = new Thread(this::drainerLoop, "cairn-oplog-drainer");
    drainer.setDaemon(true);
  }

  /**
   * Opens (creating if needed) the OpLog in {@code s.dir()}: replays every log file, truncates torn
   * or corrupt tails, rebuilds the index, starts a new log file and the writer and drainer threads.
   */
  public static FileOpLog open(OpLogSettings s) {
    FileOpLog log = new FileOpLog(s);
    try {
      Files.createDirectories(s.dir());
      log.replay();
      log.rollFile();
    } catch (IOException e) {
      log.closeFiles();
      throw new UncheckedIOException("cannot open OpLog in " + s.dir(), e);
    }
    log.writer.start();
    log.drainer.start();
    return log;
  }

  // ==== public API ================================================================================

  @Override
  public CompletableFuture<Void> append(long vdiskId, long offset, ByteBuf data) {
    int len = data.readableBytes();
    if (offset < 0 || offset + len < offset) {
      return CompletableFuture.failedFuture(
          new VDiskIoException(VDiskIoException.Kind.LBA_OUT_OF_RANGE, "bad range " + offset + "+" + len));
    }
    if (len == 0) return CompletableFuture.completedFuture(null);
    CompletableFuture<Void> f = new CompletableFuture<>();
    ByteBuf payload = data.retainedSlice();
    lock.lock();
    try {
      if (closing) {
        payload.release();
        return closedFuture();
      }
      VDiskState vd = vdisk(vdiskId);
      LogRecord r = new LogRecord(OpLogFormat.TYPE_DATA, vd, offset, len, f);
      r.payload = payload;
      vd.lastAppendNanos = System.nanoTime();
      submit(r);
    } finally {
      lock.unlock();
    }
    return f;
  }

  @Override
  public CompletableFuture<Void> supersede(long vdiskId, long offset, long length) {
    if (offset < 0 || length <= 0 || offset + length < offset) {
      return CompletableFuture.failedFuture(
          new VDiskIoException(VDiskIoException.Kind.LBA_OUT_OF_RANGE, "bad range " + offset + "+" + length));
    }
    return submitControl(OpLogFormat.TYPE_SUPERSEDE, vdiskId, offset, length);
  }

  @Override
  public CompletableFuture<Void> discard(long vdiskId) {
    return submitControl(OpLogFormat.TYPE_DISCARD, vdiskId, 0, 0);
  }

  private CompletableFuture<Void> submitControl(byte type, long vdiskId, long offset, long length) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    lock.lock();
    try {
      if (closing) return closedFuture();
      submit(new LogRecord(type, vdisk(vdiskId), offset, length, f));
    } finally {
      lock.unlock();
    }
    return f;
  }

  @Override
  public boolean hasUndrained(long vdiskId, long offset, long length) {
    if (length <= 0) return false;
    lock.lock();
    try {
      VDiskState vd = vdisks.get(vdiskId);
      return vd != null && !vd.pieces.isEmpty() && vd.overlapsPiece(offset, offset + length);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public OpLogCapture capture(long vdiskId, long offset, int length) {
    if (length <= 0) return OpLogCapture.empty(offset, length);
    long end = offset + length;
    ArrayList<Piece> segs;
    lock.lock();
    try {
      VDiskState vd = vdisks.get(vdiskId);
      if (vd == null || vd.pieces.isEmpty()) return OpLogCapture.empty(offset, length);
      segs = new ArrayList<>();
      Map.Entry<Long, Piece> floor = vd.pieces.floorEntry(offset);
      if (floor != null && floor.getValue().end > offset) {
        Piece p = floor.getValue();
        segs.add(new Piece(offset, Math.min(p.end, end), p.rec));
      }
      for (Piece p : vd.pieces.subMap(offset, false, end, false).values()) {
        segs.add(new Piece(p.start, Math.min(p.end, end), p.rec));
      }
      if (segs.isEmpty()) return OpLogCapture.empty(offset, length);
      pin(segs);
    } finally {
      lock.unlock();
    }
    try {
      return new OpLogCapture(offset, length, readPieces(segs));
    } catch (IOException e) {
      LOG.error("OpLog capture of vDisk {} [{}, {}) failed: {}", vdiskId, offset, end, e.toString());
      throw new VDiskIoException(
          VDiskIoException.Kind.UNRECOVERED_READ_ERROR, "OpLog read failed: " + e.getMessage(), e);
    } finally {
      unpin(segs);
    }
  }

  /** Reads segments into heap arrays, one per run of contiguous segments. */
  private static List<OpLogCapture.Piece> readPieces(ArrayList<Piece> segs) throws IOException {
    ArrayList<OpLogCapture.Piece> out = new ArrayList<>();
    SegmentReader reader = new SegmentReader();
    int i = 0;
    while (i < segs.size()) {
      int j = i + 1;
      while (j < segs.size() && segs.get(j).start == segs.get(j - 1).end) j++;
      long start = segs.get(i).start;
      byte[] bytes = new byte[(int) (segs.get(j - 1).end - start)];
      for (int k = i; k < j; k++) {
        Piece s = segs.get(k);
        reader.read(s, ByteBuffer.wrap(bytes, (int) (s.start - start), (int) s.length()));
      }
      out.add(new OpLogCapture.Piece(start, bytes));
      i = j;
    }
    return out;
  }

  @Override
  public long[] undrainedRanges(long vdiskId, long offset, long length, int maxRanges) {
    if (length <= 0 || maxRanges <= 0) return new long[0];
    long end = offset + length < offset ? Long.MAX_VALUE : offset + length;
    long[] out = new long[2 * Math.min(maxRanges, 64)];
    int n = 0;
    lock.lock();
    try {
      VDiskState vd = vdisks.get(vdiskId);
      if (vd == null || vd.pieces.isEmpty()) return new long[0];
      Map.Entry<Long, Piece> floor = vd.pieces.floorEntry(offset);
      Long from = floor != null && floor.getValue().end > offset ? floor.getKey() : vd.pieces.higherKey(offset);
      if (from == null) return new long[0];
      for (Piece p : vd.pieces.tailMap(from, true).values()) {
        if (p.start >= end) break;
        long s = Math.max(p.start, offset);
        long e = Math.min(p.end, end);
        if (n > 0 && out[n - 1] == s) {
          out[n - 1] = e; // touches the previous range
          continue;
        }
        if (n / 2 == maxRanges) break;
        if (n == out.length) out = Arrays.copyOf(out, out.length * 2);
        out[n++] = s;
        out[n++] = e;
      }
    } finally {
      lock.unlock();
    }
    return Arrays.copyOf(out, n);
  }

  @Override
  public long undrainedBytes(long vdiskId) {
    lock.lock();
    try {
      VDiskState vd = vdisks.get(vdiskId);
      return vd == null ? 0 : vd.liveBytes;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void startDrainer(DrainSink sink) {
    lock.lock();
    try {
      if (this.sink != null) throw new IllegalStateException("drainer already started");
      if (closing) throw new IllegalStateException("OpLog closed");
      this.sink = sink;
      drainerWake.signal();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public CompletableFuture<Void> drainAll() {
    lock.lock();
    try {
      if (closing) return closedFuture();
      if (sink == null) return CompletableFuture.failedFuture(new IllegalStateException("drainer not started"));
      long target = nextSeq - 1;
      if (drainedUpTo(target)) return CompletableFuture.completedFuture(null);
      CompletableFuture<Void> f = new CompletableFuture<>();
      drainAllWaiters.add(new DrainAllWaiter(target, f));
      drainerWake.signal();
      return f;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public OpLogStats stats() {
    lock.lock();
    try {
      long fileBytes = 0;
      for (LogFile f : files) fileBytes += f.size;
      return new OpLogStats(nodeLiveBytes, fileBytes, files.size(), appends, fsyncs, drainedBytes,
          replayedRecords, droppedTailRecords);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (closing) return;
      closing = true;
      // Accepted appends waiting for room are written anyway: close makes everything accepted durable.
      for (LogRecord r; (r = admissionQueue.poll()) != null; ) {
        r.vd.waiting--;
        admit(r);
      }
      writerWake.signal();
    } finally {
      lock.unlock();
    }
    joinQuietly(writer);
    ArrayList<CompletableFuture<Void>> fail = new ArrayList<>();
    lock.lock();
    try {
      stopped = true;
      for (DrainAllWaiter w : drainAllWaiters) fail.add(w.future());
      drainAllWaiters.clear();
      for (VDiskState vd : vdisks.values()) {
        for (VDiskState.Barrier b : vd.barriers) fail.add(b.future());
        vd.barriers.clear();
      }
      drainerWake.signal();
    } finally {
      lock.unlock();
    }
    joinQuietly(drainer);
    for (CompletableFuture<Void> f : fail) f.completeExceptionally(closedException());
    closeFiles();
  }

  // ==== admission and back-pressure ==============================================================

  private VDiskState vdisk(long id) {
    VDiskState vd = vdisks.get(id);
    if (vd == null) {
      vd = new VDiskState(id);
      vdisks.put(id, vd);
    }
    return vd;
  }

  /** Queues {@code r} for the writer, or for room when its vDisk or the node is over its limit. */
  private void submit(LogRecord r) {
    VDiskState vd = r.vd;
    if (vd.waiting > 0 || (r.type == OpLogFormat.TYPE_DATA && overLimit(vd, r.length))) {
      // Later records of the vDisk (of any type) queue behind, so log order stays issue order.
      admissionQueue.addLast(r);
      vd.waiting++;
      drainerWake.signal();
    } else {
      admit(r);
    }
  }

  /** Sequences {@code r} and hands it to the writer. */
  private void admit(LogRecord r) {
    if (r.type == OpLogFormat.TYPE_DATA) {
      r.vd.queuedBytes += r.length;
      nodeQueuedBytes += r.length;
    }
    r.seq = nextSeq++;
    writeQueue.addLast(r);
    writerWake.signal();
  }

  private boolean overLimit(VDiskState vd, long bytes) {
    long v = vd.admittedBytes();
    return (v > 0 && v + bytes > settings.maxVDiskBytes()) || nodeOverLimit(bytes);
  }

  private boolean nodeOverLimit(long bytes) {
    long n = nodeLiveBytes + nodeQueuedBytes;
    return n > 0 && n + bytes > settings.maxNodeBytes();
  }

  /**
   * Admits waiting records that now fit, in arrival order per vDisk. A vDisk whose head record does
   * not fit blocks only its own later records; a record that does not fit the node limit stops the
   * scan (node-wide arrival order).
   */
  private void admitWaiters() {
    if (admissionQueue.isEmpty()) return;
    long epoch = ++markEpoch;
    for (Iterator<LogRecord> it = admissionQueue.iterator(); it.hasNext(); ) {
      LogRecord r = it.next();
      VDiskState vd = r.vd;
      if (vd.mark == epoch) continue;
      if (r.type == OpLogFormat.TYPE_DATA) {
        if (nodeOverLimit(r.length)) break;
        if (overLimit(vd, r.length)) {
          vd.mark = epoch;
          continue;
        }
      }
      it.remove();
      vd.waiting--;
      admit(r);
    }
  }

  // ==== writer thread =============================================================================

  private void writerLoop() {
    ArrayList<LogRecord> batch = new ArrayList<>(MAX_BATCH_RECORDS);
    while (true) {
      batch.clear();
      long bytes = 0;
      lock.lock();
      try {
        while (writeQueue.isEmpty()) {
          if (closing) {
            writerExited = true;
            return;
          }
          writerWake.awaitUninterruptibly();
        }
        while (!writeQueue.isEmpty() && batch.size() < MAX_BATCH_RECORDS) {
          LogRecord r = writeQueue.peekFirst();
          long size = HEADER_LENGTH + r.payloadLength();
          if (!batch.isEmpty() && bytes + size > settings.groupCommitMaxBytes()) break;
          writeQueue.pollFirst();
          batch.add(r);
          bytes += size;
        }
      } finally {
        lock.unlock();
      }
      IOException failure = null;
      try {
        writeBatch(batch, bytes);
      } catch (IOException | RuntimeException e) {
        failure = e instanceof IOException io ? io : new IOException(e);
      }
      applyBatch(batch, failure);
    }
  }

  /** Writes and forces one batch into the active file (rolling first when it would not fit). */
  private void writeBatch(ArrayList<LogRecord> batch, long bytes) throws IOException {
    if (rollNeeded || (active.size > OpLogFormat.FILE_HEADER_LENGTH && active.size + bytes > settings.fileSizeBytes())) {
      rollFile();
    }
    LogFile f = active;
    long start = f.size;
    long pos = start;
    int n = 0;
    for (int i = 0; i < batch.size(); i++) {
      LogRecord r = batch.get(i);
      ByteBuffer h = headerViews[i];
      h.clear();
      OpLogFormat.writeHeader(h, 0, r.type, r.payloadLength(), r.vd.id, r.offset, r.length, r.seq);
      OpLogFormat.crcHeader(writerCrc, h, 0);
      iov = ensureCapacity(iov, n + 1 + (r.payload == null ? 0 : r.payload.nioBufferCount()));
      iov[n++] = h;
      if (r.payload != null) {
        ByteBuf p = r.payload;
        if (p.nioBufferCount() == 1) {
          n = addPayload(p.nioBuffer(), n);
        } else {
          for (ByteBuffer b : p.nioBuffers()) n = addPayload(b, n);
        }
      }
      OpLogFormat.putCrc(h, 0, (int) writerCrc.getValue());
      r.file = f;
      r.position = pos;
      pos += HEADER_LENGTH + r.payloadLength();
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
      // The file may now hold part of this batch; nothing more goes into it (replay stops at the
      // torn record, and the records after it would be unreachable). Cut it back where we can.
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

  /** Feeds a payload buffer to the record CRC and queues it for the gathering write. */
  private int addPayload(ByteBuffer b, int n) {
    int p0 = b.position();
    writerCrc.update(b);
    b.position(p0);
    iov[n] = b;
    return n + 1;
  }

  private static ByteBuffer[] ensureCapacity(ByteBuffer[] a, int n) {
    return n <= a.length ? a : Arrays.copyOf(a, Math.max(n, a.length * 2));
  }

  /**
   * Starts the next log file: header written and forced, directory forced, before any record goes
   * in (a file holding an acknowledged record must be found, with a valid header, after a crash).
   */
  private void rollFile() throws IOException {
    long seq = nextFileSeq++;
    Path path = dir.resolve(OpLogFormat.fileName(seq));
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer h = ByteBuffer.allocate(OpLogFormat.FILE_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
      OpLogFormat.writeFileHeader(h, 0, seq, System.currentTimeMillis());
      while (h.hasRemaining()) ch.write(h);
      ch.force(true);
      fsyncDir(dir);
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    LogFile f = new LogFile(seq, path, ch, OpLogFormat.FILE_HEADER_LENGTH);
    LogFile old = active;
    if (old != null && old.writeChannel != null) {
      try {
        old.writeChannel.close(); // the writer is done with it; readers use the read channel
      } catch (IOException ignored) {
        // the file keeps being read through its read channel
      }
    }
    lock.lock();
    try {
      if (old != null) old.writeChannel = null;
      files.addLast(f);
      active = f;
      rollNeeded = false;
      drainerWake.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Indexes a written batch (or releases a failed one), then completes its futures. */
  private void applyBatch(ArrayList<LogRecord> batch, IOException failure) {
    ArrayList<CompletableFuture<Void>> done = null;
    long now = System.nanoTime();
    long batchLastSeq = batch.get(batch.size() - 1).seq; // batches are in sequence order
    lock.lock();
    try {
      if (failure == null) fsyncs++;
      for (int i = 0; i < batch.size(); i++) {
        LogRecord r = batch.get(i);
        VDiskState vd = r.vd;
        if (r.type == OpLogFormat.TYPE_DATA) {
          vd.queuedBytes -= r.length;
          nodeQueuedBytes -= r.length;
        }
        if (failure != null) continue;
        boolean wasEmpty = vd.liveBytes == 0;
        index(r, now);
        if (r.type == OpLogFormat.TYPE_DATA) {
          appends++;
          if (wasEmpty || vd.liveBytes >= settings.drainThresholdBytes()) drainerWake.signal();
        } else if (r.future != null) {
          long start = r.type == OpLogFormat.TYPE_DISCARD ? 0 : r.offset;
          long end = r.type == OpLogFormat.TYPE_DISCARD ? Long.MAX_VALUE : r.offset + r.length;
          long maxRun = vd.maxInflightRunId(start, end);
          if (maxRun >= 0) {
            vd.barriers.add(new VDiskState.Barrier(start, end, maxRun, r.future));
            batch.set(i, null); // completed when those drains finish, not now
          }
        }
      }
      lastAppliedSeq = Math.max(lastAppliedSeq, batchLastSeq);
      admitWaiters(); // overwrites in this batch may have made room
      if (!drainAllWaiters.isEmpty() || !admissionQueue.isEmpty()) drainerWake.signal();
      done = completeDrainAlls(done);
    } finally {
      lock.unlock();
    }
    VDiskIoException error = failure == null ? null
        : new VDiskIoException(VDiskIoException.Kind.WRITE_ERROR, "OpLog write failed: " + failure.getMessage(), failure);
    if (failure != null) LOG.error("OpLog group commit of {} records failed", batch.size(), failure);
    for (LogRecord r : batch) {
      if (r == null) continue;
      if (r.payload != null) {
        r.payload.release();
        r.payload = null;
      }
      if (r.future == null) continue;
      if (error == null) r.future.complete(null);
      else r.future.completeExceptionally(error);
    }
    if (done != null) for (CompletableFuture<Void> f : done) f.complete(null);
  }

  /** Applies one durable record to the index (writer thread and replay; lock held). */
  private void index(LogRecord r, long now) {
    VDiskState vd = r.vd;
    switch (r.type) {
      case OpLogFormat.TYPE_DATA -> {
        r.liveBytes = r.length;
        r.file.liveBytes += r.length;
        nodeLiveBytes += r.length;
        vd.put(r.offset, r.offset + r.length, r, deadBytes);
        liveRecords.addLast(r);
        vd.lastAppendNanos = now;
      }
      case OpLogFormat.TYPE_SUPERSEDE -> vd.kill(r.offset, r.offset + r.length, null, deadBytes);
      case OpLogFormat.TYPE_DISCARD -> vd.killAll(deadBytes);
      default -> throw new IllegalStateException("record type " + r.type);
    }
  }

  /** Accounting for bytes leaving the index (lock held). */
  private void dead(LogRecord rec, long bytes) {
    rec.liveBytes -= bytes;
    rec.file.liveBytes -= bytes;
    nodeLiveBytes -= bytes;
  }

  // ==== replay ====================================================================================

  private void replay() throws IOException {
    ArrayList<Long> seqs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        long seq = OpLogFormat.parseFileName(p.getFileName().toString());
        if (seq >= 0) seqs.add(seq);
      }
    }
    seqs.sort(Long::compare);
    LogScanner scanner = new LogScanner();
    long lastSeq = 0;
    long now = System.nanoTime();
    for (long seq : seqs) {
      nextFileSeq = Math.max(nextFileSeq, seq + 1);
      Path path = dir.resolve(OpLogFormat.fileName(seq));
      FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      boolean keep = false;
      try {
        if (!scanner.readFileHeader(ch, seq)) {
          handleBadHeader(scanner, ch, path);
          continue;
        }
        LogFile file = new LogFile(seq, path, null, 0);
        LogScanner.Result res;
        lock.lock();
        try {
          res = scanner.scan(ch, lastSeq, (type, vdiskId, offset, length, recSeq, position) -> {
            LogRecord r = new LogRecord(type, vdisk(vdiskId), offset, length, null);
            r.seq = recSeq;
            r.file = file;
            r.position = position;
            index(r, now);
          });
          replayedRecords += res.records();
          droppedTailRecords += res.dropped();
        } finally {
          lock.unlock();
        }
        lastSeq = res.lastSeq();
        if (res.damage() != null && res.validEnd() < ch.size()) {
          LOG.warn("OpLog file {}: {} at byte {}; dropping {} record(s) and truncating {} -> {} bytes",
              path.getFileName(), res.damage(), res.validEnd(), res.dropped(), ch.size(), res.validEnd());
          ch.truncate(res.validEnd());
          ch.force(true);
        }
        file.size = res.validEnd();
        lock.lock();
        try {
          files.addLast(file);
        } finally {
          lock.unlock();
        }
        keep = true;
      } finally {
        ch.close();
        if (!keep) LOG.debug("OpLog file {} not kept", path.getFileName());
      }
    }
    nextSeq = lastSeq + 1;
    lastAppliedSeq = lastSeq;
    if (!seqs.isEmpty()) {
      LOG.info("OpLog replayed {} record(s) from {} file(s) in {}: {} undrained bytes, {} dropped",
          replayedRecords, seqs.size(), dir, nodeLiveBytes, droppedTailRecords);
    }
  }

  /**
   * A file whose header does not verify. If it is shorter than a header or all zeros its creation
   * was torn before the header was forced, so it never held an acknowledged record (records go in
   * only after the header is durable): it is deleted. Otherwise it is
   * kept aside as {@code .corrupt} for an operator, and its records are lost.
   */
  private void handleBadHeader(LogScanner scanner, FileChannel ch, Path path) throws IOException {
    if (ch.size() < OpLogFormat.FILE_HEADER_LENGTH || scanner.allZero(ch)) {
      LOG.warn("OpLog file {} has no valid header and no data (torn creation); deleting it", path.getFileName());
      Files.delete(path);
    } else {
      Path aside = path.resolveSibling(path.getFileName() + OpLogFormat.CORRUPT_SUFFIX);
      LOG.error("OpLog file {} has a corrupt header; its records are lost; moved to {}", path.getFileName(), aside.getFileName());
      Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
    }
    fsyncDir(dir);
  }

  // ==== drainer thread ============================================================================

  private void drainerLoop() {
    ArrayList<DrainRun> toStart = new ArrayList<>();
    ArrayList<LogFile> toDelete = new ArrayList<>();
    while (true) {
      toStart.clear();
      toDelete.clear();
      DrainSink s;
      lock.lock();
      try {
        while (true) {
          if (stopped) return;
          long now = System.nanoTime();
          collectTrimmable(now, toDelete);
          long deadline = pickRuns(now, toStart);
          if (!toStart.isEmpty() || !toDelete.isEmpty()) break;
          if (deadline == Long.MAX_VALUE) {
            drainerWake.awaitUninterruptibly();
          } else {
            try {
              drainerWake.awaitNanos(Math.max(deadline - now, TimeUnit.MILLISECONDS.toNanos(1)));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }
        s = sink;
      } finally {
        lock.unlock();
      }
      deleteFiles(toDelete);
      for (DrainRun run : toStart) startRun(s, run);
    }
  }

  /**
   * Chooses drain runs (lock held) and returns the time at which a vDisk becomes due (idle delay
   * or retry backoff), or Long.MAX_VALUE when only a signal can create work.
   */
  private long pickRuns(long now, ArrayList<DrainRun> out) {
    if (sink == null || closing) return Long.MAX_VALUE;
    long deadline = Long.MAX_VALUE;
    int slots = settings.drainConcurrency() - inflightRuns;
    candidates.clear();
    long epoch = ++markEpoch;
    boolean nodePressure = !admissionQueue.isEmpty();
    boolean drainAllPending = !drainAllWaiters.isEmpty();
    LogRecord oldest = oldestLive();
    if (oldest != null && oldest.file.seq + 1 < active.seq && due(oldest.vd, now)) {
      // the oldest undrained record holds back trimming of every file from its own on
      oldest.vd.mark = epoch;
      oldest.vd.drainCursor = oldest.offset;
      candidates.add(oldest.vd);
    }
    for (VDiskState vd : vdisks.values()) {
      if (vd.liveBytes == 0 || vd.mark == epoch) continue;
      if (!due(vd, now)) {
        deadline = Math.min(deadline, vd.retryAtNanos);
        continue;
      }
      long idleAt = vd.lastAppendNanos + idleDelayNs;
      if (nodePressure || vd.waiting > 0 || drainAllPending
          || vd.liveBytes >= settings.drainThresholdBytes() || idleAt - now <= 0) {
        candidates.add(vd);
      } else {
        deadline = Math.min(deadline, idleAt);
      }
    }
    boolean progress = true;
    while (slots > 0 && progress) {
      progress = false;
      for (int i = 0; i < candidates.size() && slots > 0; i++) {
        DrainRun run = buildRun(candidates.get(i));
        if (run != null) {
          out.add(run);
          slots--;
          progress = true;
        }
      }
    }
    return deadline;
  }

  private static boolean due(VDiskState vd, long now) {
    return vd.backoffNanos == 0 || vd.retryAtNanos - now <= 0;
  }

  private LogRecord oldestLive() {
    LogRecord r;
    while ((r = liveRecords.peekFirst()) != null && r.liveBytes == 0) liveRecords.pollFirst();
    return r;
  }

  /**
   * Builds the next run of {@code vd} from its drain cursor (wrapping once): from the first byte of
   * a piece that no in-flight run covers, over contiguous pieces, up to the next multiple of
   * drain-batch-bytes or the next in-flight run, whichever comes first. Registers the run in flight
   * and pins its files (lock held).
   */
  private DrainRun buildRun(VDiskState vd) {
    if (vd.pieces.isEmpty()) return null;
    Map.Entry<Long, Piece> e = vd.pieces.floorEntry(vd.drainCursor);
    if (e == null || e.getValue().end <= vd.drainCursor) e = vd.pieces.higherEntry(vd.drainCursor);
    Long startKey = e == null ? vd.pieces.firstKey() : e.getKey();
    Piece first = null;
    long from = 0;
    for (Piece p : vd.pieces.tailMap(startKey, true).values()) {
      from = vd.skipInflight(p.start);
      if (from < p.end) {
        first = p;
        break;
      }
    }
    if (first == null) {
      for (Piece p : vd.pieces.headMap(startKey, false).values()) {
        from = vd.skipInflight(p.start);
        if (from < p.end) {
          first = p;
          break;
        }
      }
    }
    if (first == null) return null;
    long batch = settings.drainBatchBytes();
    // The end of from's batch-aligned block, computed without overflowing near 2^63.
    long blockEnd = from + (batch - from % batch);
    if (blockEnd < 0) blockEnd = Long.MAX_VALUE;
    long limit = Math.min(blockEnd, vd.nextInflightStart(from));
    ArrayList<Piece> segs = new ArrayList<>();
    Piece p = first;
    long cur = Math.min(p.end, limit);
    segs.add(new Piece(from, cur, p.rec));
    while (cur < limit && cur == p.end) {
      Map.Entry<Long, Piece> next = vd.pieces.higherEntry(p.start);
      if (next == null || next.getKey() != cur) break;
      p = next.getValue();
      long segEnd = Math.min(p.end, limit);
      segs.add(new Piece(p.start, segEnd, p.rec));
      cur = segEnd;
    }
    DrainRun run = new DrainRun(++nextRunId, vd, from, cur, segs);
    vd.inflight.add(run);
    vd.drainCursor = cur;
    inflightRuns++;
    pin(segs);
    return run;
  }

  /** Reads a run's bytes (drainer thread, files pinned) and hands them to the sink. */
  private void startRun(DrainSink s, DrainRun run) {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(run.length(), run.length());
    try {
      SegmentReader reader = new SegmentReader();
      for (Piece seg : run.segments) {
        reader.read(seg, buf.nioBuffer((int) (seg.start - run.start), (int) seg.length()));
      }
      buf.writerIndex(run.length());
    } catch (IOException | RuntimeException e) {
      buf.release();
      LOG.error("OpLog drain of vDisk {} [{}, {}) cannot read its records: {}", run.vd.id, run.start, run.end, e.toString());
      unpin(run.segments);
      onRunComplete(run, e);
      return;
    }
    unpin(run.segments);
    run.data = buf;
    CompletableFuture<Void> f;
    try {
      f = s.drain(run.vd.id, run.start, buf);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((v, err) -> onRunComplete(run, err));
  }

  /** A drain finished (any thread): trims the index, or schedules a retry, or discards the vDisk. */
  private void onRunComplete(DrainRun run, Throwable err) {
    ArrayList<CompletableFuture<Void>> done = new ArrayList<>();
    VDiskState vd = run.vd;
    Throwable cause = unwrap(err);
    lock.lock();
    try {
      vd.inflight.remove(run);
      inflightRuns--;
      if (err == null) {
        for (Piece seg : run.segments) vd.kill(seg.start, seg.end, seg.rec, deadBytes);
        drainedBytes += run.length();
        vd.backoffNanos = 0;
      } else if (cause instanceof VDiskGoneException) {
        LOG.info("{}: discarding vDisk {}'s {} undrained OpLog bytes here", cause.getMessage(), vd.id, vd.liveBytes);
        vd.killAll(deadBytes);
        vd.backoffNanos = 0;
        if (!closing) submit(new LogRecord(OpLogFormat.TYPE_DISCARD, vd, 0, 0, null));
      } else {
        vd.backoffNanos = vd.backoffNanos == 0 ? MIN_DRAIN_BACKOFF_NS : Math.min(vd.backoffNanos * 2, MAX_DRAIN_BACKOFF_NS);
        vd.retryAtNanos = System.nanoTime() + vd.backoffNanos;
        LOG.warn("OpLog drain of vDisk {} [{}, {}) failed, retrying in {} ms: {}", vd.id, run.start, run.end,
            TimeUnit.NANOSECONDS.toMillis(vd.backoffNanos), String.valueOf(cause));
      }
      for (Iterator<VDiskState.Barrier> it = vd.barriers.iterator(); it.hasNext(); ) {
        VDiskState.Barrier b = it.next();
        if (!vd.blocksBarrier(b)) {
          it.remove();
          done.add(b.future());
        }
      }
      admitWaiters();
      completeDrainAlls(done);
      drainerWake.signal();
    } finally {
      lock.unlock();
    }
    if (run.data != null) {
      run.data.release();
      run.data = null;
    }
    for (CompletableFuture<Void> f : done) f.complete(null);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private boolean drainedUpTo(long targetSeq) {
    LogRecord oldest = oldestLive();
    return lastAppliedSeq >= targetSeq && (oldest == null || oldest.seq > targetSeq);
  }

  /** Moves completed drainAll futures into {@code done} (lock held); returns {@code done}. */
  private ArrayList<CompletableFuture<Void>> completeDrainAlls(ArrayList<CompletableFuture<Void>> done) {
    if (drainAllWaiters.isEmpty()) return done;
    ArrayList<CompletableFuture<Void>> out = done == null ? new ArrayList<>() : done;
    for (Iterator<DrainAllWaiter> it = drainAllWaiters.iterator(); it.hasNext(); ) {
      DrainAllWaiter w = it.next();
      if (drainedUpTo(w.targetSeq())) {
        it.remove();
        out.add(w.future());
      }
    }
    return out;
  }

  // ==== trimming ==================================================================================

  /**
   * Takes the files that can go (lock held): oldest first, while the oldest is not the active file,
   * holds no undrained byte and is not being read. Stopping at the first file that must stay keeps
   * the rule that a file is deleted only after every older file is.
   */
  private void collectTrimmable(long now, ArrayList<LogFile> out) {
    if (trimBlocked && trimRetryAtNanos - now > 0) return;
    trimBlocked = false;
    while (files.size() > 1) {
      LogFile f = files.peekFirst();
      if (f == active || f.liveBytes != 0 || f.pins != 0) break;
      files.pollFirst();
      out.add(f);
    }
  }

  /**
   * Deletes trimmed files in order, forcing the directory after each, so that no file's deletion can
   * become durable before an older one's. On failure the remaining files go back to the head of the
   * list, untouched, and trimming is retried later.
   */
  private void deleteFiles(ArrayList<LogFile> trimmed) {
    for (int i = 0; i < trimmed.size(); i++) {
      LogFile f = trimmed.get(i);
      try {
        Files.deleteIfExists(f.path);
        fsyncDir(dir);
        f.close();
      } catch (IOException e) {
        LOG.error("cannot delete OpLog file {}; retrying later", f.path, e);
        lock.lock();
        try {
          for (int j = trimmed.size() - 1; j >= i; j--) files.addFirst(trimmed.get(j));
          trimBlocked = true;
          trimRetryAtNanos = System.nanoTime() + TRIM_RETRY_NS;
        } finally {
          lock.unlock();
        }
        return;
      }
    }
  }

  // ==== reading records ===========================================================================

  private static void pinFiles(List<Piece> segs, int delta) {
    for (int i = 0, n = segs.size(); i < n; i++) segs.get(i).rec.file.pins += delta;
  }

  private void pin(List<Piece> segs) {
    pinFiles(segs, 1);
  }

  private void unpin(List<Piece> segs) {
    lock.lock();
    try {
      pinFiles(segs, -1);
      for (int i = 0, n = segs.size(); i < n; i++) {
        LogFile f = segs.get(i).rec.file;
        if (f.pins == 0 && f.liveBytes == 0) {
          drainerWake.signal(); // a trim may have waited for this reader
          break;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reads segments for one capture or drain run. A segment that is a whole record is read straight
   * into its destination and verified there; a part of a record needs the whole record to check its
   * CRC, so each such record is read and verified once per capture/run and kept for its other
   * segments (a record split by newer writes into many pieces is read once, not once per piece).
   */
  private static final class SegmentReader {
    private java.util.IdentityHashMap<LogRecord, ByteBuffer> whole;

    void read(Piece seg, ByteBuffer dst) throws IOException {
      LogRecord rec = seg.rec;
      long from = seg.start - rec.offset;
      int n = (int) seg.length();
      if (from == 0 && n == rec.length) {
        readVerified(rec, dst);
        return;
      }
      if (whole == null) whole = new java.util.IdentityHashMap<>();
      ByteBuffer payload = whole.get(rec);
      if (payload == null) {
        payload = ByteBuffer.allocate((int) rec.length);
        readVerified(rec, payload);
        whole.put(rec, payload);
      }
      dst.put(dst.position(), payload, (int) from, n);
    }
  }

  /**
   * Reads the whole payload of DATA record {@code rec} into {@code dst}'s next {@code rec.length}
   * bytes and verifies the record's header and CRC. The file must be pinned. On a mismatch it
   * throws, and nothing written into {@code dst} may be used (the caller drops it).
   */
  static void readVerified(LogRecord rec, ByteBuffer dst) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    rec.file.readFully(header, rec.position);
    if (OpLogFormat.magic(header, 0) != OpLogFormat.RECORD_MAGIC
        || OpLogFormat.type(header, 0) != OpLogFormat.TYPE_DATA
        || OpLogFormat.sequence(header, 0) != rec.seq
        || OpLogFormat.vdiskId(header, 0) != rec.vd.id
        || OpLogFormat.offset(header, 0) != rec.offset
        || OpLogFormat.length(header, 0) != rec.length
        || OpLogFormat.payloadLength(header, 0) != rec.length) {
      throw new IOException("OpLog record " + rec.seq + " in " + rec.file + " at " + rec.position + ": header changed");
    }
    CRC32C crc = new CRC32C();
    OpLogFormat.crcHeader(crc, header, 0);
    int p0 = dst.position();
    rec.file.readFully(dst, rec.payloadPosition());
    ByteBuffer d = dst.duplicate();
    d.limit(p0 + (int) rec.length).position(p0);
    crc.update(d);
    if ((int) crc.getValue() != OpLogFormat.crc(header, 0)) {
      throw new IOException("OpLog record " + rec.seq + " in " + rec.file + " at " + rec.position + " fails its checksum");
    }
  }

  // ==== misc ======================================================================================

  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private void closeFiles() {
    lock.lock();
    try {
      for (LogFile f : files) f.close();
    } finally {
      lock.unlock();
    }
  }

  private static void joinQuietly(Thread t) {
    boolean interrupted = false;
    while (t.isAlive()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  private static VDiskIoException closedException() {
    return new VDiskIoException(VDiskIoException.Kind.NOT_READY, "OpLog closed");
  }

  private static <T> CompletableFuture<T> closedFuture() {
    return CompletableFuture.failedFuture(closedException());
  }

  @Override
  public String toString() {
    return "FileOpLog[" + dir + "]";
  }
}
