package io.cairn.actors.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterEventTest {

  @Test
  void shouldLeaveNodeAndTimeToThePublisher() {
    ClusterEvent e = ClusterEvent.of(ClusterEvent.REBUILD_FINISHED, ClusterEvent.Severity.INFO, "done");
    assertFalse(e.published());
    assertEquals(0, e.timeMs());
    assertEquals("", e.node());

    ClusterEvent p = e.withOrigin("node-1", 1_765_000_000_000L);

    assertTrue(p.published());
    assertEquals("node-1", p.node());
    assertEquals(1_765_000_000_000L, p.timeMs());
    assertEquals(e.kind(), p.kind());
  }

  @Test
  void shouldKeepDetailsInOrderWithIntsWidenedToLongs() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("egroup", 42);
    d.put("bytes", 4L << 20);
    d.put("ratio", 0.8f);
    d.put("repaired", true);
    d.put("disk", "disk-0");

    ClusterEvent e = ClusterEvent.of(ClusterEvent.CHECKSUM_REPAIRED, ClusterEvent.Severity.WARNING, "repaired", d);

    assertEquals(List.of("egroup", "bytes", "ratio", "repaired", "disk"), List.copyOf(e.details().keySet()));
    assertEquals(42L, e.details().get("egroup"));
    assertEquals((double) 0.8f, e.details().get("ratio"));
    assertEquals("42", e.detail("egroup"));
    assertEquals("", e.detail("absent"));
    assertThrows(UnsupportedOperationException.class, () -> e.details().put("x", "y"));
  }

  @Test
  void shouldMakeTheMessageOneLine() {
    ClusterEvent e = ClusterEvent.of("disk.offline", ClusterEvent.Severity.CRITICAL, "  disk-1 failed:\n  I/O error\r\n ");
    assertEquals("disk-1 failed: I/O error", e.message());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "member", "Member.up", "member..up", ".member", "member.up.", "member.1up", "member up",
      "rebuild_started.x"})
  void shouldRefuseAKindThatIsNotDottedLowerCaseWords(String kind) {
    assertThrows(IllegalArgumentException.class, () -> ClusterEvent.of(kind, ClusterEvent.Severity.INFO, "m"));
  }

  @Test
  void shouldAcceptEveryKindOfTheCatalogue() {
    for (String kind : List.of(ClusterEvent.MEMBER_UP, ClusterEvent.MEMBER_UNREACHABLE, ClusterEvent.MEMBER_REACHABLE,
        ClusterEvent.MEMBER_DOWNED, ClusterEvent.MEMBER_REMOVED, ClusterEvent.DISK_OFFLINE, ClusterEvent.DISK_ONLINE,
        ClusterEvent.DISK_REMOVED, ClusterEvent.REBUILD_STARTED, ClusterEvent.REBUILD_PROGRESS, ClusterEvent.REBUILD_FINISHED,
        ClusterEvent.CHECKSUM_REPAIRED, ClusterEvent.OVER_REPLICATION_REMOVED, ClusterEvent.CAPACITY_OVER_THRESHOLD)) {
      assertEquals(kind, ClusterEvent.of(kind, ClusterEvent.Severity.INFO, "m").kind());
    }
  }

  @Test
  void shouldRefuseBadDetailsAndEmptyMessages() {
    assertThrows(IllegalArgumentException.class,
        () -> ClusterEvent.of("disk.offline", ClusterEvent.Severity.INFO, "m", Map.of("when", java.time.Instant.EPOCH)));
    assertThrows(IllegalArgumentException.class,
        () -> ClusterEvent.of("disk.offline", ClusterEvent.Severity.INFO, "m", Map.of("1st", "x")));
    assertThrows(IllegalArgumentException.class,
        () -> ClusterEvent.of("disk.offline", ClusterEvent.Severity.INFO, "m", Map.of("r", Double.NaN)));
    Map<String, Object> nullValue = new LinkedHashMap<>();
    nullValue.put("x", null);
    assertThrows(IllegalArgumentException.class, () -> ClusterEvent.of("disk.offline", ClusterEvent.Severity.INFO, "m", nullValue));
    assertThrows(IllegalArgumentException.class, () -> ClusterEvent.of("disk.offline", ClusterEvent.Severity.INFO, " \n"));
    assertThrows(IllegalArgumentException.class, () -> ClusterEvent.of("disk.offline", null, "m"));
  }

  @Test
  void shouldMatchKindPrefixes() {
    ClusterEvent e = ClusterEvent.of("member.unreachable", ClusterEvent.Severity.WARNING, "m");
    assertTrue(e.matches(null));
    assertTrue(e.matches(""));
    assertTrue(e.matches("member."));
    assertTrue(e.matches("member.unreachable"));
    assertFalse(e.matches("rebuild"));
  }
}
