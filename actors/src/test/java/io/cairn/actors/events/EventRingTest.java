package io.cairn.actors.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventRingTest {

  private static ClusterEvent event(String kind, int i) {
    return ClusterEvent.of(kind, ClusterEvent.Severity.INFO, "event " + i).withOrigin("n1", 1000 + i);
  }

  private static List<Long> seqs(List<SequencedEvent> events) {
    return events.stream().map(SequencedEvent::seq).toList();
  }

  @Test
  void shouldNumberEventsFromOneInArrivalOrder() {
    EventRing ring = new EventRing(4);
    assertEquals(0, ring.lastSeq());
    assertEquals(1, ring.append(event("member.up", 1)).seq());
    assertEquals(2, ring.append(event("member.up", 2)).seq());
    assertEquals(2, ring.lastSeq());
    assertEquals(2, ring.size());
  }

  @ParameterizedTest
  @CsvSource({
      // capacity, appended, asked, expected first seq, expected count
      "4, 3, 10, 1, 3",
      "4, 4, 4, 1, 4",
      "4, 10, 10, 7, 4",
      "4, 10, 2, 9, 2",
      "1, 5, 3, 5, 1",
      "4, 10, 0, 0, 0",
  })
  void shouldKeepOnlyTheNewestCapacityEventsOldestFirst(int capacity, int appended, int asked, long first, int count) {
    EventRing ring = new EventRing(capacity);
    for (int i = 1; i <= appended; i++) ring.append(event("member.up", i));

    List<SequencedEvent> last = ring.last(asked, null);

    assertEquals(count, last.size());
    assertEquals(Math.min(capacity, appended), ring.size());
    for (int i = 0; i < count; i++) {
      assertEquals(first + i, last.get(i).seq());
      assertEquals("event " + (first + i), last.get(i).event().message());
    }
  }

  @Test
  void shouldFilterByKindPrefixAmongTheBufferedEvents() {
    EventRing ring = new EventRing(5);
    ring.append(event("member.up", 1));
    ring.append(event("rebuild.started", 2));
    ring.append(event("member.unreachable", 3));
    ring.append(event("rebuild.finished", 4));
    ring.append(event("member.removed", 5));
    ring.append(event("disk.offline", 6)); // pushes seq 1 out

    assertEquals(List.of(3L, 5L), seqs(ring.last(10, "member.")));
    assertEquals(List.of(5L), seqs(ring.last(1, "member.")));
    assertEquals(List.of(2L, 4L), seqs(ring.last(10, "rebuild")));
    assertEquals(List.of(), seqs(ring.last(10, "capacity.")));
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L), seqs(ring.last(10, "")));
  }

  @Test
  void shouldRefuseAnEmptyRing() {
    assertThrows(IllegalArgumentException.class, () -> new EventRing(0));
  }
}
