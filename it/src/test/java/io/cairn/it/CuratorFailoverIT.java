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
 * The Curator singleton dies mid-rebuild and the work resumes on another node: 4 nodes, RF2.
 * Node 1 is restarted first, so that the singletons run on node 2 or 3 (whichever is now the
 * oldest member) while node 1 runs the vDisk's controller and, with data locality, holds a copy of
 * every extent group. Node 4 is killed; once it is gone from the membership its replicas count as
 * failed and the Curator starts a slow rebuild. While it runs, the Curator's node is killed too:
 * the singleton moves to the last other node, whose Curator scans again and re-protects
 * everything onto the two survivors.
 * Every byte reads back. Ports 13950-13999.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CuratorFailoverIT {

  private static final long MIB = 1L << 20;
  private static final long IMAGE_BYTES = 128 * MIB;

  @Test
  void shouldFinishTheRebuildOnAnotherNodeWhenTheCuratorsNodeIsKilledMidRebuild(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(CuratorFailoverIT.class, MultiNodeIT.name(test)), 13950, 4, null);
    // A failed node counts as failed only after the split-brain resolver removed it (20 s), so that
    // each kill leaves a majority; copies start once every 4 s per node, so the rebuild lasts.
    c.nodeJavaOpts = "-Dcairn.curator.node-failure-delay=30s -Dcairn.curator.scan-interval=20s"
        + " -Dcairn.curator.max-copy-rate=1MiB -Dcairn.curator.fence-lease=10s -Dcairn.curator.orphan-grace=20s";
    c.scenario(() -> {
      c.up("--blocks", "4");
      for (int i = 1; i <= c.nodes; i++) c.awaitMembers(i, c.nodes);
      c.kill9(1);
      awaitMembers(c, 2, 3);
      LocalClusterRun.cairn(Duration.ofMinutes(5), List.of("cluster", "start", "--dir", c.dir.toString(), "--node", "1"),
          c.nodeJavaOpts).assertOk("bin/cairn cluster start --node 1");
      for (int i = 1; i <= c.nodes; i++) c.awaitMembers(i, c.nodes);

      int lun = c.replicatedVDisk(2, "steady", "1G");
      // The first I/O (a read: it creates no extent group) brings the controller to node 1.
      QemuIo.run(c.url(1, lun), List.of("read 0 4k"), LocalClusterRun.IO_TIMEOUT).assertClean("a first read through node 1", 0, 1);
      await("the controller of steady is on node 1", () -> c.get(1, "/api/vdisks/steady"),
          v -> v.path("controllerNode").asText().equals("node-1"));
      Path image = c.dir.resolve("image.raw");
      QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0xC0A7L);
      String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
      Exec.run(Duration.ofMinutes(4), "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), c.url(1, lun))
          .assertOk("qemu-img convert of 128 MiB into steady through node 1");
      Files.delete(image);
      long egroups = IMAGE_BYTES / (4 * MIB);
      JsonNode before = await("every egroup of steady on 2 distinct nodes, one of them node 1", Duration.ofMinutes(3),
          () -> c.get(1, "/api/vdisks/steady/extent-groups"),
          list -> list.size() >= egroups && stream(list).allMatch(e -> distinctNodes(e) == 2 && holds(e, "node-1")));
      long onNode4 = stream(before).filter(e -> holds(e, "node-4")).count();
      assertTrue(onNode4 >= 2, "node 4 holds replicas: " + before);

      c.kill9(4);
      awaitMembers(c, 1, 3);
      JsonNode started = await("the Curator starts the rebuild", Duration.ofMinutes(2),
          () -> c.get(1, "/api/events/recent?kind=rebuild.started"), l -> l != null && l.size() > 0).get(0);
      String curatorNode = started.get("node").asText();
      assertTrue(curatorNode.equals("node-2") || curatorNode.equals("node-3"), "the singleton runs on the oldest member: "
          + started);
      int curator = curatorNode.equals("node-2") ? 2 : 3;
      int survivor = 5 - curator;
      JsonNode midway = c.get(1, "/api/rebuild");
      assertTrue(midway.path("rebuild").path("pendingTasks").asInt() > 0, "the rebuild is still running: " + midway);

      c.kill9(curator);
      long killedAt = System.currentTimeMillis();
      JsonNode finished = await("a Curator on another node finishes the rebuild", Duration.ofMinutes(6),
          () -> c.get(1, "/api/events/recent?kind=rebuild.finished"),
          l -> l != null && stream(l).anyMatch(e -> e.get("timeMs").asLong() > killedAt
              && e.get("node").asText().equals("node-" + survivor)));
      System.out.println("CuratorFailoverIT: rebuild started " + started + "; after the kill of node " + curator + ": "
          + finished);
      JsonNode after = await("every egroup of steady on nodes 1 and " + survivor, Duration.ofMinutes(6),
          () -> c.get(1, "/api/vdisks/steady/extent-groups"),
          list -> list.size() == before.size() && stream(list).allMatch(e -> holds(e, "node-1") && holds(e, "node-" + survivor)));
      JsonNode status = c.get(survivor, "/api/rebuild");
      assertTrue(status.path("failedNodes").toString().contains(curatorNode) && status.path("failedNodes").toString()
          .contains("node-4"), "the new Curator knows both failed nodes: " + status);
      assertTrue(status.path("scan").path("completed").asLong() >= 1, "the new Curator completed a scan: " + status);
      assertEquals(sha, c.readBack(survivor, lun, IMAGE_BYTES, "after the failover"), "every byte reads back through node "
          + survivor);
      System.out.println("CuratorFailoverIT: " + onNode4 + " egroups lost a replica on node 4; final " + after);
    });
  }

  /** Waits until node I sees exactly {@code members} Up members. */
  private static void awaitMembers(LocalClusterRun c, int node, int members) {
    await("node " + node + " sees " + members + " members", Duration.ofMinutes(2), () -> c.get(node, "/api/status"),
        s -> s.path("cluster").path("domains").path("nodes").asInt() == members);
  }


}
