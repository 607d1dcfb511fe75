package io.cairn.datapath.replication;

import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.IdleStrategy;

/**
 * An idle strategy that never spins: while the thread has had work within the last {@code
 * activeWindowNs} it parks {@code activeParkNs} at a time (a short sleep, so a frame arriving during
 * a burst waits little); once it has been idle longer, the parks double up to {@code maxParkNs}
 * (so an idle node costs almost nothing). Under replication traffic a hop of a frame (poll thread,
 * media driver) then adds tens of microseconds instead of up to a millisecond.
 *
 * <p>One instance per thread (not thread-safe), as Aeron's idle strategies.
 */
final class ActivityIdleStrategy implements IdleStrategy {

  private final long activeParkNs;
  private final long maxParkNs;
  private final long activeWindowNs;
  private long lastWorkNs = System.nanoTime();
  private long parkNs;

  ActivityIdleStrategy(long activeParkNs, long maxParkNs, long activeWindowNs) {
    if (activeParkNs <= 0 || maxParkNs < activeParkNs || activeWindowNs < 0) {
      throw new IllegalArgumentException("activeParkNs " + activeParkNs + ", maxParkNs " + maxParkNs + ", window " + activeWindowNs);
    }
    this.activeParkNs = activeParkNs;
    this.maxParkNs = maxParkNs;
    this.activeWindowNs = activeWindowNs;
    this.parkNs = activeParkNs;
  }

  @Override
  public void idle(int workCount) {
    if (workCount > 0) {
      reset();
      return;
    }
    idle();
  }

  @Override
  public void idle() {
    if (System.nanoTime() - lastWorkNs < activeWindowNs) {
      LockSupport.parkNanos(activeParkNs);
      return;
    }
    LockSupport.parkNanos(parkNs);
    parkNs = Math.min(maxParkNs, parkNs << 1);
  }

  @Override
  public void reset() {
    lastWorkNs = System.nanoTime();
    parkNs = activeParkNs;
  }

  /** The park of the next idle call (for tests). */
  long nextParkNs() {
    return System.nanoTime() - lastWorkNs < activeWindowNs ? activeParkNs : parkNs;
  }

  @Override
  public String alias() {
    return "cairn-activity";
  }
}
