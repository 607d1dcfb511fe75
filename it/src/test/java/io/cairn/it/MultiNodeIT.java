package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes on one machine, started by {@code bin/cairn cluster up --nodes 3} (an H2 TCP server
 * holding the shared journal, or a real PostgreSQL), used the way an operator would: every node
 * lists the members with their domains, a vDisk made through node 1 is listed by every node and
 * reads back byte for byte through another node's portal (real initiators: libiscsi's iscsi-inq,
 * qemu-img, qemu-io), {@code kill -9} of node 3 leaves nodes 1 and 2 serving (and the journal
 * server running), and {@code cluster down} leaves no process behind.
 *
 * <p>Sized for two cores: 512 MiB heaps, serial GC, 32 MiB of data. Ports 13300-13399.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MultiNodeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String IQN = "iqn.2026-11.io.cairn:demo";
  private static final long IMAGE_BYTES = 32L << 20;
  private static final Duration UP_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration IO_TIMEOUT = Duration.ofMinutes(2);
  /** Unreachable after a few seconds, downed by the split-brain resolver after its 20 s, then removed. */
  private static final Duration REMOVAL_TIMEOUT = Duration.ofMinutes(2);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void shouldServeAVDiskThroughEveryNodeAndSurviveKillOfOneOnAnH2Journal(TestInfo test) throws Exception {
    new Run(dir(test), 13300, null).scenario();
  }

  @Test
  void shouldServeAVDiskThroughEveryNodeAndSurviveKillOfOneOnPostgres(TestInfo test) throws Exception {
    try (Postgres pg = Postgres.start(13395)) {
      new Run(dir(test), 13340, pg).scenario();
      assertTrue(pg.isAlive(), "PostgreSQL outlives the cluster");
      // The cluster's metadata went to PostgreSQL, through the plugin's own schema.
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), Postgres.USER, "");
          ResultSet rs = c.createStatement().executeQuery("SELECT count(*), count(DISTINCT persistence_id) FROM event_journal")) {
        assertTrue(rs.next());
        assertTrue(rs.getLong(1) > 0 && rs.getLong(2) > 1, "events of several entities in PostgreSQL: " + rs.getLong(1));
      }
    }
  }

  /**
   * RF2 on three nodes: every extent group of a vDisk written through its controller's node has
   * replicas on two distinct nodes, and after {@code kill -9} of that node another node takes the
   * vDisk over (OpLog records from their replicas, extent groups from the surviving copies) and
   * reads every acknowledged byte back.
   */
  @Test
  void shouldReadEveryByteOfAnRf2VDiskBackAfterItsControllerNodeIsKilled(TestInfo test) throws Exception {
    Run run = new Run(dir(test), 13360, null);
    run.scenario(run::replicationSteps);
  }

  private static Path dir(TestInfo test) throws IOException {
    Path root = Path.of(System.getProperty("cairn.home", ".."), "it", "target", "it-data", "MultiNodeIT").toAbsolutePath().normalize();
    Path dir = root.resolve(test.getTestMethod().orElseThrow().getName());
    CairnNodes.deleteTree(dir);
    Files.createDirectories(dir.getParent());
    return dir;
  }

  /** One cluster's life: up, checks, kill -9 of node 3, more checks, down. */
  private final class Run {
    final Path dir;
    final int basePort;
    final Postgres pg;

    Run(Path dir, int basePort, Postgres pg) {
      this.dir = dir;
      this.basePort = basePort;
      this.pg = pg;
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

    void scenario() throws Exception {
      scenario(this::steps);
    }

    interface Steps {
      void run() throws Exception;
    }

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

    private void steps() throws Exception {
      // --- up ----------------------------------------------------------------------------------
      List<String> up = new ArrayList<>(List.of("cluster", "up", "--nodes", "3", "--dir", dir.toString(),
          "--base-port", Integer.toString(basePort), "--blocks", "3", "--racks", "1"));
      if (pg != null) up.addAll(List.of("--journal-url", pg.jdbcUrl(), "--journal-user", Postgres.USER));
      Exec.Result r = cairn(UP_TIMEOUT.plusMinutes(1), up).assertOk("bin/cairn cluster up");
      for (int i = 1; i <= 3; i++) {
        assertTrue(r.stdout().contains("iSCSI 127.0.0.1:" + iscsiPort(i)), "node " + i + "'s portal printed:\n" + r.stdout());
        assertTrue(r.stdout().contains("http://127.0.0.1:" + apiPort(i) + "/api/status"), "node " + i + "'s API printed");
      }
      long journalPid = pg != null ? pg.pid() : pid(dir.resolve("h2.pid"));
      assertTrue(alive(journalPid), "journal server running");
      assertEquals(pg == null, Files.exists(dir.resolve("journal/cairn.mv.db")), "the H2 server holds the journal");
      for (int i = 1; i <= 3; i++) assertFalse(Files.exists(dir.resolve("node-" + i + "/journal")), "no embedded journal on node " + i);

      // --- every node sees the three members with their domains --------------------------------
      for (int i = 1; i <= 3; i++) {
        int node = i;
        JsonNode status = await("node " + node + " shows 3 members with directory entries", () -> get(node, "/api/status"),
            s -> s.path("cluster").path("domains").path("nodes").asInt() == 3
                && stream(s.path("cluster").path("members")).allMatch(m -> m.has("nodeId")));
        Map<String, JsonNode> members = new TreeMap<>();
        for (JsonNode m : status.path("cluster").path("members")) members.put(m.get("nodeId").asText(), m);
        assertEquals(List.of("node-1", "node-2", "node-3"), List.copyOf(members.keySet()));
        for (int j = 1; j <= 3; j++) {
          JsonNode m = members.get("node-" + j);
          assertEquals("Up", m.get("status").asText());
          assertTrue(m.get("reachable").asBoolean());
          assertEquals("block-" + j, m.get("block").asText());
          assertEquals("rack-1", m.get("rack").asText());
          assertEquals("127.0.0.1:" + iscsiPort(j) + ",1", m.get("iscsiPortals").get(0).asText());
          assertEquals("127.0.0.1:" + apiPort(j), m.get("management").asText());
          assertEquals("127.0.0.1:" + (basePort + 10 * j + 1), m.get("aeron").asText());
          assertEquals(1, m.get("disks").size());
          assertEquals(node == j, m.get("self").asBoolean());
        }
        assertEquals(3, status.path("cluster").path("domains").path("blocks").asInt());
        assertEquals(1, status.path("cluster").path("domains").path("racks").asInt());
        assertEquals("node-" + node, status.path("node").path("id").asText());
        // Demo objects exist once for the whole cluster, whichever node asked first.
        assertEquals(1, status.path("objects").path("volumeGroups").asInt(), "one demo volume group");
        assertEquals(1, status.path("objects").path("containers").asInt(), "one default container");
      }
      Exec.Result cli = cairn(Duration.ofMinutes(1), List.of("cluster", "status", "--dir", dir.toString())).assertOk("cluster status");
      assertTrue(cli.stdout().contains("3 node(s), 3 block(s), 1 rack(s)"), cli.stdout());

      // --- a vDisk made through node 1, used through node 2 -------------------------------------
      // With every vDisk's data on its controller's node (RF1 until replication), the vDisk used
      // across the crash must not be controlled by node 3: make another when it is.
      JsonNode vdisk = null;
      for (int attempt = 0; attempt < 4 && vdisk == null; attempt++) {
        String name = "shared-" + attempt;
        post(1, "/api/vdisks", "{\"name\": \"" + name + "\", \"size\": \"64M\"}");
        JsonNode v = await("controller of " + name + " placed", () -> get(1, "/api/vdisks/" + name), j -> j.has("controllerNode"));
        if (!v.get("controllerNode").asText().equals("node-3")) vdisk = v;
      }
      assertTrue(vdisk != null, "four vDisks in a row controlled by node 3");
      String name = vdisk.get("name").asText();
      int lun = vdisk.get("lun").asInt();
      for (int node : new int[] {2, 3}) {
        await("node " + node + " lists " + name, () -> get(node, "/api/vdisks"),
            list -> stream(list).anyMatch(v -> v.get("name").asText().equals(name)));
      }
      Exec.Result inq = await("iscsi-inq through node 2's portal", () -> Exec.run(Duration.ofSeconds(30), "iscsi-inq", url(2, lun)),
          res -> res.exitCode() == 0);
      assertTrue(inq.stdout().contains("DIRECT_ACCESS"), inq.stdout());

      Path image = dir.resolve("image.raw");
      QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0x3A0DE5L);
      String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
      Exec.run(IO_TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), url(2, lun))
          .assertOk("qemu-img convert into " + name + " through node 2");
      QemuIo.run(url(2, lun), List.of("write -P 0x5c 40M 1M", "read -P 0x5c 40M 1M"), IO_TIMEOUT)
          .assertClean("qemu-io pattern through node 2", 1, 1);
      assertEquals(sha, readBack(2, lun, "right after writing, through node 2"));
      assertEquals(sha, readBack(3, lun, "through node 3"));

      // --- kill -9 of node 3 ------------------------------------------------------------------
      ProcessHandle node3 = ProcessHandle.of(pid(dir.resolve("node-3/node.pid"))).orElseThrow();
      node3.destroyForcibly();
      node3.onExit().get(30, TimeUnit.SECONDS);
      for (int node : new int[] {1, 2}) {
        JsonNode s = await("node " + node + " drops node 3", () -> get(node, "/api/status"),
            st -> st.path("cluster").path("members").size() == 2 && st.path("cluster").path("domains").path("nodes").asInt() == 2);
        assertFalse(stream(s.path("cluster").path("members")).anyMatch(m -> m.path("nodeId").asText().equals("node-3")));
      }
      assertTrue(alive(journalPid), "the journal server survives the kill -9 of a node");
      assertTrue(alive(pid(dir.resolve("node-1/node.pid"))) && alive(pid(dir.resolve("node-2/node.pid"))));

      assertEquals(sha, readBack(2, lun, "after node 3 was killed, through node 2"));
      assertEquals(sha, readBack(1, lun, "after node 3 was killed, through node 1"));
      QemuIo.run(url(1, lun), List.of("read -P 0x5c 40M 1M"), IO_TIMEOUT).assertClean("qemu-io pattern through node 1", 0, 1);
      // The two survivors still take configuration changes and new vDisks.
      JsonNode after = post(2, "/api/vdisks", "{\"name\": \"after-crash\", \"size\": \"16M\"}");
      int afterLun = after.get("lun").asInt();
      assertNotEquals(lun, afterLun);
      await("node 1 exports after-crash", () -> Exec.run(Duration.ofSeconds(30), "iscsi-inq", url(1, afterLun)), res -> res.exitCode() == 0);
      QemuIo.run(url(1, afterLun), List.of("write -P 0xa1 0 4M", "write -P 0xa2 8M 64k", "read -P 0xa1 0 4M", "read -P 0xa2 8M 64k"),
          IO_TIMEOUT).assertClean("a vDisk made after the crash, through node 1", 2, 2);

      // --- down ---------------------------------------------------------------------------------
      List<Long> pids = new ArrayList<>(List.of(pid(dir.resolve("node-1/node.pid")), pid(dir.resolve("node-2/node.pid"))));
      if (pg == null) pids.add(journalPid);
      cairn(Duration.ofMinutes(3), List.of("cluster", "down", "--dir", dir.toString())).assertOk("bin/cairn cluster down");
      for (long p : pids) assertFalse(alive(p), "pid " + p + " still running after cluster down");
      assertEquals(List.of(), processesOf(dir), "no process of the cluster is left");
    }

    private void replicationSteps() throws Exception {
      cairn(UP_TIMEOUT.plusMinutes(1), List.of("cluster", "up", "--nodes", "3", "--dir", dir.toString(),
          "--base-port", Integer.toString(basePort), "--blocks", "3", "--racks", "1")).assertOk("bin/cairn cluster up");
      for (int i = 1; i <= 3; i++) {
        int node = i;
        await("node " + node + " sees 3 members", () -> get(node, "/api/status"),
            s -> s.path("cluster").path("domains").path("nodes").asInt() == 3);
      }
      post(1, "/api/containers", "{\"name\": \"rf2\", \"replicationFactor\": 2}");
      JsonNode rf2 = await("status shows the rf2 container", () -> get(1, "/api/status"),
          st -> stream(st.get("containers")).anyMatch(c -> c.get("name").asText().equals("rf2")));
      JsonNode container = stream(rf2.get("containers")).filter(c -> c.get("name").asText().equals("rf2")).findFirst().orElseThrow();
      assertEquals("BLOCK", container.get("awareness").asText(), "3 blocks, 1 rack: block awareness for RF2 " + container);
      post(1, "/api/vdisks", "{\"name\": \"mirrored\", \"size\": \"64M\", \"container\": \"rf2\"}");
      JsonNode v = await("controller of mirrored placed", () -> get(1, "/api/vdisks/mirrored"), j -> j.has("controllerNode"));
      int owner = Integer.parseInt(v.get("controllerNode").asText().substring("node-".length()));
      int survivor = owner == 1 ? 2 : 1;
      int lun = v.get("lun").asInt();
      await("node " + owner + " exports mirrored", () -> Exec.run(Duration.ofSeconds(30), "iscsi-inq", url(owner, lun)),
          res -> res.exitCode() == 0);

      Path image = dir.resolve("image.raw");
      QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0x5EEDL);
      String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
      Exec.run(IO_TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), url(owner, lun))
          .assertOk("qemu-img convert into mirrored through its controller's node " + owner);
      QemuIo.run(url(owner, lun), List.of("write -P 0x6d 40M 1M"), IO_TIMEOUT).assertClean("qemu-io pattern", 1, 0);
      assertEquals(sha, readBack(owner, lun, "right after writing"));

      // Once drained, every extent group has two replicas on two distinct nodes.
      JsonNode egroups = await("every extent group of mirrored on 2 distinct nodes", () -> get(owner, "/api/vdisks/mirrored/extent-groups"),
          list -> list.size() > 0 && stream(list).allMatch(e -> stream(e.get("replicas")).map(r -> r.get("node").asText())
              .distinct().count() == 2));
      assertTrue(egroups.size() >= IMAGE_BYTES / (4L << 20), "extent groups: " + egroups.size());

      // kill -9 of the controller's node: the survivor takes the vDisk over with every byte.
      ProcessHandle killed = ProcessHandle.of(pid(dir.resolve("node-" + owner + "/node.pid"))).orElseThrow();
      killed.destroyForcibly();
      killed.onExit().get(30, TimeUnit.SECONDS);
      await("node " + survivor + " drops node " + owner, () -> get(survivor, "/api/status"),
          st -> st.path("cluster").path("domains").path("nodes").asInt() == 2);
      String after = await("mirrored reads back through node " + survivor, () -> {
        try {
          return readBack(survivor, lun, "after node " + owner + " was killed");
        } catch (Throwable t) {
          return null; // the controller is moving: retry
        }
      }, x -> true);
      assertEquals(sha, after, "every byte acknowledged before the kill reads back");
      QemuIo.run(url(survivor, lun), List.of("read -P 0x6d 40M 1M"), IO_TIMEOUT).assertClean("pattern after the kill", 0, 1);
      cairn(Duration.ofMinutes(3), List.of("cluster", "down", "--dir", dir.toString())).assertOk("bin/cairn cluster down");
      assertEquals(List.of(), processesOf(dir), "no process of the cluster is left");
    }

    /** Converts the LUN out through a node's portal; returns the SHA-256 of its first IMAGE_BYTES. */
    private String readBack(int node, int lun, String stage) throws Exception {
      Path back = dir.resolve("back.raw");
      Files.deleteIfExists(back);
      Exec.run(IO_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "raw", url(node, lun), back.toString())
          .assertOk("qemu-img convert out " + stage);
      String sha = QemuImgRoundTripIT.sha256(back, IMAGE_BYTES);
      Files.delete(back);
      return sha;
    }

    /** {@code cluster down}, then SIGKILL by PID to whatever of the cluster still runs; returns those PIDs. */
    private List<Long> stopEverything() {
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
      for (int i = 1; i <= 3; i++) logs.add(dir.resolve("node-" + i + "/node.log"));
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

    /** One API call; null when the node does not answer or answers with an error (callers retry). */
    private JsonNode api(int node, String method, String path, String body) {
      try {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort(node) + path)).timeout(Duration.ofSeconds(30));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 400) {
          if (method.equals("POST")) throw new AssertionError(method + " " + path + " on node " + node + " -> " + r.statusCode() + " " + r.body());
          return null;
        }
        return JSON.readTree(r.body());
      } catch (IOException e) {
        if (method.equals("POST")) throw new AssertionError(method + " " + path + " on node " + node + ": " + e, e);
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Runs {@code bin/cairn ARGS} with the jar as built (no rebuild) and small node JVMs. */
  private static Exec.Result cairn(Duration timeout, List<String> args) {
    Path bin = Path.of(System.getProperty("cairn.home", "..")).resolve("bin/cairn").toAbsolutePath().normalize();
    List<String> cmd = new ArrayList<>(List.of(bin.toString()));
    cmd.addAll(args);
    try {
      Path out = Files.createTempFile("cairn-cli", ".out");
      try {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("CAIRN_NO_BUILD", "1");
        pb.environment().put("CAIRN_JAVA_OPTS", "-XX:+UseSerialGC -XX:ReservedCodeCacheSize=64m");
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
  private static List<Long> processesOf(Path dir) {
    String marker = dir.toString();
    return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .map(ProcessHandle::pid).toList();
  }

  private static long pid(Path pidFile) throws IOException {
    return Long.parseLong(Files.readString(pidFile).trim());
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out.stream();
  }

  /** Polls {@code probe} until its value (non-null) passes {@code done}; fails after a bound with the last value. */
  private static <T> T await(String what, java.util.function.Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + REMOVAL_TIMEOUT.toNanos();
    T last = null;
    while (System.nanoTime() - deadline < 0) {
      last = probe.get();
      if (last != null && done.test(last)) return last;
      CairnProcess.sleep(500);
    }
    throw new AssertionError("not within " + REMOVAL_TIMEOUT + ": " + what + "; last seen: " + Optional.ofNullable(last).map(String::valueOf).orElse("nothing"));
  }
}
