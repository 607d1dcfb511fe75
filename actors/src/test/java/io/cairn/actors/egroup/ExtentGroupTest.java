package io.cairn.actors.egroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.cairn.actors.node.NodeStorage;
import io.cairn.config.CairnSettings;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extent group entity's replica replacement (re-replication's commit): conditional, persisted,
 * recovered; every event, reply and state through the real serializer (the test kit checks).
 */
class ExtentGroupTest {

  private static final ActorTestKit kit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .withFallback(ConfigFactory.load()));

  static final Replica N1 = new Replica("n1", "d0");
  static final Replica N2 = new Replica("n2", "d0");
  static final Replica N3 = new Replica("n3", "d1");

  @TempDir
  static Path dir;

  private EventSourcedBehaviorTestKit<ExtentGroup.Command, ExtentGroup.Event, ExtentGroup.State> es;

  @BeforeEach
  void fresh() {
    CairnSettings settings = CairnSettings.from(ConfigFactory.parseString("cairn.node.data-dir = \"" + dir + "\"")
        .withFallback(ConfigFactory.load()));
    es = EventSourcedBehaviorTestKit.create(kit.system(),
        ExtentGroup.create(5, new NodeStorage("n1", settings, null, null, Runnable::run)));
    es.clear();
    ExtentGroup.Allocated a = es.<ExtentGroup.Allocated>runCommand(r -> new ExtentGroup.Allocate(7, new long[] {0, 1},
        List.of(N1, N2), 4, r)).reply();
    assertEquals(2, a.slots().length);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private ExtentGroup.Replaced replace(Replica lost, Replica added) {
    return es.<ExtentGroup.Replaced>runCommand(r -> new ExtentGroup.ReplaceReplica(lost, added, r)).reply();
  }

  @Test
  void shouldReplaceALostReplicaInPlaceAndKeepItAcrossRecovery() {
    ExtentGroup.Replaced r = replace(N2, N3);
    assertTrue(r.applied());
    assertEquals(List.of(N1, N3), r.replicas());
    es.restart();
    ExtentGroup.Info info = es.<ExtentGroup.Info>runCommand(ExtentGroup.Get::new).reply();
    assertEquals(List.of(N1, N3), info.replicas(), "the replacement is recovered from the journal");
    assertEquals(7, info.ownerVdisk());
  }

  @Test
  void shouldRefuseAStaleOrDuplicateReplacementWithoutPersisting() {
    assertTrue(replace(N2, N3).applied());
    var again = es.<ExtentGroup.Replaced>runCommand(r -> new ExtentGroup.ReplaceReplica(N2, new Replica("n4", "d0"), r));
    assertFalse(again.reply().applied(), "n2 is no longer a replica");
    assertTrue(again.events().isEmpty());
    var onto = es.<ExtentGroup.Replaced>runCommand(r -> new ExtentGroup.ReplaceReplica(N1, new Replica("n3", "d9"), r));
    assertFalse(onto.reply().applied(), "n3 already holds a replica");
    assertEquals(List.of(N1, N3), onto.reply().replicas());
  }

  @Test
  void shouldNotReplaceOnAnEgroupThatDoesNotExist() {
    var absent = EventSourcedBehaviorTestKit.<ExtentGroup.Command, ExtentGroup.Event, ExtentGroup.State>create(kit.system(),
        ExtentGroup.create(6, new NodeStorage("n1", CairnSettings.from(ConfigFactory.parseString(
            "cairn.node.data-dir = \"" + dir + "\"").withFallback(ConfigFactory.load())), null, null, Runnable::run)));
    assertFalse(absent.<ExtentGroup.Replaced>runCommand(r -> new ExtentGroup.ReplaceReplica(N1, N3, r)).reply().applied());
  }
}
