package io.cairn.actors.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two real cluster nodes in one JVM (Artery over loopback), each with its membership log: every
 * node's own buffer reports what that node saw, once per change, with itself as the observer.
 */
class MembershipLogTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private ActorTestKit a;
  private ActorTestKit b;

  private static ActorTestKit node(String id) {
    ActorTestKit kit = ActorTestKit.create("cairn", ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.enabled = off
        pekko.cluster.roles = ["%s"]
        pekko.loglevel = WARNING
        cairn.node.id = %s
        """.formatted(MembershipLog.nodeRole(id), id)).withFallback(ConfigFactory.load()));
    MembershipLog.start(kit.system());
    return kit;
  }

  @AfterEach
  void stop() {
    if (b != null) b.shutdownTestKit();
    if (a != null) a.shutdownTestKit();
  }

  private static List<ClusterEvent> membership(ActorTestKit kit) throws Exception {
    return ClusterEvents.get(kit.system()).recent(1000, "member.", Duration.ofSeconds(5)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).stream().map(SequencedEvent::event).toList();
  }

  private static List<String> about(List<ClusterEvent> events) {
    return events.stream().map(e -> e.kind() + " " + e.detail("member") + " seen by " + e.node()).toList();
  }

  private static List<ClusterEvent> await(ActorTestKit kit, int count) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    List<ClusterEvent> got = membership(kit);
    while (got.size() < count && System.nanoTime() - deadline < 0) {
      Thread.sleep(100);
      got = membership(kit);
    }
    return got;
  }

  @Test
  void shouldRecordEachChangeOnceOnEveryNodeWithThatNodeAsObserver() throws Exception {
    long start = System.currentTimeMillis();
    a = node("node-a");
    b = node("node-b");
    Cluster ca = Cluster.get(a.system());
    ca.manager().tell(Join.create(ca.selfMember().address()));
    Cluster.get(b.system()).manager().tell(Join.create(ca.selfMember().address()));

    List<ClusterEvent> onA = await(a, 2);
    List<ClusterEvent> onB = await(b, 1);
    assertEquals(List.of("member.up node-a seen by node-a", "member.up node-b seen by node-a"), about(onA),
        "node a is Up first, then sees b come Up");
    assertEquals(List.of("member.up node-b seen by node-b"), about(onB),
        "b reports its own up; a, Up before b joined, is its baseline");
    ClusterEvent up = onA.get(1);
    assertEquals(Cluster.get(b.system()).selfMember().address().toString(), up.detail("address"));
    assertEquals(Long.toString(Cluster.get(b.system()).selfMember().uniqueAddress().longUid()), up.detail("uid"));
    assertTrue(up.timeMs() >= start && up.timeMs() <= System.currentTimeMillis(), "the time node a saw it: " + up);

    Cluster.get(b.system()).manager().tell(Leave.create(Cluster.get(b.system()).selfMember().address()));
    onA = await(a, 3);
    assertEquals(List.of("member.up node-a seen by node-a", "member.up node-b seen by node-a", "member.removed node-b seen by node-a"),
        about(onA));
    ClusterEvent removed = onA.get(2);
    assertEquals(ClusterEvent.Severity.INFO, removed.severity());
    assertEquals("exiting", removed.detail("previousStatus"));
    assertEquals(up.detail("uid"), removed.detail("uid"), "the same incarnation");

    Thread.sleep(500);
    assertEquals(3, membership(a).size(), "nothing reported twice: " + membership(a));
  }
}
