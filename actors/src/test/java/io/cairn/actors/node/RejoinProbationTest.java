package io.cairn.actors.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.config.HostPort;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A returning node proves itself stable before it takes new replicas; placement falls back when it must. */
class RejoinProbationTest {

  private static final long MIN = Duration.ofMinutes(1).toNanos();

  @Test
  void shouldPutOnlyAReturningNodeOnProbationUntilItHasBeenAMemberLongEnough() {
    RejoinProbation p = new RejoinProbation(Duration.ofMinutes(5));
    assertEquals(Set.of(), p.update(Set.of("n1", "n2", "n3"), "n1", 0), "first sight: nobody has to prove anything");
    assertEquals(Set.of(), p.update(Set.of("n1", "n2"), "n1", MIN), "n3 gone");
    assertEquals(Set.of("n3"), p.update(Set.of("n1", "n2", "n3"), "n1", 2 * MIN), "n3 back: on probation");
    assertEquals(Set.of("n3"), p.update(Set.of("n1", "n2", "n3"), "n1", 6 * MIN), "4 minutes back");
    assertEquals(Set.of(), p.update(Set.of("n1", "n2", "n3"), "n1", 7 * MIN), "5 minutes back: stable");
    assertEquals(Set.of(), p.update(Set.of("n1", "n2", "n3", "n4"), "n1", 8 * MIN), "a new node is not on probation");

    p.update(Set.of("n1", "n2", "n4"), "n1", 9 * MIN);
    assertEquals(Set.of("n3"), p.update(Set.of("n1", "n2", "n3", "n4"), "n1", 10 * MIN));
    p.update(Set.of("n1", "n2", "n4"), "n1", 12 * MIN); // flaps while on probation
    assertEquals(Set.of("n3"), p.update(Set.of("n1", "n2", "n3", "n4"), "n1", 13 * MIN));
    assertEquals(Set.of("n3"), p.update(Set.of("n1", "n2", "n3", "n4"), "n1", 17 * MIN), "the streak started again at 13");
    assertEquals(Set.of(), p.update(Set.of("n1", "n2", "n3", "n4"), "n1", 18 * MIN));
  }

  @Test
  void shouldNeverPutThisNodeOrAnyoneOnProbationWhenTheDelayIsZero() {
    RejoinProbation self = new RejoinProbation(Duration.ofMinutes(5));
    self.update(Set.of("n1", "n2"), "n1", 0);
    self.update(Set.of("n2"), "n1", MIN);
    assertEquals(Set.of(), self.update(Set.of("n1", "n2"), "n1", 2 * MIN), "this node itself");
    RejoinProbation off = new RejoinProbation(Duration.ZERO);
    off.update(Set.of("n1", "n2"), "n1", 0);
    off.update(Set.of("n1"), "n1", MIN);
    assertEquals(Set.of(), off.update(Set.of("n1", "n2"), "n1", 2 * MIN));
  }

  private static NodeInfo node(String id, String block) {
    return new NodeInfo(id, block, "r", "pekko://cairn@h:" + id.hashCode(), id.hashCode(), new HostPort("h", 1), List.of(),
        new HostPort("h", 2), List.of(new NodeInfo.Disk("d0", "SSD", 1L << 40, 0)), 0);
  }

  @Test
  void shouldPlaceAroundAMemberOnProbationWhileEnoughOthersRemain() {
    List<NodeInfo> members = List.of(node("n1", "b1"), node("n2", "b2"), node("n3", "b3"));
    NodeDirectory.View v = new NodeDirectory.View(members, Map.of(), Set.of("n3"));
    DirectoryReplicaPlacer placer = new DirectoryReplicaPlacer("n1", () -> v, 4L << 20);
    for (long eg = 1; eg <= 50; eg++) {
      assertEquals(Set.of("n1", "n2"), Set.copyOf(placer.place(eg, 2)), "egroup " + eg);
      assertEquals("n2", placer.placeOneMore(eg, List.of("n1"), Set.of(), null).orElseThrow());
    }
    assertEquals(Set.of("n1", "n2", "n3"), Set.copyOf(placer.place(7, 3)), "RF3 needs n3: placement falls back");
    assertEquals("n3", placer.placeOneMore(7, List.of("n1"), Set.of("n2"), null).orElseThrow(), "the only one left");
    assertEquals(2, v.placeable(2).size());
    assertEquals(3, v.placeable(3).size());
  }
}
