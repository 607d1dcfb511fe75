package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * One local cluster of a test, started by {@code bin/cairn cluster up} (separate node processes, an
 * H2 TCP server holding the shared journal unless a PostgreSQL is given) under its own directory
 * and port range, and driven the way an operator would: the HTTP API of any node, the iSCSI portal
 * of any node, {@code kill -9} of a node by its PID. {@link #scenario} runs a test's steps and
 * always ends with {@code cluster down} and a SIGKILL (by PID) of anything of the cluster still
 * running; on failure it appends the nodes' WARN/ERROR lines and log tails.
 *
 * <p>Node I listens on base + 10 I (Artery), +1 (Aeron), +2 (iSCSI), +3 (API).
 */
final class LocalClusterRun {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String IQN = "iqn.2026-11.io.cairn:demo";
  static final Duration UP_TIMEOUT = Duration.ofMinutes(5);
  static final Duration IO_TIMEOUT = Duration.ofMinutes(2);
  /** Long enough for a killed node to be downed by the split-brain resolver (20 s) and removed. */
  static final Duration AWAIT_TIMEOUT = Duration.ofMinutes(2);

  final Path dir;
  final int basePort;
  final int nodes;
  final Postgres pg;
  /** Extra JVM options of the nodes {@link #up} starts (e.g. -D settings). */
  String nodeJavaOpts = "";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  LocalClusterRun(Path dir, int basePort, int nodes, Postgres pg) {
    this.dir = dir;
    this.basePort = basePort;
    this.nodes = nodes;
    this.pg = pg;
  }

  /** A fresh directory for one test's cluster: it/target/it-data/CLASS/TEST. */
  static Path dir(Class<?> testClass, String test) throws IOException {
    Path root = Path.of(System.getProperty("cairn.home", ".."), "it", "target", "it-data", testClass.getSimpleName())
        .toAbsolutePath().normalize();
    Path dir = root.resolve(test);
    CairnNodes.deleteTree(dir);
    Files.createDirectories(dir.getParent());
    return dir;
  }

  int apiPort(int node) {
    return basePort + 10 * node + 3;
  }

  int iscsiPort(int node) {
    return basePort + 10 * node + 2;
  }

  String url(int node, int lun) {
    return "iscsi://127.0.0.1:" + iscsiPort(node) + "/" + IQN + "/" + lun;
  }

  interface Steps {
    void run() throws Exception;
  }

  /** Runs {@code steps}, then stops everything; a failure carries the nodes' logs. */
  void scenario(Steps steps) throws Exception {
    boolean passed = false;
    try {
      steps.run();
      passed = true;
    } catch (Throwable t) {
      AssertionError e = new AssertionError(t.getMessage() + logs(), t);
      e.setStackTrace(t.getStackTrace());
      throw e;
    } finally {
      List<Long> leftover = stopEverything();
      if (passed) {
        assertTrue(leftover.isEmpty(), "processes left after cluster down: " + leftover);
        CairnNodes.deleteTree(dir);
      }
    }
  }

  /** {@code cluster up} with these extra flags (--dir, --base-port and --nodes are set here); returns its output. */
  Exec.Result up(String... flags) {
    List<String> up = new ArrayList<>(List.of("cluster", "up", "--nodes", Integer.toString(nodes), "--dir", dir.toString(),
        "--base-port", Integer.toString(basePort)));
    up.addAll(List.of(flags));
    if (pg != null) up.addAll(List.of("--journal-url", pg.jdbcUrl(), "--journal-user", Postgres.USER));
    return cairn(UP_TIMEOUT.plusMinutes(1), up, nodeJavaOpts).assertOk("bin/cairn cluster up");
  }

  /** Waits until {@code node} sees {@code members} members with directory entries. */
  JsonNode awaitMembers(int node, int members) {
    return await("node " + node + " sees " + members + " members", () -> get(node, "/api/status"),
        s -> s.path("cluster").path("domains").path("nodes").asInt() == members);
  }

  /**
   * A container "rfN" with replication factor {@code rf} (made when missing) and a vDisk of
   * {@code size} in it, made through node 1; returns its LUN once every node's portal exports it
   * (each node learns of a new vDisk from the configuration topic, at its own moment).
   */
  int replicatedVDisk(int rf, String name, String size) {
    String container = "rf" + rf;
    if (!get(1, "/api/containers").findValuesAsText("name").contains(container)) {
      post(1, "/api/containers", "{\"name\": \"" + container + "\", \"replicationFactor\": " + rf + "}");
    }
    post(1, "/api/vdisks", "{\"name\": \"" + name + "\", \"size\": \"" + size + "\", \"container\": \"" + container + "\"}");
    int lun = await(name + " created", () -> get(1, "/api/vdisks/" + name), j -> j.has("lun")).get("lun").asInt();
    for (int i = 1; i <= nodes; i++) awaitExported(i, lun, name);
    return lun;
  }

  /** Waits until node I's portal answers INQUIRY for {@code lun} (iscsi-inq). */
  void awaitExported(int node, int lun, String name) {
    await("node " + node + " exports " + name, () -> Exec.run(Duration.ofSeconds(30), "iscsi-inq", url(node, lun)),
        r -> r.exitCode() == 0);
  }

  long pid(int node) throws IOException {
    return pid(dir.resolve("node-" + node + "/node.pid"));
  }

  /** {@code kill -9} of node I, by its PID; returns when the process is gone. */
  void kill9(int node) throws Exception {
    ProcessHandle p = ProcessHandle.of(pid(node)).orElseThrow();
    p.destroyForcibly();
    p.onExit().get(30, TimeUnit.SECONDS);
  }

  /**
   * Runs a full GC in every live node (jcmd, by PID), waits, and fails if any node's log reports a
   * leaked Netty buffer (the detector reports a leak when the buffer's object is collected and
   * the next buffer is allocated: call it after some I/O followed this).
   */
  void assertNoLeaks(Runnable moreIo) throws Exception {
    for (int i = 1; i <= nodes; i++) {
      Path pidFile = dir.resolve("node-" + i + "/node.pid");
      if (Files.exists(pidFile) && alive(pid(pidFile))) {
        Exec.run(Duration.ofSeconds(30), "jcmd", Long.toString(pid(pidFile)), "GC.run");
      }
    }
    moreIo.run();
    CairnProcess.sleep(1000);
    for (int i = 1; i <= nodes; i++) {
      Path log = dir.resolve("node-" + i + "/node.log");
      if (!Files.exists(log)) continue;
      String text = Files.readString(log);
      int at = text.indexOf("LEAK:");
      if (at >= 0) throw new AssertionError("node " + i + " leaked a buffer:\n" + text.substring(at, Math.min(text.length(), at + 3000)));
    }
  }

  /** Node I's number from a node id ("node-I"). */
  static int number(String nodeId) {
    return Integer.parseInt(nodeId.substring("node-".length()));
  }

  /** Converts the LUN out through a node's portal; returns the SHA-256 of its first {@code bytes}. */
  String readBack(int node, int lun, long bytes, String stage) throws Exception {
    Path back = dir.resolve("back.raw");
    Files.deleteIfExists(back);
    Exec.run(IO_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "raw", url(node, lun), back.toString())
        .assertOk("qemu-img convert out " + stage);
    String sha = QemuImgRoundTripIT.sha256(back, bytes);
    Files.delete(back);
    return sha;
  }

  /** {@code cluster down}, then SIGKILL by PID to whatever of the cluster still runs; returns those PIDs. */
  List<Long> stopEverything() {
    if (Files.exists(dir.resolve("cluster.properties"))) {
      try {
        cairn(Duration.ofMinutes(3), List.of("cluster", "down", "--dir", dir.toString()));
      } catch (AssertionError e) {
        // fall through to the PIDs
      }
    }
    List<Long> left = processesOf(dir);
    for (long p : left) ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly);
    return left;
  }

  private String logs() {
    StringBuilder b = new StringBuilder();
    List<Path> logs = new ArrayList<>(List.of(dir.resolve("h2.log")));
    for (int i = 1; i <= nodes; i++) logs.add(dir.resolve("node-" + i + "/node.log"));
    for (Path log : logs) {
      if (!Files.exists(log)) continue;
      try {
        List<String> lines = Files.readAllLines(log);
        List<String> problems = lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
        b.append("\n\n----- ").append(log).append(" -----\n");
        if (!problems.isEmpty()) {
          b.append("WARN/ERROR lines (last 20):\n");
          problems.subList(Math.max(0, problems.size() - 20), problems.size()).forEach(l -> b.append(l).append('\n'));
          b.append("tail:\n");
        }
        lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> b.append(l).append('\n'));
      } catch (IOException e) {
        b.append("\n(cannot read ").append(log).append(": ").append(e).append(')');
      }
    }
    if (pg != null) b.append("\n\n----- PostgreSQL -----\n").append(pg.logTail());
    return b.toString();
  }

  JsonNode get(int node, String path) {
    return api(node, "GET", path, null);
  }

  JsonNode post(int node, String path, String body) {
    return api(node, "POST", path, body);
  }

  JsonNode put(int node, String path, String body) {
    return api(node, "PUT", path, body);
  }

  /** One API call; null when the node does not answer or answers with an error to a GET (callers retry). */
  JsonNode api(int node, String method, String path, String body) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort(node) + path)).timeout(Duration.ofSeconds(30));
      b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
          : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 400) {
        if (!method.equals("GET")) throw new AssertionError(method + " " + path + " on node " + node + " -> " + r.statusCode() + " " + r.body());
        return null;
      }
      return r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      if (!method.equals("GET")) throw new AssertionError(method + " " + path + " on node " + node + ": " + e, e);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs {@code bin/cairn ARGS} with the jar as built (no rebuild) and small node JVMs. */
  static Exec.Result cairn(Duration timeout, List<String> args) {
    return cairn(timeout, args, "");
  }

  /** The same, with extra JVM options for the nodes it starts (e.g. -D settings). */
  static Exec.Result cairn(Duration timeout, List<String> args, String nodeJavaOpts) {
    Path bin = Path.of(System.getProperty("cairn.home", "..")).resolve("bin/cairn").toAbsolutePath().normalize();
    List<String> cmd = new ArrayList<>(List.of(bin.toString()));
    cmd.addAll(args);
    try {
      Path out = Files.createTempFile("cairn-cli", ".out");
      try {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("CAIRN_NO_BUILD", "1");
        pb.environment().put("CAIRN_JAVA_OPTS", ("-XX:+UseSerialGC -XX:ReservedCodeCacheSize=64m " + nodeJavaOpts).trim());
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError("bin/cairn " + String.join(" ", args) + " did not finish within " + timeout + ":\n"
              + Exec.tail(Files.readString(out)));
        }
        return new Exec.Result(p.exitValue(), Files.readString(out), "");
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run bin/cairn: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Live processes whose command line names the cluster directory (nodes, H2 server): looked at, never signalled here. */
  static List<Long> processesOf(Path dir) {
    String marker = dir.toString();
    return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .map(ProcessHandle::pid).toList();
  }

  static long pid(Path pidFile) throws IOException {
    return Long.parseLong(Files.readString(pidFile).trim());
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Distinct nodes holding a replica of an egroup of {@code GET /api/vdisks/{name}/extent-groups}. */
  static long distinctNodes(JsonNode egroup) {
    return stream(egroup.get("replicas")).map(r -> r.get("node").asText()).distinct().count();
  }

  /** Whether {@code node} holds a replica of that egroup. */
  static boolean holds(JsonNode egroup, String node) {
    return stream(egroup.get("replicas")).anyMatch(r -> r.get("node").asText().equals(node));
  }

  static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out.stream();
  }

  /** Polls {@code probe} until its value (non-null) passes {@code done}; fails after {@link #AWAIT_TIMEOUT} with the last value. */
  static <T> T await(String what, Supplier<T> probe, Predicate<T> done) {
    return await(what, AWAIT_TIMEOUT, probe, done);
  }

  static <T> T await(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    while (System.nanoTime() - deadline < 0) {
      last = probe.get();
      if (last != null && done.test(last)) return last;
      CairnProcess.sleep(500);
    }
    throw new AssertionError("not within " + timeout + ": " + what + "; last seen: " + Optional.ofNullable(last).map(String::valueOf).orElse("nothing"));
  }
}
