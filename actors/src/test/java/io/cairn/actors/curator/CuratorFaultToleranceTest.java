package io.cairn.actors.curator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.config.CuratorSettings;
import io.cairn.config.HostPort;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.Awareness;
import io.cairn.datapath.placement.ReplicaSpread;
import io.cairn.datapath.placement.ResilientCapacity;
import io.cairn.datapath.replication.ReplicatedOpLog;
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

  /** Waits until the Curator has identified the Chronos of n1, then starts exactly one scan. */
  private Chronos.MapScan scan(ActorRef<Curator.Command> curator, TestProbe<Chronos.Command> chronos) {
    TestProbe<Curator.Status> status = kit.createTestProbe();
    status.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
      curator.tell(new Curator.GetStatus(status.getRef()));
      Curator.Status s = status.receiveMessage(Duration.ofSeconds(1));
      assertEquals(List.of("n1"), s.chronosNodes(), "the Chronos is identified");
      assertFalse(s.scanning(), "no scan running");
      return null;
    });
    curator.tell(new Curator.StartScan("test"));
    return chronos.expectMessageClass(Chronos.MapScan.class, Duration.ofSeconds(5));
  }

  private static Curator.SpreadMapped mapped(long scanId, String node, ReplicaSpread data) {
    return new Curator.SpreadMapped(scanId, 1, node, data, ReplicatedOpLog.OpLogReport.EMPTY);
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
    curator.tell(mapped(first.scanId(), "n1", spread(7)));
    curator.tell(new Curator.MapDone(first.scanId(), "n1", 1, List.of(), List.of(), new Chronos.Orphans(0, 0), null));
    Curator.FaultToleranceData d1 = data(curator);
    assertEquals(first.scanId(), d1.scanId());
    assertEquals(1, d1.shares());
    assertEquals(1, d1.reported());
    assertTrue(d1.complete());
    assertNull(d1.incompleteReason());
    assertEquals(spread(7), d1.data());

    // A map that failed reports no spread: the earlier picture stays.
    Chronos.MapScan failed = scan(curator, chronos);
    curator.tell(new Curator.MapDone(failed.scanId(), "n1", 0, List.of(), List.of(), new Chronos.Orphans(0, 0), "ask timed out"));
    Curator.FaultToleranceData kept = data(curator);
    assertEquals(first.scanId(), kept.scanId());
    assertTrue(kept.complete());
    assertEquals("scan " + failed.scanId() + " was incomplete (0 of 1 shares reported); scan " + first.scanId()
        + " is the last complete one", kept.note());

    // A report that comes in after the reduce completes its scan.
    Chronos.MapScan late = scan(curator, chronos);
    curator.tell(new Curator.MapDone(late.scanId(), "n1", 1, List.of(), List.of(), new Chronos.Orphans(0, 0), null));
    assertEquals(first.scanId(), data(curator).scanId(), "incomplete until the report is in");
    curator.tell(mapped(late.scanId(), "n1", spread(9)));
    Curator.FaultToleranceData d3 = data(curator);
    assertEquals(late.scanId(), d3.scanId());
    assertEquals(spread(9), d3.data());

    // A report of an older scan is ignored.
    curator.tell(mapped(first.scanId(), "n1", spread(1)));
    assertEquals(spread(9), data(curator).data());
  }

  @Test
  void shouldNotPresentAnIncompleteFirstScanAsComplete() {
    TestProbe<Chronos.Command> chronos = kit.createTestProbe();
    ActorRef<Curator.Command> curator = curatorWithChronos(chronos, null);
    // n2 is a live member whose Chronos the Curator has not identified: its OpLog is not reported.
    view.set(new NodeDirectory.View(List.of(node("n1", 0), node("n2", 0)), Map.of()));
    Chronos.MapScan first = scan(curator, chronos);
    curator.tell(mapped(first.scanId(), "n1", spread(7)));
    curator.tell(new Curator.MapDone(first.scanId(), "n1", 1, List.of(), List.of(), new Chronos.Orphans(0, 0), null));
    Curator.FaultToleranceData d = data(curator);
    assertEquals(first.scanId(), d.scanId(), "the only scan is shown");
    assertFalse(d.complete(), "but not as complete");
    assertEquals(List.of("n2"), d.unmapped());
    assertEquals("1 of 1 shares reported; no Chronos identified on live member(s) n2", d.incompleteReason());
  }

  @Test
  void shouldClearTheCapacityWarningOnlyFivePointsBelowTheThreshold() {
    // 100 GiB resilient: over at 75%, still over at 71%, cleared at 69%.
    assertTrue(Curator.stillOver(level(75), 0.75));
    assertTrue(Curator.stillOver(level(71), 0.75));
    assertFalse(Curator.stillOver(level(69), 0.75));
    assertFalse(Curator.stillOver(level(0), 0.75));
  }

  private static ResilientCapacity.Level level(long usedGiB) {
    return new ResilientCapacity.Level(Awareness.NODE, 1, List.of(), 150L << 30, 50L << 30, 100L << 30, usedGiB << 30,
        0.75, true, usedGiB > 75, "test");
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
    List<io.cairn.actors.events.SequencedEvent> events = io.cairn.actors.events.ClusterEvents.get(kit.system())
        .recent(100, "capacity.", Duration.ofSeconds(5)).toCompletableFuture().join();
    assertEquals(1, events.size(), "one capacity.over-threshold event: " + events);
    assertEquals(16L << 30, ((Number) events.get(0).event().details().get("usedBytes")).longValue());
    assertTrue(List.of("node", "block", "rack").contains(events.get(0).event().details().get("level")), events.toString());
  }
}
