package io.cairn.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.config.ClusterConfig.Reply;
import io.cairn.actors.config.VDiskSpec;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** The cluster configuration's rules: names, sizes, references, LUN numbering, demo once, ids. */
class ClusterConfigTest {

  private static final ActorTestKit kit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .withFallback(ConfigFactory.load()));

  private EventSourcedBehaviorTestKit<ClusterConfig.Command, ClusterConfig.Event, ClusterConfig.State> es;

  @BeforeEach
  void fresh() {
    AtomicLong n = new AtomicLong();
    es = EventSourcedBehaviorTestKit.create(kit.system(),
        ClusterConfig.create("iqn.2026-11.io.cairn", () -> new UUID(0, n.incrementAndGet())));
    es.clear();
    es.<Reply>runCommand(r -> new ClusterConfig.EnsureDemo("default", "demo", "demo-disk", 4L << 30, 512, 4096, r));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private Reply create(String name, long size, String group) {
    return es.<Reply>runCommand(r -> new ClusterConfig.CreateVDisk(name, size, 512, 4096, group, "default", false, r)).reply();
  }

  @Test
  void shouldCreateDemoObjectsOnceEvenAfterTheirDeletion() {
    ClusterConfig.State s = es.getState();
    assertEquals(1, s.vdisks().size());
    assertEquals("iqn.2026-11.io.cairn:demo", s.volumeGroups().get(0).iqn());
    es.<Reply>runCommand(r -> new ClusterConfig.DeleteVDisk("demo-disk", r));
    CommandResultWithReply<ClusterConfig.Command, ClusterConfig.Event, ClusterConfig.State, Reply> again =
        es.<Reply>runCommand(r -> new ClusterConfig.EnsureDemo("default", "demo", "demo-disk", 4L << 30, 512, 4096, r));
    assertTrue(again.events().isEmpty(), "a second EnsureDemo persists nothing");
    assertTrue(es.getState().vdisks().isEmpty());
  }

  @Test
  void shouldAssignLowestFreeLunPerVolumeGroup() {
    create("a", 1 << 20, "demo");
    create("b", 1 << 20, "demo");
    es.<Reply>runCommand(r -> new ClusterConfig.DeleteVDisk("a", r));
    Reply r = create("c", 1 << 20, "demo");
    VDiskSpec c = ((ClusterConfig.Done) r).view().vdisk("c").orElseThrow();
    assertEquals(1, c.lun(), "LUN 0 is the demo disk, 1 was freed by 'a'");
    VDiskSpec b = ((ClusterConfig.Done) r).view().vdisk("b").orElseThrow();
    assertEquals(2, b.lun());
  }

  @Test
  void shouldRejectInvalidRequestsWithoutPersisting() {
    assertRejected(create("bad name", 1 << 20, "demo"), ClusterConfig.Error.INVALID);
    assertRejected(create("x", 0, "demo"), ClusterConfig.Error.INVALID);
    assertRejected(create("x", 1000, "demo"), ClusterConfig.Error.INVALID); // not a multiple of 4096
    assertRejected(create("x", 1 << 20, "nope"), ClusterConfig.Error.NOT_FOUND);
    assertRejected(create("demo-disk", 1 << 20, "demo"), ClusterConfig.Error.ALREADY_EXISTS);
    assertRejected(es.<Reply>runCommand(r -> new ClusterConfig.DeleteVDisk("ghost", r)).reply(), ClusterConfig.Error.NOT_FOUND);
    assertRejected(es.<Reply>runCommand(r -> new ClusterConfig.CreateVolumeGroup("Upper", r)).reply(), ClusterConfig.Error.INVALID);
    assertRejected(es.<Reply>runCommand(r -> new ClusterConfig.CreateContainer("gold", 4, r)).reply(), ClusterConfig.Error.INVALID);
  }

  private void assertRejected(Reply r, ClusterConfig.Error error) {
    ClusterConfig.Rejected rejected = assertInstanceOf(ClusterConfig.Rejected.class, r);
    assertEquals(error, rejected.error(), rejected.message());
  }

  @Test
  void shouldWriteProtectAndReleaseVDisk() {
    Reply on = es.<Reply>runCommand(r -> new ClusterConfig.SetVDiskReadOnly("demo-disk", true, r)).reply();
    assertTrue(((ClusterConfig.Done) on).view().vdisk("demo-disk").orElseThrow().readOnly());
    es.restart();
    assertTrue(es.getState().vdisks().get(0).readOnly(), "survives recovery");
    var again = es.<Reply>runCommand(r -> new ClusterConfig.SetVDiskReadOnly("demo-disk", true, r));
    assertTrue(again.events().isEmpty(), "no change, nothing persisted");
    Reply off = es.<Reply>runCommand(r -> new ClusterConfig.SetVDiskReadOnly("demo-disk", false, r)).reply();
    assertTrue(!((ClusterConfig.Done) off).view().vdisk("demo-disk").orElseThrow().readOnly());
    assertRejected(es.<Reply>runCommand(r -> new ClusterConfig.SetVDiskReadOnly("ghost", true, r)).reply(), ClusterConfig.Error.NOT_FOUND);
  }

  @Test
  void shouldAcceptLargestVDiskSize() {
    long max = Long.MAX_VALUE - Long.MAX_VALUE % 4096;
    assertInstanceOf(ClusterConfig.Done.class, create("huge", max, "demo"));
  }

  @Test
  void shouldHandOutDisjointEgroupIdRangesThatSurviveRestart() {
    ClusterConfig.IdRange a = (ClusterConfig.IdRange) es.<Reply>runCommand(ClusterConfig.ReserveEgroupIds::new).reply();
    es.restart();
    ClusterConfig.IdRange b = (ClusterConfig.IdRange) es.<Reply>runCommand(ClusterConfig.ReserveEgroupIds::new).reply();
    assertTrue(a.end() <= b.start(), a + " then " + b);
    assertEquals(ClusterConfig.EGROUP_ID_BATCH, b.end() - b.start());
  }
}
