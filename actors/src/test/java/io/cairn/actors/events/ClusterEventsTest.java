package io.cairn.actors.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The facade in a (local) actor system: publish, subscribe, follow with replay, and no follower outliving its actor. */
class ClusterEventsTest {

  private ActorTestKit kit;
  private ClusterEvents events;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create(ConfigFactory.parseString("""
        pekko.actor.provider = local
        cairn.node.id = node-9
        cairn.events.buffer-size = 3
        """).withFallback(ConfigFactory.load()));
    events = ClusterEvents.get(kit.system());
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private static ClusterEvent disk(int i) {
    return ClusterEvent.of(ClusterEvent.DISK_OFFLINE, ClusterEvent.Severity.CRITICAL, "disk-" + i + " offline", Map.of("disk", "disk-" + i));
  }

  private void awaitBuffered(long lastSeq) {
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(lastSeq, events.stats().lastSeq());
      return null;
    });
  }

  @Test
  void shouldStampAndDeliverToSubscribers() {
    TestProbe<ClusterEvent> sub = kit.createTestProbe();
    events.subscribe(sub.getRef());
    kit.createTestProbe().awaitAssert(() -> {
      // the topic registers the subscriber asynchronously: publish until one arrives
      events.publish(ClusterEvent.of("rebuild.started", ClusterEvent.Severity.INFO, "warm-up"));
      sub.expectMessageClass(ClusterEvent.class, Duration.ofMillis(200));
      return null;
    });
    long before = System.currentTimeMillis();

    ClusterEvent published = events.publish(disk(1));

    ClusterEvent got = sub.receiveMessage(Duration.ofSeconds(5));
    for (int i = 0; i < 20 && !got.kind().equals(ClusterEvent.DISK_OFFLINE); i++) got = sub.receiveMessage(Duration.ofSeconds(5)); // late warm-ups
    assertEquals(published, got);
    assertEquals("node-9", got.node());
    assertTrue(got.timeMs() >= before && got.timeMs() <= System.currentTimeMillis(), "stamped now: " + got.timeMs());
    assertEquals(Map.of("disk", "disk-1"), got.details());
    assertEquals("node-9", events.nodeId());
  }

  @Test
  void shouldKeepAnExplicitOrigin() {
    ClusterEvent e = events.publish(disk(1).withOrigin("node-2", 1234));
    assertEquals("node-2", e.node());
    assertEquals(1234, e.timeMs());
  }

  @Test
  void shouldReplayTheBufferThenFollowWithoutGapOrDuplicate() {
    for (int i = 1; i <= 4; i++) events.publish(disk(i));
    awaitBuffered(4);
    assertEquals(new ClusterEvents.Stats(3, 3, 4, 0), events.stats());
    TestProbe<SequencedEvent> follower = kit.createTestProbe();

    events.follow(follower.getRef(), 2, null);
    events.publish(disk(5));
    events.publish(ClusterEvent.of(ClusterEvent.MEMBER_UP, ClusterEvent.Severity.INFO, "node-3 up"));

    List<SequencedEvent> got = follower.receiveSeveralMessages(4, Duration.ofSeconds(5));
    assertEquals(List.of(3L, 4L, 5L, 6L), got.stream().map(SequencedEvent::seq).toList());
    assertEquals(List.of("disk-3 offline", "disk-4 offline", "disk-5 offline", "node-3 up"),
        got.stream().map(s -> s.event().message()).toList());
    follower.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void shouldFilterFollowersAndRecentByKindPrefix() throws Exception {
    events.publish(ClusterEvent.of(ClusterEvent.MEMBER_UP, ClusterEvent.Severity.INFO, "node-3 up"));
    events.publish(disk(1));
    awaitBuffered(2);
    TestProbe<SequencedEvent> follower = kit.createTestProbe();

    events.follow(follower.getRef(), 10, "member.");
    events.publish(disk(2));
    events.publish(ClusterEvent.of(ClusterEvent.MEMBER_REMOVED, ClusterEvent.Severity.WARNING, "node-3 removed"));

    assertEquals(1, follower.receiveMessage().seq());
    assertEquals(4, follower.receiveMessage().seq());
    List<SequencedEvent> recentDisks = events.recent(10, "disk.", Duration.ofSeconds(5)).toCompletableFuture().get();
    assertEquals(List.of(2L, 3L), recentDisks.stream().map(SequencedEvent::seq).toList());
  }

  @Test
  void shouldDropAFollowerThatStops() {
    for (int round = 0; round < 5; round++) {
      TestProbe<SequencedEvent> follower = kit.createTestProbe();
      events.follow(follower.getRef(), 0, null);
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
        assertEquals(1, events.stats().followers());
        return null;
      });
      follower.stop();
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
        assertEquals(0, events.stats().followers(), "the stopped follower is no longer followed");
        return null;
      });
    }
    Behavior<SequencedEvent> ignore = Behaviors.ignore();
    var explicit = kit.spawn(ignore);
    events.follow(explicit, 0, null);
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(1, events.stats().followers());
      return null;
    });
    events.unfollow(explicit);
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(0, events.stats().followers());
      return null;
    });
  }
}
