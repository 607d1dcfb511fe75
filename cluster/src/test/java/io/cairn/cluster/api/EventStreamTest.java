package io.cairn.cluster.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.actors.events.SequencedEvent;
import io.cairn.cluster.cli.SseParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The wire format of GET /api/events (SSE frames, event JSON) and the life of one stream's follow. */
class EventStreamTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static ActorTestKit kit;
  private static ClusterEvents events;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create(ConfigFactory.parseString("""
        pekko.actor.provider = local
        cairn.node.id = node-1
        """).withFallback(ConfigFactory.load()));
    events = ClusterEvents.get(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static SequencedEvent unreachable() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("member", "node-2");
    d.put("address", "pekko://cairn@127.0.0.1:13820");
    d.put("uid", "-4715274186712046117");
    d.put("lostReplicas", 12);
    d.put("note", "line one\nline two \"quoted\"");
    return new SequencedEvent(17, ClusterEvent.of(ClusterEvent.MEMBER_UNREACHABLE, ClusterEvent.Severity.WARNING,
        "node node-2 is unreachable", d).withOrigin("node-1", 1_796_676_480_123L));
  }

  /** Parses a whole stream text the way a client reads it, line by line. */
  private static List<SseParser.Message> parse(String stream) {
    SseParser p = new SseParser();
    List<SseParser.Message> out = new ArrayList<>();
    for (String line : stream.split("\n", -1)) {
      SseParser.Message m = p.line(line);
      if (m != null) out.add(m);
    }
    return out;
  }

  @Test
  void shouldWriteTheEventJsonContract() throws Exception {
    JsonNode j = JSON.readTree(EventJson.line(unreachable()));

    assertEquals(List.of("seq", "kind", "time", "timeMs", "node", "severity", "message", "details"), names(j));
    assertEquals(17, j.get("seq").asLong());
    assertEquals("member.unreachable", j.get("kind").asText());
    assertEquals("2026-12-07T20:48:00.123Z", j.get("time").asText());
    assertEquals(1_796_676_480_123L, j.get("timeMs").asLong());
    assertEquals("node-1", j.get("node").asText());
    assertEquals("warning", j.get("severity").asText());
    assertEquals("node node-2 is unreachable", j.get("message").asText());
    assertEquals(List.of("member", "address", "uid", "lostReplicas", "note"), names(j.get("details")));
    assertEquals("-4715274186712046117", j.get("details").get("uid").asText());
    assertTrue(j.get("details").get("lostReplicas").isIntegralNumber(), "numbers stay numbers");
    assertEquals(12, j.get("details").get("lostReplicas").asInt());
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void shouldFrameEachEventAsOneSseMessageThatAClientReadsBack() throws Exception {
    String stream = SseFrames.hello("node-1").utf8String() + SseFrames.event(unreachable()).utf8String()
        + SseFrames.KEEP_ALIVE.utf8String() + SseFrames.event(unreachable()).utf8String();

    assertTrue(SseFrames.event(unreachable()).utf8String().startsWith("event: member.unreachable\nid: 17\ndata: {"));
    assertTrue(SseFrames.event(unreachable()).utf8String().endsWith("}\n\n"));
    assertEquals(4, SseFrames.event(unreachable()).utf8String().split("\n", -1).length - 1, "three lines and a blank one");
    List<SseParser.Message> got = parse(stream);
    assertEquals(2, got.size(), "the hello and keep-alive comments are no messages: " + got);
    SseParser.Message m = got.get(0);
    assertEquals("member.unreachable", m.event());
    assertEquals("17", m.id());
    assertEquals("line one\nline two \"quoted\"", JSON.readTree(m.data()).get("details").get("note").asText());
    assertEquals(": keep-alive\n\n", SseFrames.KEEP_ALIVE.utf8String());
  }

  @Test
  void shouldParseSseAsTheStandardSays() {
    List<SseParser.Message> got = parse("""
        :comment
        data: first
        data:second

        event: x
        retry: 3000

        id: 5
        data
        data:  two spaces

        data: no id, keeps 5

        """);
    assertEquals(List.of(new SseParser.Message("message", null, "first\nsecond"),
        new SseParser.Message("message", "5", "\n two spaces"),
        new SseParser.Message("message", "5", "no id, keeps 5")), got,
        "a message without data is dropped; the id persists; one leading space is removed");
  }

  @Test
  void shouldEndTheFollowWhenTheClientStops() throws Exception {
    for (int i = 1; i <= 3; i++) events.publish(ClusterEvent.of(ClusterEvent.DISK_OFFLINE, ClusterEvent.Severity.CRITICAL, "disk " + i));
    awaitFollowers(0);
    kit.createTestProbe().awaitAssert(() -> {
      assertEquals(3, events.stats().lastSeq());
      return null;
    });

    for (int round = 0; round < 3; round++) {
      // A client that reads the replay of 2 events and one live one, then goes away.
      var done = EventRoutes.source(events, 2, "disk.", Duration.ofSeconds(10)).take(3)
          .runWith(Sink.seq(), kit.system()).toCompletableFuture();
      awaitFollowers(1);
      events.publish(ClusterEvent.of(ClusterEvent.DISK_ONLINE, ClusterEvent.Severity.INFO, "disk back " + round));
      List<ByteString> frames = done.get(10, TimeUnit.SECONDS);

      List<SseParser.Message> got = parse(String.join("", frames.stream().map(ByteString::utf8String).toList()));
      assertEquals(List.of(2L + round, 3L + round, 4L + round),
          got.stream().map(m -> Long.parseLong(m.id())).toList(), "the last two buffered, then the new one");
      // seq 1-3 are the offline events, each later one a previous round's (or this round's) online event
      assertEquals(got.stream().map(m -> Long.parseLong(m.id()) <= 3 ? "disk.offline" : "disk.online").toList(),
          got.stream().map(SseParser.Message::event).toList());
      assertEquals("disk back " + round, JSON.readTree(got.get(2).data()).get("message").asText());
      awaitFollowers(0);
    }
  }

  @Test
  void shouldKeepAnIdleStreamAliveWithComments() throws Exception {
    List<ByteString> frames = EventRoutes.source(events, 0, "nothing.", Duration.ofMillis(100)).take(2)
        .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(SseFrames.KEEP_ALIVE, SseFrames.KEEP_ALIVE), frames);
    awaitFollowers(0);
  }

  private static void awaitFollowers(int n) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(n, events.stats().followers());
      return null;
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "x", "1.5", "", " "})
  void shouldRefuseACountThatIsNoNonNegativeInteger(String value) {
    ApiRoutes.BadRequest e = assertThrows(ApiRoutes.BadRequest.class, () -> EventRoutes.count("recent", Optional.of(value), 0, 256));
    assertTrue(e.getMessage().startsWith("query parameter 'recent' must be an integer >= 0"), e.getMessage());
  }

  @Test
  void shouldTakeACountAboveTheBufferAsAllOfIt() {
    assertEquals(256, EventRoutes.count("recent", Optional.of("100000"), 0, 256));
    assertEquals(7, EventRoutes.count("recent", Optional.of("7"), 0, 256));
    assertEquals(0, EventRoutes.count("recent", Optional.empty(), 0, 256));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Member.", "member up", "a/b", "member.up.and.a.kind.prefix.that.is.longer.than.sixty.four.characters"})
  void shouldRefuseABadKindPrefix(String prefix) {
    assertThrows(ApiRoutes.BadRequest.class, () -> EventRoutes.kindPrefix(Optional.of(prefix)));
  }

  @Test
  void shouldTakeAnEmptyKindPrefixAsEveryKind() {
    assertEquals(null, EventRoutes.kindPrefix(Optional.of("")));
    assertEquals("over-replication.", EventRoutes.kindPrefix(Optional.of("over-replication.")));
  }
}
