package io.cairn.datapath.oplog;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Everything the OpLog keeps per vDisk: the newest-wins interval map of undrained pieces, admission
 * accounting, drain bookkeeping. Guarded by the OpLog's lock (no method here locks).
 */
final class VDiskState {

  /** Told about every byte that leaves the index, so per-record/file/node accounting stays exact. */
  interface DeadBytes {
    void dead(LogRecord rec, long bytes);
  }

  /** A SUPERSEDE or DISCARD waiting for in-flight drains (id &lt;= maxRunId) over its range. */
  record Barrier(long start, long end, long maxRunId, CompletableFuture<Void> future) {}

  final long id;
  /** Non-overlapping pieces keyed by their start offset. */
  final TreeMap<Long, Piece> pieces = new TreeMap<>();
  /** Sum of the pieces' lengths. */
  long liveBytes;
  /** DATA bytes admitted to the write queue, not yet indexed. */
  long queuedBytes;
  /** Records of this vDisk in the admission queue (each later record of the vDisk queues behind). */
  int waiting;
  long lastAppendNanos;
  final ArrayList<DrainRun> inflight = new ArrayList<>(2);
  final ArrayList<Barrier> barriers = new ArrayList<>(0);
  /** When a failed drain may be retried (valid while {@link #backoffNanos} &gt; 0). */
  long retryAtNanos;
  long backoffNanos;
  /** Where the next drain run of this vDisk starts looking (offset order, wrapping). */
  long drainCursor;
  /** Marker used by the drainer and the admission scan to visit a vDisk once per pass. */
  long mark;

  VDiskState(long id) {
    this.id = id;
  }

  long admittedBytes() {
    return liveBytes + queuedBytes;
  }

  /** Makes {@code rec}'s bytes {@code [start, end)} the newest; older overlapping pieces lose the range. */
  void put(long start, long end, LogRecord rec, DeadBytes dead) {
    kill(start, end, null, dead);
    pieces.put(start, new Piece(start, end, rec));
    liveBytes += end - start;
  }

  /**
   * Removes the bytes of {@code [start, end)} from the index; only those of record {@code only} when
   * it is not null. Returns the bytes removed.
   */
  long kill(long start, long end, LogRecord only, DeadBytes dead) {
    long removed = 0;
    Map.Entry<Long, Piece> before = pieces.lowerEntry(start);
    if (before != null) {
      Piece p = before.getValue();
      if (p.end > start && (only == null || p.rec == only)) {
        long cut = Math.min(p.end, end);
        if (p.end > end) pieces.put(end, new Piece(end, p.end, p.rec));
        p.end = start;
        removed += cut - start;
        dead.dead(p.rec, cut - start);
      }
    }
    Piece tail = null;
    NavigableMap<Long, Piece> inside = pieces.subMap(start, true, end, false);
    for (Iterator<Piece> it = inside.values().iterator(); it.hasNext(); ) {
      Piece p = it.next();
      if (only != null && p.rec != only) continue;
      it.remove();
      long cut = Math.min(p.end, end);
      if (p.end > end) tail = new Piece(end, p.end, p.rec);
      removed += cut - p.start;
      dead.dead(p.rec, cut - p.start);
    }
    if (tail != null) pieces.put(end, tail);
    liveBytes -= removed;
    return removed;
  }

  /** Removes every piece. */
  void killAll(DeadBytes dead) {
    for (Piece p : pieces.values()) dead.dead(p.rec, p.length());
    pieces.clear();
    liveBytes = 0;
  }

  /** Whether any piece overlaps {@code [start, end)}. */
  boolean overlapsPiece(long start, long end) {
    Map.Entry<Long, Piece> floor = pieces.floorEntry(start);
    if (floor != null && floor.getValue().end > start) return true;
    Long next = pieces.higherKey(start);
    return next != null && next < end;
  }

  /** Whether an in-flight drain run overlaps {@code [start, end)}. */
  boolean overlapsInflight(long start, long end) {
    for (int i = 0, n = inflight.size(); i < n; i++) {
      if (inflight.get(i).overlaps(start, end)) return true;
    }
    return false;
  }

  /** The first offset at or after {@code from} that no in-flight run covers. */
  long skipInflight(long from) {
    long s = from;
    boolean moved = true;
    while (moved) {
      moved = false;
      for (int i = 0, n = inflight.size(); i < n; i++) {
        DrainRun r = inflight.get(i);
        if (r.start <= s && s < r.end) {
          s = r.end;
          moved = true;
        }
      }
    }
    return s;
  }

  /** The lowest start of an in-flight run after {@code from}, or Long.MAX_VALUE. */
  long nextInflightStart(long from) {
    long min = Long.MAX_VALUE;
    for (int i = 0, n = inflight.size(); i < n; i++) {
      long st = inflight.get(i).start;
      if (st > from && st < min) min = st;
    }
    return min;
  }

  /** The highest id of an in-flight run overlapping {@code [start, end)}, or -1. */
  long maxInflightRunId(long start, long end) {
    long max = -1;
    for (int i = 0, n = inflight.size(); i < n; i++) {
      DrainRun r = inflight.get(i);
      if (r.overlaps(start, end)) max = Math.max(max, r.id);
    }
    return max;
  }

  /** Whether a run with id &lt;= {@code maxRunId} overlapping the range is still in flight. */
  boolean blocksBarrier(Barrier b) {
    for (int i = 0, n = inflight.size(); i < n; i++) {
      DrainRun r = inflight.get(i);
      if (r.id <= b.maxRunId() && r.overlaps(b.start(), b.end())) return true;
    }
    return false;
  }
}
