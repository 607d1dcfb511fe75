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
 * {@code GET /api/events} followed by an HTTP client and by {@code bin/cairn events --json}. Every
 * node's stream reports the membership changes that node saw, once each, as their observer: node
 * 1 (the older) both nodes' ups, node 2 its own. Clients that connect and go away leave no
 * subscription behind; after {@code kill -9} of node 2 node 1's stream reports it unreachable,
 * then downed and removed by the split-brain resolver (keep-majority keeps node 1, the lowest
 * address, about 20 s after the loss). Keep-alives every 2 s (the HTTP server notices a client
 * that went away when its writes to it fail).
 *
 * <p>A second scenario kills the oldest node of a 3-node cluster: each survivor's stream reports
 * that loss once, observed by that survivor. About 90 s and 150 s on two cores.
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

        // The replay: node 1, the older, saw each node come up.
        Received up2 = http.await("member.up of node-2", e -> isAbout(e, "member.up", "node-2"));
        Received up1 = http.await("member.up of node-1", e -> isAbout(e, "member.up", "node-1"));
        assertMembershipEvent(up2, "member.up", "info", c.basePort + 20, "node-1");
        assertMembershipEvent(up1, "member.up", "info", c.basePort + 10, "node-1");
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

        // Each node's own stream: every up once, on the stream of the node that saw it.
        assertEveryUpOnce(c, List.of(1, 2));

        // Scripts: the buffered events as JSON; bad input is refused.
        JsonNode recent = c.get(1, "/api/events/recent?kind=member.");
        assertEquals(1, countAbout(recent, "member.up", "node-2"), "node-2 came up once: " + recent);
        assertEquals(1, countAbout(recent, "member.up", "node-1"), "node-1 came up once: " + recent);
        assertEquals(400, status(api1 + "/api/events?recent=many"));
        assertEquals(400, status(api1 + "/api/events?kind=Member"));
        assertEquals(400, status(api1 + "/api/events/recent?limit=-1"));

        // Clients that connect and go away leave no follower behind.
        awaitFollowers(c, "the test's stream and bin/cairn events --json", n -> n == 2);
        List<Socket> dropped = new ArrayList<>();
        try {
          for (int i = 0; i < 5; i++) dropped.add(openStream(c.apiPort(1)));
          awaitFollowers(c, "the 5 raw connections follow too", n -> n == 7);
        } finally {
          for (Socket socket : dropped) socket.close();
        }
        awaitFollowers(c, "the dropped connections' follows ended", n -> n == 2);

        long killedAt = System.currentTimeMillis();
        c.kill9(2);
        // Only what was seen after the kill: a slow machine may have shown node 2 unreachable and reachable before.
        Received unreachable = http.await("member.unreachable of node-2", e -> isAbout(e, "member.unreachable", "node-2") && e.timeMs() >= killedAt);
        assertMembershipEvent(unreachable, "member.unreachable", "warning", c.basePort + 20, "node-1");
        assertEquals(uid2, unreachable.data.get("details").get("uid").asText(), "the same incarnation");
        assertTrue(unreachable.seq() > up2.seq());
        Received downed = http.await("member.downed of node-2 (split-brain resolver)", e -> isAbout(e, "member.downed", "node-2"));
        Received removed = http.await("member.removed of node-2", e -> isAbout(e, "member.removed", "node-2"));
        assertMembershipEvent(downed, "member.downed", "warning", c.basePort + 20, "node-1");
        assertMembershipEvent(removed, "member.removed", "warning", c.basePort + 20, "node-1");
        assertEquals("down", removed.data.get("details").get("previousStatus").asText());
        assertTrue(unreachable.seq() < downed.seq() && downed.seq() < removed.seq(), "in order");
        assertTrue(downed.timeMs() >= killedAt && removed.timeMs() >= unreachable.timeMs());
        System.out.println("EventsIT: node-2 unreachable " + (unreachable.timeMs() - killedAt) + " ms after the kill; removed "
            + (removed.timeMs() - unreachable.timeMs()) + " ms after unreachable");

        awaitLine(cli, "bin/cairn events --json shows node-2's removal",
            l -> l.contains("\"member.removed\"") && l.contains("\"member\":\"node-2\""));
        assertTrue(cli.isAlive(), "the CLI keeps following");

        JsonNode all = c.get(1, "/api/events/recent");
        assertEquals(1, countAbout(all, "member.unreachable", "node-2", killedAt), "reported once: " + all);
        assertEquals(1, countAbout(all, "member.downed", "node-2"), "reported once: " + all);
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
   * {@code kill -9} of node 1, the oldest node of three: each survivor's stream reports node 1
   * unreachable, downed and removed once, observed by that survivor, and announces no member up
   * again.
   */
  @Test
  void shouldReportTheLossOfANodeOnceOnEverySurvivorsStream(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(EventsIT.class, MultiNodeIT.name(test)), 13800, 3, null);
    c.nodeJavaOpts = "-Dcairn.events.keep-alive=2s";
    c.scenario(() -> {
      c.up();
      for (int i = 1; i <= 3; i++) c.awaitMembers(i, 3);
      assertEveryUpOnce(c, List.of(1, 2, 3));
      String uid1 = c.get(1, "/api/events/recent?kind=member.up").findValues("details").stream()
          .filter(d -> d.path("member").asText().equals("node-1")).findFirst().orElseThrow().get("uid").asText();
      try (SseFollower on2 = new SseFollower(URI.create("http://127.0.0.1:" + c.apiPort(2) + "/api/events?recent=50&kind=member."));
          SseFollower on3 = new SseFollower(URI.create("http://127.0.0.1:" + c.apiPort(3) + "/api/events?recent=50&kind=member."))) {
        long killedAt = System.currentTimeMillis();
        c.kill9(1);
        for (int i : List.of(2, 3)) {
          SseFollower stream = i == 2 ? on2 : on3;
          String observer = "node-" + i;
          Received unreachable = stream.await("member.unreachable of node-1 on " + observer,
              e -> isAbout(e, "member.unreachable", "node-1") && e.timeMs() >= killedAt);
          Received downed = stream.await("member.downed of node-1 on " + observer, e -> isAbout(e, "member.downed", "node-1"));
          Received removed = stream.await("member.removed of node-1 on " + observer, e -> isAbout(e, "member.removed", "node-1"));
          assertMembershipEvent(unreachable, "member.unreachable", "warning", c.basePort + 10, observer);
          assertMembershipEvent(downed, "member.downed", "warning", c.basePort + 10, observer);
          assertMembershipEvent(removed, "member.removed", "warning", c.basePort + 10, observer);
          for (Received r : List.of(unreachable, downed, removed)) assertEquals(uid1, r.data.get("details").get("uid").asText());
          assertEquals("down", removed.data.get("details").get("previousStatus").asText());
          assertTrue(unreachable.seq() < downed.seq() && downed.seq() < removed.seq(), "in order on " + observer);
          assertTrue(unreachable.timeMs() <= downed.timeMs() && downed.timeMs() <= removed.timeMs(),
              "the times " + observer + " saw the changes, in order");
        }

        // Let a late duplicate show, then count: every change once on each survivor, no member up again.
        CairnProcess.sleep(5000);
        for (int i : List.of(2, 3)) {
          JsonNode recent = c.get(i, "/api/events/recent?kind=member.");
          System.out.println("EventsIT: node " + i + "'s membership events after node 1's loss: " + recent);
          assertEquals(1, countAbout(recent, "member.unreachable", "node-1", killedAt), "unreachable once on node " + i + ": " + recent);
          for (String kind : List.of("member.downed", "member.removed")) {
            assertEquals(1, countAbout(recent, kind, "node-1"), kind + " of node-1 once on node " + i + ": " + recent);
          }
        }
        assertEveryUpOnce(c, List.of(2, 3));
      }
    });
  }

  /**
   * Every node's membership events, as the nodes {@code nodes} keep them: each node's own up
   * once, and of each two of them exactly one reports the other's up (the older sees the younger
   * come up; a member Up before a node joined is that node's baseline); each event observed by the
   * node whose stream it is on.
   */
  private static void assertEveryUpOnce(LocalClusterRun c, List<Integer> nodes) {
    List<JsonNode> views = await("each node's own up once, and of each two nodes one saw the other come up", Duration.ofSeconds(30),
        () -> nodes.stream().map(i -> c.get(i, "/api/events/recent?kind=member.")).toList(), v -> upsOnce(nodes, v));
    for (int k = 0; k < nodes.size(); k++) {
      for (JsonNode e : views.get(k)) {
        assertEquals("node-" + nodes.get(k), e.get("node").asText(), "observed by the node whose stream it is on: " + views.get(k));
      }
    }
  }

  private static boolean upsOnce(List<Integer> nodes, List<JsonNode> views) {
    for (int k = 0; k < nodes.size(); k++) {
      if (countAbout(views.get(k), "member.up", "node-" + nodes.get(k)) != 1) return false;
      for (int l = k + 1; l < nodes.size(); l++) {
        if (countAbout(views.get(k), "member.up", "node-" + nodes.get(l)) + countAbout(views.get(l), "member.up", "node-" + nodes.get(k)) != 1) {
          return false;
        }
      }
    }
    return true;
  }

  /** The fields of a membership event about the member at {@code arteryPort} as {@code observer} saw it. */
  private static void assertMembershipEvent(Received r, String kind, String severity, int arteryPort, String observer) {
    JsonNode e = r.data;
    assertEquals(kind, r.event, "SSE event name = kind");
    assertEquals(kind, e.get("kind").asText());
    assertEquals(observer, e.get("node").asText(), "observed by the node whose stream it is on: " + e);
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
    return countAbout(events, kind, member, 0);
  }

  /** The events of {@code kind} about {@code member} seen at or after {@code sinceMs}. */
  private static long countAbout(JsonNode events, String kind, String member, long sinceMs) {
    assertNotNull(events, "GET /api/events/recent answered");
    return LocalClusterRun.stream(events)
        .filter(e -> e.get("kind").asText().equals(kind) && e.path("details").path("member").asText().equals(member)
            && e.get("timeMs").asLong() >= sinceMs).count();
  }

  private static int awaitFollowers(LocalClusterRun c, String what, Predicate<Integer> done) {
    return await(what, Duration.ofSeconds(30), () -> c.get(1, "/api/status"), s -> done.test(s.path("events").path("followers").asInt(-1)))
        .path("events").path("followers").asInt();
  }

  /** Opens an event stream on a raw socket and reads until its first comment; the caller closes the socket. */
  private static Socket openStream(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    try {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /api/events?recent=3 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      for (String l; (l = in.readLine()) != null; ) {
        if (l.startsWith(": cairn event stream")) return s;
      }
      throw new AssertionError("the stream closed before its first comment");
    } catch (IOException | RuntimeException | Error e) {
      s.close();
      throw e;
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

    long timeMs() {
      return data.get("timeMs").asLong();
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
