package io.cairn.actors.events;

import static io.cairn.actors.events.MembershipTracker.Status.DOWN;
import static io.cairn.actors.events.MembershipTracker.Status.EXITING;
import static io.cairn.actors.events.MembershipTracker.Status.JOINING;
import static io.cairn.actors.events.MembershipTracker.Status.LEAVING;
import static io.cairn.actors.events.MembershipTracker.Status.UP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.actors.events.MembershipTracker.Member;
import io.cairn.actors.events.MembershipTracker.Seen;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MembershipTrackerTest {

  private static final Member N1 = new Member("pekko://cairn@127.0.0.1:13810", 11, "node-1");
  private static final Member N2 = new Member("pekko://cairn@127.0.0.1:13820", 22, "node-2");
  private static final Member N3 = new Member("pekko://cairn@127.0.0.1:13830", 33, "node-3");

  private static List<String> kinds(List<ClusterEvent> events) {
    return events.stream().map(e -> e.kind() + " " + e.detail("member")).toList();
  }

  /** The tracker of node 1, which has been Up since its first snapshot. */
  private static MembershipTracker upNode1() {
    MembershipTracker t = new MembershipTracker(N1.address(), N1.uid());
    t.snapshot(List.of(new Seen(N1, UP, true)));
    return t;
  }

  @Test
  void shouldLearnSilentlyUntilThisNodeIsUpThenReportItsOwnUp() {
    MembershipTracker t = new MembershipTracker(N2.address(), N2.uid());
    t.snapshot(List.of());
    List<ClusterEvent> out = new ArrayList<>();
    out.addAll(t.status(N1, UP)); // node 2 is told, while joining, that node 1 is Up: not news
    out.addAll(t.status(N2, JOINING));
    assertFalse(t.baselined());
    out.addAll(t.status(N2, UP));
    out.addAll(t.status(N3, UP));

    assertTrue(t.baselined());
    assertEquals(List.of("member.up node-2", "member.up node-3"), kinds(out));
  }

  @Test
  void shouldTakeASnapshotWithThisNodeUpAsSilentBaseline() {
    MembershipTracker t = new MembershipTracker(N1.address(), N1.uid());
    t.snapshot(List.of(new Seen(N1, UP, true), new Seen(N2, UP, true), new Seen(N3, UP, false)));

    assertTrue(t.baselined());
    assertEquals(List.of(), t.status(N2, UP), "already Up in the baseline");
    assertEquals(List.of(), t.reachability(N3, false), "already unreachable in the baseline");
    assertEquals(List.of("member.reachable node-3"), kinds(t.reachability(N3, true)));
  }

  @Test
  void shouldReportAFailedMemberOnceAtEachStepWithItsDetails() {
    MembershipTracker t = upNode1();
    assertEquals(List.of("member.up node-2"), kinds(t.status(N2, UP)));

    List<ClusterEvent> unreachable = t.reachability(N2, false);
    assertEquals(List.of(), t.reachability(N2, false), "reported once");
    List<ClusterEvent> downed = t.status(N2, DOWN);
    assertEquals(List.of(), t.status(N2, DOWN), "reported once");
    List<ClusterEvent> removed = t.removed(N2, DOWN);
    assertEquals(List.of(), t.removed(N2, DOWN), "reported once");

    assertEquals(List.of("member.unreachable node-2"), kinds(unreachable));
    ClusterEvent u = unreachable.get(0);
    assertEquals(ClusterEvent.Severity.WARNING, u.severity());
    assertEquals(N2.address(), u.detail("address"));
    assertEquals("22", u.detail("uid"));
    assertEquals("node node-2 is unreachable (the failure detector lost it)", u.message());
    assertEquals(List.of("member.downed node-2"), kinds(downed));
    assertEquals(List.of("member.removed node-2"), kinds(removed));
    assertEquals(ClusterEvent.Severity.WARNING, removed.get(0).severity());
    assertEquals("down", removed.get(0).detail("previousStatus"));
  }

  @Test
  void shouldReportAGracefulLeaveAsInfo() {
    MembershipTracker t = upNode1();
    t.status(N2, UP);
    assertEquals(List.of(), t.status(N2, LEAVING));
    assertEquals(List.of(), t.status(N2, EXITING));
    List<ClusterEvent> removed = t.removed(N2, EXITING);

    assertEquals(List.of("member.removed node-2"), kinds(removed));
    assertEquals(ClusterEvent.Severity.INFO, removed.get(0).severity());
    assertEquals("exiting", removed.get(0).detail("previousStatus"));
    assertEquals("node node-2 left the cluster", removed.get(0).message());
  }

  @Test
  void shouldNeverMoveAStatusBackNorReviveARemovedIncarnation() {
    MembershipTracker t = upNode1();
    t.status(N2, UP);
    assertEquals(List.of(), t.status(N2, JOINING), "an old report");
    assertEquals(List.of(), t.status(N2, UP));
    t.removed(N2, DOWN);
    assertEquals(List.of(), t.status(N2, UP), "a late report about a removed incarnation");
    assertEquals(List.of(), t.reachability(N2, false));

    Member restarted = new Member(N2.address(), 23, "node-2");
    assertEquals(List.of("member.up node-2"), kinds(t.status(restarted, UP)), "a new incarnation at the same address");
  }

  @Test
  void shouldNotReportMembersThatNeverWereUp() {
    MembershipTracker t = upNode1();
    t.status(N3, JOINING);
    assertEquals(List.of(), t.reachability(N3, false));
    assertEquals(List.of(), t.removed(N3, DOWN));
  }

  @Test
  void shouldNameAMemberByItsNodeIdRole() {
    assertEquals("node-7", MembershipLog.nodeIdOf(Set.of("dc-default", "node-id:node-7"), "pekko://x@h:1"));
    assertEquals("pekko://x@h:1", MembershipLog.nodeIdOf(Set.of("dc-default"), "pekko://x@h:1"));
    assertEquals("node-id:node-7", MembershipEvents.nodeRole("node-7"));
  }

  @Test
  void shouldPublishOnTakeoverTheLossNoEventReportedButNoUpFromBeforeIt() {
    // node 2's log: node 2 and node 3 came up together (node 2's buffer missed both ups: its topic
    // actor was not yet known to node 1), later node 1, the singleton's node, failed.
    MembershipTracker t = new MembershipTracker(N2.address(), N2.uid());
    t.snapshot(List.of());
    t.status(N1, UP);
    ClusterEvent up2 = t.status(N2, UP).get(0).withOrigin("node-2", 100);
    ClusterEvent up3 = t.status(N3, UP).get(0).withOrigin("node-2", 101);
    ClusterEvent unreachable1 = t.reachability(N1, false).get(0).withOrigin("node-2", 200);
    ClusterEvent downed1 = t.status(N1, DOWN).get(0).withOrigin("node-2", 220);
    ClusterEvent removed1 = t.removed(N1, DOWN).get(0).withOrigin("node-2", 230);
    ClusterEvent up4 = t.status(new Member("pekko://cairn@127.0.0.1:13840", 44, "node-4"), UP).get(0).withOrigin("node-2", 240);
    List<ClusterEvent> backlog = List.of(up2, up3, unreachable1, downed1, removed1, up4);
    // The previous singleton published node 1's unreachable before it died.
    List<ClusterEvent> published = List.of(unreachable1.withOrigin("node-1", 199));

    List<ClusterEvent> missed = MembershipEvents.unpublished(backlog, published, "22", Set.of("22", "33", "44"));

    assertEquals(List.of(downed1, removed1, up4), missed, "the loss, and the join while no singleton ran; no earlier up");
  }

  @Test
  void shouldPublishTheFoundingNodesOwnUpOnce() {
    MembershipTracker t = new MembershipTracker(N1.address(), N1.uid());
    t.snapshot(List.of());
    ClusterEvent up1 = t.status(N1, UP).get(0).withOrigin("node-1", 100);

    assertEquals(List.of(up1), MembershipEvents.unpublished(List.of(up1), List.of(), "11", Set.of("11")));
    assertEquals(List.of(), MembershipEvents.unpublished(List.of(up1), List.of(up1), "11", Set.of("11")),
        "a restarted singleton: already published");
    ClusterEvent up2 = t.status(N2, UP).get(0).withOrigin("node-1", 120);
    assertEquals(List.of(), MembershipEvents.unpublished(List.of(up2), List.of(), "11", Set.of("11", "22")),
        "another member's up with nobody lost: the baseline");
  }
}
