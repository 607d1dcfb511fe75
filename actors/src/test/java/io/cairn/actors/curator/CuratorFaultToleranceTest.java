package io.cairn.actors.curator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.config.CuratorSettings;
import io.cairn.config.HostPort;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.ReplicaSpread;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Curator's side of the fault-tolerance status: it keeps the replica spread of the last scan
 * every map reported for (a scan whose map failed does not replace it; a report arriving after the
 * reduce completes it), and reports usage crossing the resilient-capacity threshold once.
 */
class CuratorFaultToleranceTest {

  private static final CuratorSettings SETTINGS = new CuratorSettings(Duration.ofHours(1), Duration.ofHours(1), 2,
      64L << 20, Duration.ofSeconds(30), Duration.ofMinutes(10), 0, Duration.ofHours(24));

  private ActorTestKit kit;
  private final AtomicReference<NodeDirectory.View> view = new AtomicReference<>();

  @BeforeEach
  void start() {
    kit = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    view.set(new NodeDirectory.View(List.of(node("n1", 0)), Map.of()));
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  /** A node of 10 GiB with {@code usedBytes} used. */
  private static NodeInfo node(String id, long usedBytes) {
    return new NodeInfo(id, "b-" + id, "r1", "pekko://cairn@127.0.0.1:1", 1, new HostPort("127.0.0.1", 1), List.of(),
        new HostPort("127.0.0.1", 2), List.of(new NodeInfo.Disk("disk-0", "SSD", 10L << 30, usedBytes)), 0);
  }

  private static ReplicaSpread spread(long egroup) {
    Candidate n1 = new Candidate("n1", "b-n1", "r1", 10L << 30, 0, 0);
    return new ReplicaSpread.Builder(Map.of("n1", n1), Map.of()).add(egroup, "egroup " + egroup, 1, List.of("n1")).build();
  }

  /** The Curator with one Chronos (the probe, node n1) it has identified. */
  private ActorRef<Curator.Command> curatorWithChronos(TestProbe<Chronos.Command> chronos, Curator.CapacityWatch watch) {
    kit.system().receptionist().tell(Receptionist.register(Chronos.SERVICE_KEY, chronos.getRef()));
    ActorRef<Curator.Command> curator = kit.spawn(Curator.create(SETTINGS, view::get, 4 << 20, watch));
    Chronos.GetStats ask = chronos.expectMessageClass(Chronos.GetStats.class, Duration.ofSeconds(10));
    ask.replyTo().tell(new Chronos.Stats("n1", 0, 0, 0, 0, 0));
    return curator;
  }

  /** Starts scans until the Chronos is asked to map one (it counts as a worker once identified). */
  private static Chronos.MapScan scan(ActorRef<Curator.Command> curator, TestProbe<Chronos.Command> chronos) {
    for (int i = 0; ; i++) {
      curator.tell(new Curator.StartScan("test"));
      try {
        return chronos.expectMessageClass(Chronos.MapScan.class, Duration.ofMillis(500));
      } catch (AssertionError e) {
        if (i == 20) throw e;
      }
    }
  }

  private Curator.FaultToleranceData data(ActorRef<Curator.Command> curator) {
    TestProbe<Curator.FaultToleranceData> reply = kit.createTestProbe();
    curator.tell(new Curator.GetFaultTolerance(reply.getRef()));
    return reply.receiveMessage(Duration.ofSeconds(5));
  }

  @Test
  void shouldKeepTheLastScanEveryMapReportedFor() {
    TestProbe<Chronos.Command> chronos = kit.createTestProbe();
    ActorRef<Curator.Command> curator = curatorWithChronos(chronos, null);
    assertEquals(0, data(curator).scanId(), "no scan yet");

    Chronos.MapScan first = scan(curator, chronos);
    curator.tell(new Curator.SpreadMapped(first.scanId(), 1, "n1", spread(7), ReplicaSpread.EMPTY));
    curator.tell(new Curator.MapDone(first.scanId(), "n1", 1, List.of(), List.of(), new Chronos.Orphans(0, 0), null));
    Curator.FaultToleranceData d1 = data(curator);
    assertEquals(first.scanId(), d1.scanId());
    assertEquals(1, d1.shares());
    assertEquals(1, d1.reported());
    assertEquals(spread(7), d1.data());

    // A map that failed reports no spread: the earlier picture stays.
    Chronos.MapScan failed = scan(curator, chronos);
    curator.tell(new Curator.MapDone(failed.scanId(), "n1", 0, List.of(), List.of(), new Chronos.Orphans(0, 0), "ask timed out"));
    assertEquals(first.scanId(), data(curator).scanId());

    // A report that comes in after the reduce completes its scan.
    Chronos.MapScan late = scan(curator, chronos);
    curator.tell(new Curator.MapDone(late.scanId(), "n1", 1, List.of(), List.of(), new Chronos.Orphans(0, 0), null));
    assertEquals(first.scanId(), data(curator).scanId(), "incomplete until the report is in");
    curator.tell(new Curator.SpreadMapped(late.scanId(), 1, "n1", spread(9), ReplicaSpread.EMPTY));
    Curator.FaultToleranceData d3 = data(curator);
    assertEquals(late.scanId(), d3.scanId());
    assertEquals(spread(9), d3.data());

    // A report of an older scan is ignored.
    curator.tell(new Curator.SpreadMapped(first.scanId(), 1, "n1", spread(1), ReplicaSpread.EMPTY));
    assertEquals(spread(9), data(curator).data());
  }

  @Test
  void shouldWarnOnceWhenUsageCrossesTheResilientThreshold() {
    // Three 10 GiB nodes, RF2: resilient 20 GiB; 16 GiB used is 80%, over a 75% threshold.
    view.set(new NodeDirectory.View(List.of(node("n1", 4L << 30), node("n2", 4L << 30), node("n3", 4L << 30)), Map.of()));
    LoggingTestKit.warn("capacity over threshold").withOccurrences(1).expect(kit.system(), () -> {
      kit.spawn(Curator.create(SETTINGS, view::get, 4 << 20, new Curator.CapacityWatch(0.75, () -> 2)));
      kit.createTestProbe().expectNoMessage(Duration.ofMillis(1500)); // under: a check or two
      view.set(new NodeDirectory.View(List.of(node("n1", 6L << 30), node("n2", 5L << 30), node("n3", 5L << 30)), Map.of()));
      kit.createTestProbe().expectNoMessage(Duration.ofMillis(3500)); // over for three checks: one warning
      return null;
    });
  }
}
