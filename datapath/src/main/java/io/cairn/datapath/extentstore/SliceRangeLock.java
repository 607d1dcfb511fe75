package io.cairn.datapath.extentstore;

import java.util.ArrayList;

/**
 * A fair reader-writer lock over slice ranges of one extent group. Shared holds of overlapping
 * ranges coexist; an exclusive hold excludes every overlapping hold. Requests are served in arrival
 * order: a request waits while any earlier request (held or still waiting) conflicts with it, so
 * writers are not starved by a stream of readers. Disjoint ranges never wait for each other.
 *
 * <p>Called on the extent store's I/O threads, which may block here; a holder never waits for
 * another I/O thread while holding, so blocking cannot deadlock the pool.
 */
final class SliceRangeLock {

  /** One request, granted or waiting. */
  static final class Hold {
    final int first;
    final int end;
    final boolean exclusive;

    Hold(int first, int end, boolean exclusive) {
      this.first = first;
      this.end = end;
      this.exclusive = exclusive;
    }

    boolean conflicts(Hold o) {
      return (exclusive || o.exclusive) && first < o.end && o.first < end;
    }
  }

  private final ArrayList<Hold> queue = new ArrayList<>(4); // arrival order; guarded by this

  /** Blocks until slices {@code [first, end)} are held; uninterruptible. */
  Hold acquire(int first, int end, boolean exclusive) {
    Hold h = new Hold(first, end, exclusive);
    boolean interrupted = false;
    synchronized (this) {
      queue.add(h);
      while (blocked(h)) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    return h;
  }

  synchronized void release(Hold h) {
    queue.remove(h);
    notifyAll();
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
