package io.cairn.actors.vdisk;

import java.util.ArrayList;
import java.util.concurrent.Executor;

/**
 * A fair, non-blocking reader-writer lock over byte ranges of one vDisk, by which the controller
 * orders the front-end I/O that must not interleave: reads and writes take shared holds (they may
 * overlap each other; the OpLog orders overlapping writes), COMPARE AND WRITE and unmap take
 * exclusive ones (nothing overlapping runs while they do). A request waits while an earlier request
 * (held or still waiting) conflicts with it, so a stream of writes cannot starve an unmap, and
 * disjoint ranges never wait for each other. OpLog drains take no hold: they only move bytes the
 * OpLog already ordered, and an unmap waits for them through its SUPERSEDE record instead.
 *
 * <p>Threading: {@link #acquire} is called on the controller's actor thread; {@link #release} on
 * whichever thread finishes the I/O. A request that cannot be granted at once is handed, when it is
 * granted, to the executor given at construction (the controller sends it to itself), never run on
 * the releasing thread. All state is guarded by this object's monitor; requests in flight are few
 * (the initiators' queue depth), so the queue is a list scanned in order.
 */
final class RangeLock {

  /** One request, granted or waiting. */
  static final class Hold {
    final long start;
    final long end;
    final boolean exclusive;
    /** Runs once a waiting request is granted; null for one granted at once. */
    private Runnable onGranted;
    /** Guarded by the lock's monitor. */
    private boolean granted;
    /** Whether {@link #acquire} granted it at once; read by the acquiring thread only. */
    private boolean immediate;

    private Hold(long start, long end, boolean exclusive) {
      this.start = start;
      this.end = end;
      this.exclusive = exclusive;
    }

    /** Whether the request was granted inside {@link #acquire}; only for the acquiring thread. */
    boolean grantedAtOnce() {
      return immediate;
    }

    boolean conflicts(Hold o) {
      return (exclusive || o.exclusive) && start < o.end && o.start < end;
    }
  }

  private final Executor deferred;
  private final ArrayList<Hold> queue = new ArrayList<>(8); // arrival order; guarded by this

  /** @param deferred runs the continuation of a request granted after it waited */
  RangeLock(Executor deferred) {
    this.deferred = deferred;
  }

  /**
   * Requests {@code [start, end)}. When nothing earlier conflicts the hold is granted at once and
   * {@code onGranted} is not used: the caller continues inline (see {@link Hold#grantedAtOnce}).
   * Otherwise {@code onGranted} is handed to the deferred executor once the request is granted.
   * Either way the caller must {@link #release} the hold exactly once.
   */
  synchronized Hold acquire(long start, long end, boolean exclusive, Runnable onGranted) {
    Hold h = new Hold(start, end, exclusive);
    queue.add(h);
    if (!blocked(h)) {
      h.granted = true;
      h.immediate = true;
    } else {
      h.onGranted = onGranted;
    }
    return h;
  }

  /** Gives the hold back and grants the waiting requests it (or anything before them) held up. */
  void release(Hold h) {
    ArrayList<Runnable> run = null;
    synchronized (this) {
      if (!queue.remove(h)) throw new IllegalStateException("hold released twice");
      for (int i = 0, n = queue.size(); i < n; i++) {
        Hold w = queue.get(i);
        if (w.granted || blocked(w)) continue;
        w.granted = true;
        if (run == null) run = new ArrayList<>(2);
        run.add(w.onGranted);
      }
    }
    if (run != null) for (Runnable r : run) deferred.execute(r);
  }

  /** Requests queued or held (for tests and stats). */
  synchronized int size() {
    return queue.size();
  }

  private boolean blocked(Hold h) {
    for (int i = 0, n = queue.size(); i < n; i++) {
      Hold o = queue.get(i);
      if (o == h) return false;
      if (o.conflicts(h)) return true;
    }
    throw new IllegalStateException("hold not queued");
  }
}
