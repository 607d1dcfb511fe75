package io.cairn.it;

import static io.cairn.it.LocalClusterRun.IO_TIMEOUT;
import static io.cairn.it.LocalClusterRun.UP_TIMEOUT;
import static io.cairn.it.LocalClusterRun.alive;
import static io.cairn.it.LocalClusterRun.await;
import static io.cairn.it.LocalClusterRun.cairn;
import static io.cairn.it.LocalClusterRun.pid;
import static io.cairn.it.LocalClusterRun.processesOf;
import static io.cairn.it.LocalClusterRun.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes on one machine, started by {@code bin/cairn cluster up --nodes 3} (an H2 TCP server
 * holding the shared journal, or a real PostgreSQL), used the way an operator would: every node
 * lists the members with their domains, a vDisk made through node 1 is listed by every node and
 * reads back byte for byte through another node's portal (real initiators: libiscsi's iscsi-inq,
 * qemu-img, qemu-io), {@code kill -9} of node 3 leaves nodes 1 and 2 serving (and the journal
 * server running), and {@code cluster down} leaves no process behind. Replication across nodes is
 * {@link ReplicationIT}'s.
 *
 * <p>Sized for two cores: 512 MiB heaps, serial GC, 32 MiB of data. Ports 13300-13399.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MultiNodeIT {

  private static final long IMAGE_BYTES = 32L << 20;

  @Test
  void shouldServeAVDiskThroughEveryNodeAndSurviveKillOfOneOnAnH2Journal(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(MultiNodeIT.class, name(test)), 13300, 3, null);
    c.scenario(() -> steps(c));
  }

  @Test
  void shouldServeAVDiskThroughEveryNodeAndSurviveKillOfOneOnPostgres(TestInfo test) throws Exception {
    try (Postgres pg = Postgres.start(13395)) {
      LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(MultiNodeIT.class, name(test)), 13340, 3, pg);
      c.scenario(() -> steps(c));
      assertTrue(pg.isAlive(), "PostgreSQL outlives the cluster");
      // The cluster's metadata went to PostgreSQL, through the plugin's own schema.
      try (Connection conn = DriverManager.getConnection(pg.jdbcUrl(), Postgres.USER, "");
          ResultSet rs = conn.createStatement().executeQuery("SELECT count(*), count(DISTINCT persistence_id) FROM event_journal")) {
        assertTrue(rs.next());
        assertTrue(rs.getLong(1) > 0 && rs.getLong(2) > 1, "events of several entities in PostgreSQL: " + rs.getLong(1));
      }
    }
  }

  /** The designators of iscsi-inq's VPD 83h listing with this association (e.g. LOGICAL_UNIT), in page order. */
  static List<String> designators(String listing, String association) {
    List<String> out = new ArrayList<>();
    boolean match = false;
    for (String line : listing.split("\n")) {
      if (line.startsWith("Association:")) match = line.endsWith(" " + association);
      if (line.startsWith("Designator:[") && match) out.add(line.substring("Designator:".length()));
    }
    return out;
  }

  static String name(TestInfo test) {
    return test.getTestMethod().orElseThrow().getName();
  }

  /** One cluster's life: up, checks, kill -9 of node 3, more checks, down. */
  private static void steps(LocalClusterRun c) throws Exception {
    // --- up ----------------------------------------------------------------------------------
    List<String> up = new ArrayList<>(List.of("cluster", "up", "--nodes", "3", "--dir", c.dir.toString(),
        "--base-port", Integer.toString(c.basePort), "--blocks", "3", "--racks", "1"));
    if (c.pg != null) up.addAll(List.of("--journal-url", c.pg.jdbcUrl(), "--journal-user", Postgres.USER));
    Exec.Result r = cairn(UP_TIMEOUT.plusMinutes(1), up).assertOk("bin/cairn cluster up");
    for (int i = 1; i <= 3; i++) {
      assertTrue(r.stdout().contains("iSCSI 127.0.0.1:" + c.iscsiPort(i)), "node " + i + "'s portal printed:\n" + r.stdout());
      assertTrue(r.stdout().contains("http://127.0.0.1:" + c.apiPort(i) + "/api/status"), "node " + i + "'s API printed");
    }
    long journalPid = c.pg != null ? c.pg.pid() : pid(c.dir.resolve("h2.pid"));
    assertTrue(alive(journalPid), "journal server running");
    assertEquals(c.pg == null, Files.exists(c.dir.resolve("journal/cairn.mv.db")), "the H2 server holds the journal");
    for (int i = 1; i <= 3; i++) assertFalse(Files.exists(c.dir.resolve("node-" + i + "/journal")), "no embedded journal on node " + i);

    // --- every node sees the three members with their domains --------------------------------
    for (int i = 1; i <= 3; i++) {
      int node = i;
      JsonNode status = await("node " + node + " shows 3 members with directory entries", () -> c.get(node, "/api/status"),
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
        assertEquals("127.0.0.1:" + c.iscsiPort(j) + "," + j, m.get("iscsiPortals").get(0).asText(), "node J's portal group tag is J");
        assertEquals("127.0.0.1:" + c.apiPort(j), m.get("management").asText());
        assertEquals("127.0.0.1:" + (c.basePort + 10 * j + 1), m.get("aeron").asText());
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
    Exec.Result cli = cairn(Duration.ofMinutes(1), List.of("cluster", "status", "--dir", c.dir.toString())).assertOk("cluster status");
    assertTrue(cli.stdout().contains("3 node(s), 3 block(s), 1 rack(s)"), cli.stdout());

    // --- a vDisk made through node 1, used through node 2 -------------------------------------
    // With every vDisk's data on its controller's node (RF1 until replication), the vDisk used
    // across the crash must not be controlled by node 3: make another when it is.
    JsonNode vdisk = null;
    for (int attempt = 0; attempt < 4 && vdisk == null; attempt++) {
      String name = "shared-" + attempt;
      c.post(1, "/api/vdisks", "{\"name\": \"" + name + "\", \"size\": \"64M\"}");
      JsonNode v = await("controller of " + name + " placed", () -> c.get(1, "/api/vdisks/" + name), j -> j.has("controllerNode"));
      if (!v.get("controllerNode").asText().equals("node-3")) vdisk = v;
    }
    assertTrue(vdisk != null, "four vDisks in a row controlled by node 3");
    String name = vdisk.get("name").asText();
    int lun = vdisk.get("lun").asInt();
    for (int node : new int[] {2, 3}) {
      await("node " + node + " lists " + name, () -> c.get(node, "/api/vdisks"),
          list -> stream(list).anyMatch(v -> v.get("name").asText().equals(name)));
    }
    Exec.Result inq = await("iscsi-inq through node 2's portal", () -> Exec.run(Duration.ofSeconds(30), "iscsi-inq", c.url(2, lun)),
        res -> res.exitCode() == 0);
    assertTrue(inq.stdout().contains("DIRECT_ACCESS"), inq.stdout());
    // Multipath across nodes: the same logical unit (VPD 83h LU designators) through each node's
    // portal, each node its own target port.
    Map<String, List<String>> lu = new TreeMap<>();
    Map<String, List<String>> ports = new TreeMap<>();
    for (int node = 1; node <= 3; node++) {
      // binary designators (NAA) printed raw: made printable for the comparison
      Exec.Result vpd = Exec.run(Duration.ofSeconds(30), "bash", "-c",
          "set -o pipefail; iscsi-inq -e 1 -c 131 '" + c.url(node, lun) + "' | LC_ALL=C tr -c '[:print:]\\n' '.'")
          .assertOk("VPD 83h through node " + node);
      lu.put("node " + node, designators(vpd.stdout(), "LOGICAL_UNIT"));
      ports.put("node " + node, designators(vpd.stdout(), "TARGET_PORT"));
    }
    assertTrue(lu.get("node 1").stream().anyMatch(d -> d.startsWith("[CAIRN ")), "the T10 vendor id designator: " + lu);
    assertEquals(lu.get("node 1"), lu.get("node 2"), "one logical unit through every node: " + lu);
    assertEquals(lu.get("node 1"), lu.get("node 3"), "one logical unit through every node: " + lu);
    assertTrue(ports.get("node 2").contains("[" + LocalClusterRun.IQN + ",t,0x0002]"), "node 2's target port: " + ports);
    assertNotEquals(ports.get("node 1"), ports.get("node 2"), "each node is its own target port: " + ports);

    Path image = c.dir.resolve("image.raw");
    QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0x3A0DE5L);
    String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
    Exec.run(IO_TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), c.url(2, lun))
        .assertOk("qemu-img convert into " + name + " through node 2");
    QemuIo.run(c.url(2, lun), List.of("write -P 0x5c 40M 1M", "read -P 0x5c 40M 1M"), IO_TIMEOUT)
        .assertClean("qemu-io pattern through node 2", 1, 1);
    assertEquals(sha, c.readBack(2, lun, IMAGE_BYTES, "right after writing, through node 2"));
    assertEquals(sha, c.readBack(3, lun, IMAGE_BYTES, "through node 3"));

    // --- kill -9 of node 3 ------------------------------------------------------------------
    ProcessHandle node3 = ProcessHandle.of(pid(c.dir.resolve("node-3/node.pid"))).orElseThrow();
    node3.destroyForcibly();
    node3.onExit().get(30, TimeUnit.SECONDS);
    for (int node : new int[] {1, 2}) {
      JsonNode s = await("node " + node + " drops node 3", () -> c.get(node, "/api/status"),
          st -> st.path("cluster").path("members").size() == 2 && st.path("cluster").path("domains").path("nodes").asInt() == 2);
      assertFalse(stream(s.path("cluster").path("members")).anyMatch(m -> m.path("nodeId").asText().equals("node-3")));
    }
    assertTrue(alive(journalPid), "the journal server survives the kill -9 of a node");
    assertTrue(alive(pid(c.dir.resolve("node-1/node.pid"))) && alive(pid(c.dir.resolve("node-2/node.pid"))));

    assertEquals(sha, c.readBack(2, lun, IMAGE_BYTES, "after node 3 was killed, through node 2"));
    assertEquals(sha, c.readBack(1, lun, IMAGE_BYTES, "after node 3 was killed, through node 1"));
    QemuIo.run(c.url(1, lun), List.of("read -P 0x5c 40M 1M"), IO_TIMEOUT).assertClean("qemu-io pattern through node 1", 0, 1);
    // The two survivors still take configuration changes and new vDisks.
    JsonNode after = c.post(2, "/api/vdisks", "{\"name\": \"after-crash\", \"size\": \"16M\"}");
    int afterLun = after.get("lun").asInt();
    assertNotEquals(lun, afterLun);
    await("node 1 exports after-crash", () -> Exec.run(Duration.ofSeconds(30), "iscsi-inq", c.url(1, afterLun)), res -> res.exitCode() == 0);
    QemuIo.run(c.url(1, afterLun), List.of("write -P 0xa1 0 4M", "write -P 0xa2 8M 64k", "read -P 0xa1 0 4M", "read -P 0xa2 8M 64k"),
        IO_TIMEOUT).assertClean("a vDisk made after the crash, through node 1", 2, 2);

    // --- down ---------------------------------------------------------------------------------
    List<Long> pids = new ArrayList<>(List.of(pid(c.dir.resolve("node-1/node.pid")), pid(c.dir.resolve("node-2/node.pid"))));
    if (c.pg == null) pids.add(journalPid);
    cairn(Duration.ofMinutes(3), List.of("cluster", "down", "--dir", c.dir.toString())).assertOk("bin/cairn cluster down");
    for (long p : pids) assertFalse(alive(p), "pid " + p + " still running after cluster down");
    assertEquals(List.of(), processesOf(c.dir), "no process of the cluster is left");
  }
}
