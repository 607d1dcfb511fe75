package io.cairn.actors.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.cairn.config.HostPort;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two real cluster nodes in one JVM (Artery over loopback) sharing one node directory. */
class NodeDirectoryTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private ActorTestKit a;
  private ActorTestKit b;

  private static ActorTestKit node() {
    Config c = ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.enabled = off
        pekko.cluster.distributed-data.gossip-interval = 200ms
        pekko.cluster.distributed-data.notify-subscribers-interval = 100ms
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.load());
    return ActorTestKit.create("cairn", c);
  }

  @AfterEach
  void stop() {
    if (b != null) b.shutdownTestKit();
    if (a != null) a.shutdownTestKit();
  }

  /** This node's entry as CairnNode builds it: address and uid from the cluster, the rest from the node. */
  private static Supplier<NodeInfo> describe(ActorSystem<?> system, String id, String block, AtomicLong oplogBytes) {
    return () -> {
      Member self = Cluster.get(system).selfMember();
      return new NodeInfo(id, block, "rack-1", self.address().toString(), self.uniqueAddress().longUid(),
          new HostPort("127.0.0.1", 40000 + id.length()), List.of("127.0.0.1:3260,1"), new HostPort("127.0.0.1", 8558),
          List.of(new NodeInfo.Disk("disk-0", "SSD", 1L << 30, 0)), oplogBytes.get());
    };
  }

  private static NodeDirectory.View await(NodeDirectory d, Predicate<NodeDirectory.View> condition, String what) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() - deadline < 0) {
      NodeDirectory.View v = d.view();
      if (condition.test(v)) return v;
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("not within " + TIMEOUT + ": " + what + "; view " + d.view());
  }

  @Test
  void shouldShowEveryUpMemberToEveryNodeAndFollowChanges() {
    a = node();
    b = node();
    Cluster ca = Cluster.get(a.system());
    ca.manager().tell(Join.create(ca.selfMember().address()));
    Cluster.get(b.system()).manager().tell(Join.create(ca.selfMember().address()));
    AtomicLong oplogB = new AtomicLong(0);
    NodeDirectory da = NodeDirectory.start(a.system(), describe(a.system(), "n1", "block-1", new AtomicLong()), Duration.ofMillis(200));
    NodeDirectory db = NodeDirectory.start(b.system(), describe(b.system(), "n2", "block-2", oplogB), Duration.ofMillis(200));

    NodeDirectory.View seenByA = await(da, v -> v.members().size() == 2, "both members in n1's view");
    await(db, v -> v.members().size() == 2, "both members in n2's view");

    assertEquals(List.of("n1", "n2"), seenByA.members().stream().map(NodeInfo::nodeId).toList());
    NodeInfo n2 = seenByA.member("n2").orElseThrow();
    assertEquals("block-2", n2.block());
    assertEquals(Cluster.get(b.system()).selfMember().address().toString(), n2.address());
    assertEquals(n2, seenByA.publishedAt(n2.address()).orElseThrow());

    oplogB.set(12345);
    db.publishNow();
    await(da, v -> v.member("n2").map(n -> n.oplogBytes() == 12345).orElse(false), "n2's new OpLog size reaches n1");
  }

  @Test
  void shouldDropTheEntryOfAMemberThatLeft() {
    a = node();
    b = node();
    Cluster ca = Cluster.get(a.system());
    ca.manager().tell(Join.create(ca.selfMember().address()));
    Cluster cb = Cluster.get(b.system());
    cb.manager().tell(Join.create(ca.selfMember().address()));
    NodeDirectory da = NodeDirectory.start(a.system(), describe(a.system(), "n1", "block-1", new AtomicLong()), Duration.ofMillis(200));
    NodeDirectory.start(b.system(), describe(b.system(), "n2", "block-2", new AtomicLong()), Duration.ofMillis(200));
    await(da, v -> v.published().containsKey("n2") && v.members().size() == 2, "n2 published and Up");

    cb.manager().tell(Leave.create(cb.selfMember().address()));

    NodeDirectory.View after = await(da, v -> !v.published().containsKey("n2"), "n2's entry pruned after it left");
    assertEquals(List.of("n1"), after.members().stream().map(NodeInfo::nodeId).toList());
    assertTrue(after.published().containsKey("n1"));
  }
}
