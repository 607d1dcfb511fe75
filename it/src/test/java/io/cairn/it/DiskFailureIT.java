package io.cairn.it;

import static io.cairn.it.LocalClusterRun.await;
import static io.cairn.it.LocalClusterRun.distinctNodes;
import static io.cairn.it.LocalClusterRun.holds;
import static io.cairn.it.LocalClusterRun.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Disk health (Hades) with real processes and an injected device fault: 3 nodes, 3 blocks, an RF2
 * vDisk. Node 2's disk fails its I/O: it is taken offline, its replicas are re-protected on the
 * other nodes, and every byte reads back. The fault cleared, the disk passes its probe and comes
 * back; the third time within the hour it stays offline until an operator clears it. Then node 3's
 * disk is removed as planned: its replicas move off, then it is removed. Ports 13900-13949.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DiskFailureIT {

  private static final long MIB = 1L << 20;
  private static final long IMAGE_BYTES = 64 * MIB;
  private static final String DISK = "disk-0";

  @Test
  void shouldReprotectAFailedDiskAndHoldItAfterThreeOfflinesAndRemoveADiskAsPlanned(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(DiskFailureIT.class, MultiNodeIT.name(test)), 13900, 3, null);
    c.nodeJavaOpts = "-Dcairn.disk-health.fault-injection=on -Dcairn.disk-health.probe-interval=2s"
        + " -Dcairn.curator.scan-interval=10s -Dcairn.curator.fence-lease=10s -Dcairn.curator.orphan-grace=20s";
    c.scenario(() -> {
      c.up("--blocks", "3");
      for (int i = 1; i <= c.nodes; i++) c.awaitMembers(i, c.nodes);
      int lun = c.replicatedVDisk(2, "sturdy", "256M");
      Path image = c.dir.resolve("image.raw");
      QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0xD15CL);
      String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
      Exec.run(Duration.ofMinutes(3), "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), c.url(1, lun))
          .assertOk("qemu-img convert into sturdy through node 1");
      Files.delete(image);
      long egroups = IMAGE_BYTES / (4 * MIB);
      JsonNode before = await("every egroup of sturdy on 2 distinct nodes", () -> c.get(1, "/api/vdisks/sturdy/extent-groups"),
          list -> list.size() >= egroups && stream(list).allMatch(e -> distinctNodes(e) == 2));
      long onNode2 = stream(before).filter(e -> holds(e, "node-2")).count();
      assertTrue(onNode2 > 0, "node 2 holds replicas: " + before);

      // 1. Node 2's disk fails every I/O: its health check (or the I/O reaching it) takes it offline.
      c.put(2, "/api/faults/disks/" + DISK, "{\"mode\": \"error\"}");
      JsonNode offline = awaitDisk(c, 2, "offline");
      assertTrue(offline.get("reason").asText().contains("injected I/O error"), "the reason names the error: " + offline);
      assertEquals(1, offline.get("offlinesInWindow").asInt(), "first offline: " + offline);
      assertEquals("offline", memberDiskState(c, 1, "node-2"), "node 1 sees node 2's disk offline in the directory");
      JsonNode events = c.get(2, "/api/events/recent?kind=disk.");
      assertTrue(stream(events).anyMatch(e -> e.get("kind").asText().equals("disk.offline")
          && e.path("details").path("disk").asText().equals(DISK)), "a disk.offline event: " + events);

      // Its replicas are re-protected on nodes 1 and 3, and every byte reads back, also through node 2.
      JsonNode after = await("no egroup of sturdy keeps a replica on node 2's offline disk", Duration.ofMinutes(4),
          () -> c.get(1, "/api/vdisks/sturdy/extent-groups"),
          list -> list.size() == before.size() && stream(list).allMatch(e -> distinctNodes(e) == 2 && !holds(e, "node-2")));
      System.out.println("DiskFailureIT: " + onNode2 + " egroups re-protected off node 2's failed disk: " + after);
      assertEquals(sha, c.readBack(2, lun, IMAGE_BYTES, "node 2's disk offline"), "every byte through node 2");
      assertTrue(c.get(1, "/api/rebuild").path("lostDisks").toString().contains("node-2/" + DISK), "the Curator counts it lost");

      // 2. The fault cleared, the disk passes its probe and is online again; twice more offline
      //    within the hour and it is held: no probe brings it back, only an operator.
      for (int round = 1; round <= 3; round++) {
        if (round > 1) {
          c.put(2, "/api/faults/disks/" + DISK, "{\"mode\": \"error\"}");
          JsonNode d = awaitDisk(c, 2, round < 3 ? "offline" : "held");
          assertEquals(round, d.get("offlinesInWindow").asInt(), "offline number " + round + ": " + d);
        }
        c.put(2, "/api/faults/disks/" + DISK, "{\"mode\": \"none\"}");
        if (round < 3) awaitDisk(c, 2, "online");
      }
      CairnProcess.sleep(6000); // three probe intervals
      JsonNode held = disk(c, 2);
      assertEquals("held", held.get("state").asText(), "held after 3 offlines although it would pass a probe: " + held);
      Exec.Result cleared = LocalClusterRun.cairn(Duration.ofMinutes(1), List.of("disk", "clear", "node-2", DISK,
          "--api", "http://127.0.0.1:" + c.apiPort(1))).assertOk("bin/cairn disk clear node-2 " + DISK);
      assertTrue(cleared.stdout().contains("online"), "the CLI prints the disk online:\n" + cleared.stdout());
      JsonNode back = disk(c, 2);
      assertEquals("online", back.get("state").asText(), "cleared: " + back);
      assertEquals(0, back.get("offlinesInWindow").asInt(), "a clear forgets the offlines: " + back);

      // 3. Planned removal of node 3's disk: its replicas move to node 2 (online again), then the
      //    copies left on it are deleted and it is removed.
      long onNode3 = stream(c.get(1, "/api/vdisks/sturdy/extent-groups")).filter(e -> holds(e, "node-3")).count();
      assertTrue(onNode3 > 0, "node 3 holds replicas");
      LocalClusterRun.cairn(Duration.ofMinutes(1), List.of("disk", "remove", "node-3", DISK,
          "--api", "http://127.0.0.1:" + c.apiPort(1))).assertOk("bin/cairn disk remove node-3 " + DISK);
      assertEquals("removing", disk(c, 3).get("state").asText());
      await("no egroup of sturdy keeps a replica on node 3's disk", Duration.ofMinutes(4),
          () -> c.get(1, "/api/vdisks/sturdy/extent-groups"),
          list -> list.size() == before.size() && stream(list).allMatch(e -> distinctNodes(e) == 2 && !holds(e, "node-3")));
      JsonNode removed = awaitDisk(c, 3, "removed");
      assertEquals(0, removed.path("usage").path("egroups").asLong(), "a removed disk holds nothing: " + removed);
      assertEquals(sha, c.readBack(3, lun, IMAGE_BYTES, "node 3's disk removed"), "every byte through node 3");
      JsonNode kinds = c.get(3, "/api/events/recent?kind=disk.");
      assertTrue(stream(kinds).anyMatch(e -> e.get("kind").asText().equals("disk.removed")), "a disk.removed event: " + kinds);
    });
  }

  private static JsonNode disk(LocalClusterRun c, int node) {
    JsonNode disks = await("node " + node + "'s disks", () -> c.get(node, "/api/disks"), j -> j != null && j.size() == 1);
    return disks.get(0);
  }

  private static JsonNode awaitDisk(LocalClusterRun c, int node, String state) {
    return await("node " + node + "'s " + DISK + " is " + state, Duration.ofMinutes(2), () -> disk(c, node),
        d -> d.get("state").asText().equals(state));
  }

  /** The state of {@code nodeId}'s disk as node I's directory shows it. */
  private static String memberDiskState(LocalClusterRun c, int node, String nodeId) {
    JsonNode st = await("node " + node + " sees " + nodeId + "'s disk state", () -> c.get(node, "/api/status"),
        s -> stream(s.path("cluster").path("members")).anyMatch(m -> nodeId.equals(m.path("nodeId").asText())
            && m.path("disks").get(0).path("state").asText().equals("offline")));
    return stream(st.path("cluster").path("members")).filter(m -> nodeId.equals(m.path("nodeId").asText())).findFirst()
        .orElseThrow().path("disks").get(0).path("state").asText();
  }


}
