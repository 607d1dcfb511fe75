package io.cairn.cluster.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.cluster.cli.SseParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What one node's event streams hold up to: a replay as large as the buffer. */
class EventStreamLimitsTest {

  /** The buffer of this test's node: larger than the live events a stream queues besides its replay. */
  private static final int BUFFER = 4 * EventRoutes.LIVE_QUEUE;

  private ActorTestKit kit;
  private ClusterEvents events;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create(ConfigFactory.parseString("""
        pekko.actor.provider = local
        cairn.node.id = node-1
        cairn.events.buffer-size = %d
        """.formatted(BUFFER)).withFallback(ConfigFactory.load()));
    events = ClusterEvents.get(kit.system());
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private static ClusterEvent progress(int i) {
    return ClusterEvent.of(ClusterEvent.REBUILD_PROGRESS, ClusterEvent.Severity.INFO, "step " + i, Map.of("step", i));
  }

  private void awaitFollowers(int n) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(n, events.stats().followers());
      return null;
    });
  }

  @Test
  void shouldDeliverTheWholeReplayThenTheLiveEventsToAClientThatReadsLate() throws Exception {
    for (int i = 1; i <= BUFFER; i++) events.publish(progress(i));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(BUFFER, events.stats().lastSeq());
      return null;
    });

    SinkQueueWithCancel<ByteString> client = EventRoutes.source(events, BUFFER, null, Duration.ofSeconds(30))
        .runWith(Sink.queue(), kit.system());
    awaitFollowers(1);
    for (int i = 1; i <= EventRoutes.LIVE_QUEUE; i++) events.publish(progress(BUFFER + i));
    // The client reads nothing until the replay and the live events all wait in its stream's queue.
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(BUFFER + EventRoutes.LIVE_QUEUE, events.stats().lastSeq());
      return null;
    });
    Thread.sleep(500);

    List<Long> ids = new ArrayList<>();
    SseParser parser = new SseParser();
    while (ids.size() < BUFFER + EventRoutes.LIVE_QUEUE) {
      ByteString frame;
      try {
        frame = client.pull().toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow();
      } catch (TimeoutException e) {
        break; // fewer arrived: the assertion below shows which
      }
      for (String line : frame.utf8String().split("\n", -1)) {
        SseParser.Message m = parser.line(line);
        if (m != null) ids.add(Long.parseLong(m.id()));
      }
    }
    assertEquals(LongStream.rangeClosed(1, BUFFER + EventRoutes.LIVE_QUEUE).boxed().toList(), ids,
        "every buffered event, then every live one: none dropped, none repeated");
    client.cancel();
    awaitFollowers(0);
  }
}
