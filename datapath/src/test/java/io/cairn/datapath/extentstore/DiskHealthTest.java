package io.cairn.datapath.extentstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.DiskHealthSettings;
import io.cairn.datapath.extentstore.DiskHealth.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offline, held and removal rules of {@link DiskHealth}, and what survives a restart. */
class DiskHealthTest {

  static final DiskHealthSettings SETTINGS = new DiskHealthSettings(Duration.ofSeconds(30), Duration.ofSeconds(30), 3,
      Duration.ofHours(1), false);

  @TempDir
  Path dir;

  private final AtomicLong now = new AtomicLong(1_000_000);

  private DiskHealth health() {
    return new DiskHealth(List.of("d0", "d1"), SETTINGS, dir.resolve("disk-health.properties"), now::get);
  }

  @Test
  void shouldHoldADiskTakenOfflineThreeTimesWithinTheHourUntilAnOperatorClearsIt() {
    DiskHealth h = health();
    assertEquals(State.OFFLINE, h.wentOffline("d0", "I/O error"));
    assertTrue(h.probePassed("d0"));
    now.addAndGet(Duration.ofMinutes(20).toMillis());
    assertEquals(State.OFFLINE, h.wentOffline("d0", "I/O error"));
    assertTrue(h.probePassed("d0"));
    now.addAndGet(Duration.ofMinutes(20).toMillis());
    assertEquals(State.HELD, h.wentOffline("d0", "I/O error"), "the third within the hour");
    assertFalse(h.probePassed("d0"), "no probe brings a held disk back");
    assertEquals(State.HELD, h.state("d0"));
    assertTrue(h.statuses().get(0).reason().contains("held for an operator"), h.statuses().toString());
    assertEquals(State.ONLINE, h.state("d1"), "the other disk is untouched");

    assertEquals(State.HELD, h.clear("d0"));
    assertEquals(State.ONLINE, h.state("d0"));
    assertEquals(0, h.statuses().get(0).offlinesInWindow(), "a clear forgets the offlines");
  }

  @Test
  void shouldForgetOfflinesOlderThanTheWindow() {
    DiskHealth h = health();
    h.wentOffline("d0", "e");
    h.probePassed("d0");
    h.wentOffline("d0", "e");
    h.probePassed("d0");
    now.addAndGet(Duration.ofMinutes(61).toMillis());
    assertEquals(State.OFFLINE, h.wentOffline("d0", "e"), "the first two are more than an hour old");
    assertEquals(1, h.statuses().get(0).offlinesInWindow());
  }

  @Test
  void shouldKeepHeldAndRemovalStatesAcrossRestartsButNotOfflineOnes() throws Exception {
    DiskHealth h = health();
    for (int i = 0; i < 3; i++) h.wentOffline("d0", "I/O error");
    assertTrue(h.remove("d1"));
    assertFalse(h.remove("d1"), "already removing");
    DiskHealth again = health();
    assertEquals(State.HELD, again.state("d0"));
    assertEquals(State.REMOVING, again.state("d1"));
    assertTrue(again.removalDone("d1"));
    assertEquals(State.REMOVED, health().state("d1"));
    assertEquals(State.REMOVED, health().wentOffline("d1", "e"), "a removed disk stays removed");

    DiskHealth cleared = health();
    cleared.clear("d0");
    cleared.clear("d1");
    cleared.wentOffline("d0", "one error");
    DiskHealth restarted = health();
    assertEquals(State.ONLINE, restarted.state("d0"), "an offline disk is checked again at start, not kept offline");
    assertEquals(State.ONLINE, restarted.state("d1"));
    assertTrue(Files.exists(dir.resolve("disk-health.properties")));
    assertThrows(IllegalArgumentException.class, () -> restarted.state("d9"));
  }
}
