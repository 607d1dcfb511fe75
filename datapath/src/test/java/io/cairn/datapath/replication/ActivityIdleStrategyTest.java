package io.cairn.datapath.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Short parks right after work, doubling parks up to the maximum once idle past the window, reset by work. */
class ActivityIdleStrategyTest {

  private static final long US = 1_000L;

  @Test
  void shouldParkShortlyWhileActiveAndBackOffOnceIdle() throws Exception {
    ActivityIdleStrategy idle = new ActivityIdleStrategy(10 * US, 80 * US, 20_000 * US); // 20 ms window
    idle.idle(1);
    assertEquals(10 * US, idle.nextParkNs(), "right after work: the active park");
    idle.idle(0);
    assertEquals(10 * US, idle.nextParkNs(), "still within the window: no back-off");

    ActivityIdleStrategy quiet = new ActivityIdleStrategy(10 * US, 80 * US, 0); // no window: backs off at once
    long[] parks = new long[6];
    for (int i = 0; i < parks.length; i++) {
      parks[i] = quiet.nextParkNs();
      quiet.idle(0);
    }
    assertEquals(java.util.List.of(10 * US, 20 * US, 40 * US, 80 * US, 80 * US, 80 * US),
        java.util.Arrays.stream(parks).boxed().toList(), "doubling up to the maximum");
    quiet.idle(3);
    assertEquals(10 * US, quiet.nextParkNs(), "work resets the back-off");
  }

  @Test
  void shouldRefuseInconsistentParks() {
    assertThrows(IllegalArgumentException.class, () -> new ActivityIdleStrategy(0, 10, 0));
    assertThrows(IllegalArgumentException.class, () -> new ActivityIdleStrategy(20, 10, 0));
  }
}
