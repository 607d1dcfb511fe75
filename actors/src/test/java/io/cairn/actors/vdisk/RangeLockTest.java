package io.cairn.actors.vdisk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The controller's range lock: shared holds overlap, exclusive ones wait, requests are served in order. */
class RangeLockTest {

  private final List<String> granted = new ArrayList<>();
  private final RangeLock lock = new RangeLock(Runnable::run);

  private RangeLock.Hold acquire(String name, long start, long end, boolean exclusive) {
    RangeLock.Hold h = lock.acquire(start, end, exclusive, () -> granted.add(name));
    if (h.grantedAtOnce()) granted.add(name + " at once");
    return h;
  }

  @Test
  void shouldLetOverlappingSharedHoldsAndDisjointExclusiveHoldsRunTogether() {
    acquire("r1", 0, 100, false);
    acquire("r2", 50, 150, false);
    acquire("x", 200, 300, true);
    assertEquals(List.of("r1 at once", "r2 at once", "x at once"), granted);
  }

  @Test
  void shouldMakeAnExclusiveHoldWaitForEveryOverlappingHoldBeforeIt() {
    RangeLock.Hold w1 = acquire("w1", 0, 4096, false);
    RangeLock.Hold w2 = acquire("w2", 4096, 8192, false);
    acquire("caw", 1000, 5000, true);
    lock.release(w1);
    assertFalse(granted.contains("caw"), "w2 still overlaps");
    lock.release(w2);
    assertEquals(List.of("w1 at once", "w2 at once", "caw"), granted);
  }

  @Test
  void shouldQueueLaterSharedHoldsBehindAWaitingExclusiveOneSoItIsNotStarved() {
    RangeLock.Hold r1 = acquire("r1", 0, 100, false);
    RangeLock.Hold unmap = acquire("unmap", 0, 100, true);
    acquire("r2", 50, 60, false);
    acquire("elsewhere", 500, 600, false);
    assertEquals(List.of("r1 at once", "elsewhere at once"), granted);
    lock.release(r1);
    assertEquals(List.of("r1 at once", "elsewhere at once", "unmap"), granted);
    lock.release(unmap);
    assertEquals(List.of("r1 at once", "elsewhere at once", "unmap", "r2"), granted);
  }

  @Test
  void shouldTreatTouchingRangesAsDisjoint() {
    acquire("a", 0, 4096, true);
    acquire("b", 4096, 8192, true);
    assertEquals(List.of("a at once", "b at once"), granted);
  }

  @Test
  void shouldRefuseToReleaseAHoldTwice() {
    RangeLock.Hold h = acquire("a", 0, 1, true);
    lock.release(h);
    assertThrows(IllegalStateException.class, () -> lock.release(h));
    assertEquals(0, lock.size());
    assertTrue(granted.contains("a at once"));
  }
}
