package io.cairn.it;

import static io.cairn.it.LocalClusterRun.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.cli.SseParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster event stream on real processes: a 2-node cluster ({@code cluster up}), node 1's
 * {@code GET /api/events} followed by an HTTP client and by {@code bin/cairn events --json}. The
 * replay shows each node's {@code member.up} once; clients that connect and go away leave no
 * subscription behind; after {@code kill -9} of node 2 the stream reports it unreachable, then
 * downed and removed by the split-brain resolver (keep-majority keeps node 1, the lowest address,
 * about 20 s after the loss). Keep-alives every 2 s (the HTTP server notices a client that went
 * away when its writes to it fail).
 *
 * A second scenario kills the singleton's own node in a 3-node cluster: the moved singleton
 * publishes that loss. About 90 s and 150 s on two cores.
 *
 * <p>Ports 13800-13849 (node I: 13800 + 10 I + 0..3; the H2 journal server on 13800).
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EventsIT {

  private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(90);

  @Test
  void shouldStreamMembershipEventsOnceWithTheirFieldsThroughHttpAndTheCli(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(EventsIT.class, MultiNodeIT.name(test)), 13800, 2, null);
    // A client that went away is noticed when writes to it fail: keep-alives every 2 s make that prompt.
    c.nodeJavaOpts = "-Dcairn.events.keep-alive=2s";
    c.scenario(() -> {
      c.up();
      c.awaitMembers(1, 2);
      c.awaitMembers(2, 2);
      String api1 = "http://127.0.0.1:" + c.apiPort(1);

      try (SseFollower http = new SseFollower(URI.create(api1 + "/api/events?recent=50"));
          Exec.Background cli = cli(c, "events", "--json", "--recent", "10", "--api", api1)) {
        assertEquals("text/event-stream", http.contentType.split(";")[0].trim());

        // The replay: each node came up once, published by the singleton on node 1 (the oldest).
        Received up2 = http.await("member.up of node-2", e -> isAbout(e, "member.up", "node-2"));
        Received up1 = http.await("member.up of node-1", e -> isAbout(e, "member.up", "node-1"));
        assertMembershipEvent(up2, "member.up", "info", c.basePort + 20);
        assertMembershipEvent(up1, "member.up", "info", c.basePort + 10);
        assertEquals("node node-2 is up", up2.data.get("message").asText());
        String uid2 = up2.data.get("details").get("uid").asText();
        assertTrue(uid2.matches("-?[0-9]+"), "the uid is a decimal string: " + uid2);

        String cliUp = awaitLine(cli, "bin/cairn events --json replays node-2's member.up",
            l -> l.contains("\"member.up\"") && l.contains("\"member\":\"node-2\""));
        JsonNode cliEvent = LocalClusterRun.JSON.readTree(cliUp);
        assertEquals(up2.data, cliEvent, "the CLI prints the event's JSON as the stream carries it");

        // Human lines, filtered by kind.
        try (Exec.Background human = cli(c, "events", "--recent", "5", "--kind", "member.", "--api", api1)) {
          String line = awaitLine(human, "bin/cairn events prints node-2's up", l -> l.contains("member.up") && l.contains("member=node-2"));
          assertTrue(line.startsWith(up2.data.get("time").asText()), line);
          assertTrue(line.contains("node-1") && line.contains("info") && line.contains("node node-2 is up")
              && line.contains("uid=" + uid2), line);
        }

        // Scripts: the buffered events as JSON; bad input is refused.
        JsonNode recent = c.get(1, "/api/events/recent?kind=member.");
        assertEquals(1, countAbout(recent, "member.up", "node-2"), "node-2 came up once: " + recent);
        assertEquals(1, countAbout(recent, "member.up", "node-1"), "node-1 came up once: " + recent);
        assertEquals(400, status(api1 + "/api/events?recent=many"));
        assertEquals(400, status(api1 + "/api/events?kind=Member"));
        assertEquals(400, status(api1 + "/api/events/recent?limit=-1"));

        // Clients that connect and go away leave no follower behind.
        int followers = awaitFollowers(c, "the test's stream and bin/cairn events --json", n -> n == 2);
        for (int i = 0; i < 5; i++) connectAndDrop(c.apiPort(1));
        assertEquals(2, awaitFollowers(c, "the dropped connections' follows ended", n -> n == followers));

        c.kill9(2);
        Received unreachable = http.await("member.unreachable of node-2", e -> isAbout(e, "member.unreachable", "node-2"));
        assertMembershipEvent(unreachable, "member.unreachable", "warning", c.basePort + 20);
        assertEquals(uid2, unreachable.data.get("details").get("uid").asText(), "the same incarnation");
        assertTrue(unreachable.seq() > up2.seq());
        Received downed = http.await("member.downed of node-2 (split-brain resolver)", e -> isAbout(e, "member.downed", "node-2"));
        Received removed = http.await("member.removed of node-2", e -> isAbout(e, "member.removed", "node-2"));
        assertMembershipEvent(downed, "member.downed", "warning", c.basePort + 20);
        assertMembershipEvent(removed, "member.removed", "warning", c.basePort + 20);
        assertEquals("down", removed.data.get("details").get("previousStatus").asText());
        assertTrue(unreachable.seq() < downed.seq() && downed.seq() < removed.seq(), "in order");
        assertTrue(removed.data.get("timeMs").asLong() >= unreachable.data.get("timeMs").asLong());
        System.out.println("EventsIT: node-2 unreachable " + (unreachable.data.get("timeMs").asLong() - up2.data.get("timeMs").asLong())
            + " ms after its up; removed " + (removed.data.get("timeMs").asLong() - unreachable.data.get("timeMs").asLong())
            + " ms after unreachable");

        awaitLine(cli, "bin/cairn events --json shows node-2's removal",
            l -> l.contains("\"member.removed\"") && l.contains("\"member\":\"node-2\""));
        assertTrue(cli.isAlive(), "the CLI keeps following");

        JsonNode all = c.get(1, "/api/events/recent");
        assertEquals(1, countAbout(all, "member.unreachable", "node-2"), "reported once: " + all);
        assertEquals(1, countAbout(all, "member.removed", "node-2"), "reported once: " + all);
        long previous = 0;
        for (JsonNode e : all) {
          assertTrue(e.get("seq").asLong() > previous, "ascending: " + all);
          previous = e.get("seq").asLong();
        }
        assertFalse(http.received().stream().anyMatch(r -> !r.id.equals(Long.toString(r.seq()))), "SSE id = seq");
      }
    });
  }

  /**
   * The singleton moves: {@code kill -9} of node 1, where it runs. Nobody published node 1's loss
   * while it happened; the new singleton (node 2 or 3) publishes it from its node's membership log,
   * and announces no member as up again.
   */
  @Test
  void shouldPublishTheLossOfTheSingletonsNodeAfterTheSingletonMoved(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(EventsIT.class, MultiNodeIT.name(test)), 13800, 3, null);
    c.nodeJavaOpts = "-Dcairn.events.keep-alive=2s";
    c.scenario(() -> {
      c.up();
      for (int i = 1; i <= 3; i++) c.awaitMembers(i, 3);
      String api2 = "http://127.0.0.1:" + c.apiPort(2);
      try (SseFollower http = new SseFollower(URI.create(api2 + "/api/events?recent=50&kind=member."))) {
        // Node 1's own buffer has its up (node 2's may lack the ups published just as it joined).
        String uid1 = await("node-1's uid", () -> c.get(1, "/api/events/recent"), j -> countAbout(j, "member.up", "node-1") == 1)
            .findValues("details").stream().filter(d -> d.path("member").asText().equals("node-1")).findFirst().orElseThrow()
            .get("uid").asText();

        c.kill9(1);
        Received unreachable = http.await("member.unreachable of node-1", e -> isAbout(e, "member.unreachable", "node-1"));
        Received removed = http.await("member.removed of node-1", e -> isAbout(e, "member.removed", "node-1"));
        for (Received r : List.of(unreachable, removed)) {
          assertTrue(List.of("node-2", "node-3").contains(r.data.get("node").asText()), "published by the moved singleton: " + r);
          assertEquals(uid1, r.data.get("details").get("uid").asText());
          assertEquals("pekko://cairn@127.0.0.1:" + (c.basePort + 10), r.data.get("details").get("address").asText());
        }
        assertEquals("warning", unreachable.data.get("severity").asText());
        assertEquals("down", removed.data.get("details").get("previousStatus").asText());
        assertTrue(unreachable.data.get("timeMs").asLong() <= removed.data.get("timeMs").asLong(), "times of the changes, in order");

        // Let a late duplicate show, then count: every change once, no member announced up again.
        CairnProcess.sleep(5000);
        JsonNode recent = c.get(2, "/api/events/recent?kind=member.");
        System.out.println("EventsIT: node 2's membership events after the singleton moved: " + recent);
        for (String kind : List.of("member.unreachable", "member.downed", "member.removed")) {
          assertEquals(1, countAbout(recent, kind, "node-1"), kind + " of node-1 once: " + recent);
        }
        for (String member : List.of("node-1", "node-2", "node-3")) {
          assertTrue(countAbout(recent, "member.up", member) <= 1, "no second up of " + member + ": " + recent);
        }
      }
    });
  }

  /** The fields of a membership event about node 2 (or 1) as published by node 1. */
  private static void assertMembershipEvent(Received r, String kind, String severity, int arteryPort) {
    JsonNode e = r.data;
    assertEquals(kind, r.event, "SSE event name = kind");
    assertEquals(kind, e.get("kind").asText());
    assertEquals("node-1", e.get("node").asText(), "published by the singleton on node 1: " + e);
    assertEquals(severity, e.get("severity").asText(), e.toString());
    assertEquals("pekko://cairn@127.0.0.1:" + arteryPort, e.get("details").get("address").asText(), e.toString());
    long timeMs = e.get("timeMs").asLong();
    assertEquals(Instant.ofEpochMilli(timeMs), Instant.parse(e.get("time").asText()));
    assertTrue(Math.abs(System.currentTimeMillis() - timeMs) < Duration.ofMinutes(10).toMillis(), "a recent time: " + e);
    assertFalse(e.get("message").asText().isBlank());
    assertTrue(e.get("seq").asLong() > 0);
  }

  private static boolean isAbout(Received r, String kind, String member) {
    return r.event.equals(kind) && r.data.path("details").path("member").asText().equals(member);
  }

  private static long countAbout(JsonNode events, String kind, String member) {
    assertNotNull(events, "GET /api/events/recent answered");
    return LocalClusterRun.stream(events)
        .filter(e -> e.get("kind").asText().equals(kind) && e.path("details").path("member").asText().equals(member)).count();
  }

  private static int awaitFollowers(LocalClusterRun c, String what, Predicate<Integer> done) {
    return await(what, Duration.ofSeconds(30), () -> c.get(1, "/api/status"), s -> done.test(s.path("events").path("followers").asInt(-1)))
        .path("events").path("followers").asInt();
  }

  /** Opens an event stream on a raw socket, reads until its first comment, and closes the socket. */
  private static void connectAndDrop(int port) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /api/events?recent=3 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      for (String l; (l = in.readLine()) != null; ) {
        if (l.startsWith(": cairn event stream")) return;
      }
      throw new AssertionError("the stream closed before its first comment");
    }
  }

  private static int status(String url) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 400) {
      JsonNode body = LocalClusterRun.JSON.readTree(r.body());
      assertEquals("INVALID", body.get("error").asText(), r.body());
    }
    return r.statusCode();
  }

  /** {@code bin/cairn ARGS} in the background (the jar as built, no rebuild). */
  private static Exec.Background cli(LocalClusterRun c, String... args) {
    Path bin = Path.of(System.getProperty("cairn.home", "..")).resolve("bin/cairn").toAbsolutePath().normalize();
    List<String> cmd = new ArrayList<>(List.of("env", "CAIRN_NO_BUILD=1", "CAIRN_JAVA_OPTS=-XX:+UseSerialGC -Xmx64m", bin.toString()));
    cmd.addAll(List.of(args));
    return new Exec.Background(cmd);
  }

  /** The first line of {@code p} (from the start of its output) that passes {@code match}. */
  private static String awaitLine(Exec.Background p, String what, Predicate<String> match) throws InterruptedException {
    long deadline = System.nanoTime() + EVENT_TIMEOUT.toNanos();
    while (System.nanoTime() - deadline < 0) {
      String l = p.next(Duration.ofMillis(500));
      if (l == Exec.Background.EOF) throw new AssertionError(what + ": the process ended:\n" + p.transcript());
      if (l != null && match.test(l)) return l;
    }
    throw new AssertionError(what + ": not within " + EVENT_TIMEOUT + "; output:\n" + p.transcript());
  }

  /** One SSE message: its event name, its id, its data as JSON. */
  record Received(String event, String id, JsonNode data) {
    long seq() {
      return data.get("seq").asLong();
    }
  }

  /** Follows an event stream on a reader thread, keeping every message. */
  static final class SseFollower implements AutoCloseable {
    final String contentType;
    private final InputStream body;
    private final List<Received> received = new ArrayList<>();
    private final Thread reader;

    SseFollower(URI uri) throws Exception {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      contentType = r.headers().firstValue("Content-Type").orElse("");
      body = r.body();
      reader = new Thread(this::read, "sse-" + uri.getPort());
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      SseParser parser = new SseParser();
      try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        for (String l; (l = in.readLine()) != null; ) {
          SseParser.Message m = parser.line(l);
          if (m == null) continue;
          Received r = new Received(m.event(), m.id(), LocalClusterRun.JSON.readTree(m.data()));
          synchronized (received) {
            received.add(r);
          }
        }
      } catch (IOException e) {
        // closed by the test, or the node went away
      }
    }

    List<Received> received() {
      synchronized (received) {
        return List.copyOf(received);
      }
    }

    Received await(String what, Predicate<Received> match) {
      return LocalClusterRun.await(what, EVENT_TIMEOUT, () -> received().stream().filter(match).findFirst().orElse(null), r -> true);
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
