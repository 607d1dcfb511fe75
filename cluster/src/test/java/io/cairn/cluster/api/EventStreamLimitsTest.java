package io.cairn.cluster.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.actors.events.SequencedEvent;
import io.cairn.cluster.cli.SseParser;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What one node's event streams hold up to: a replay as large as the buffer, and the number of streams. */
class EventStreamLimitsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
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
        cairn.events.keep-alive = 1s
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

  @Test
  void shouldRefuseAStreamBeyondTheLimitWith503() throws Exception {
    int limit = 2;
    ServerBinding binding = Http.get(kit.system()).newServerAt("127.0.0.1", 0).bind(new EventRoutes(kit.system(), limit).routes())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      URI uri = URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/events");
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      List<TestProbe<SequencedEvent>> followers = List.of(kit.createTestProbe(), kit.createTestProbe());
      followers.forEach(f -> events.follow(f.getRef(), 0, null));
      awaitFollowers(limit);

      HttpResponse<String> refused = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, refused.statusCode());
      JsonNode body = JSON.readTree(refused.body());
      assertEquals("UNAVAILABLE", body.get("error").asText());
      assertTrue(body.get("message").asText().startsWith("this node already serves 2 event streams, the most it serves at once"),
          body.toString());

      followers.get(0).stop();
      awaitFollowers(limit - 1);
      HttpResponse<InputStream> served = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, served.statusCode(), "a stream ended: there is room for one");
      awaitFollowers(limit);
      served.body().close(); // noticed at the next keep-alive (1 s) at the latest
      followers.get(1).stop();
      awaitFollowers(0);
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
