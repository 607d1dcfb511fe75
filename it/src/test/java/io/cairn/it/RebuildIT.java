package io.cairn.it;

import static io.cairn.it.LocalClusterRun.IQN;
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
 * Self-healing on real processes: after {@code kill -9} of one node of four, the Curator finds the
 * extent groups that lost a replica and every surviving node's Chronos re-replicates part of them,
 * until every egroup has RF replicas on live nodes again; every byte reads back correctly during
 * the rebuild and after it. When the node comes back, its replicas that were replaced elsewhere
 * (orphans: no metadata lists them) are deleted.
 *
 * <p>Sized for two cores: the nodes' failure delay is 3 s and their copy rate 64 MiB/s. Ports
 * 13700-13759.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RebuildIT {

  private static final long MIB = 1L << 20;
  private static final long IMAGE_BYTES = 512 * MIB;

  @Test
  void shouldReprotectEveryExtentGroupOfAKilledNodeWithEverySurvivorCopying(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(RebuildIT.class, MultiNodeIT.name(test)), 13700, 4, null);
    c.nodeJavaOpts = "-Dcairn.curator.node-failure-delay=3s -Dcairn.curator.scan-interval=15s"
        + " -Dcairn.curator.max-copy-rate=64MiB -Dcairn.curator.fence-lease=10s -Dcairn.curator.orphan-grace=20s";
    c.scenario(() -> {
      c.up("--blocks", "4");
      for (int i = 1; i <= c.nodes; i++) c.awaitMembers(i, c.nodes);
      int lun = c.replicatedVDisk(2, "healed", "1G");

      Path image = c.dir.resolve("image.raw");
      QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0x4EA1L);
      String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
      Exec.run(Duration.ofMinutes(8), "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), c.url(1, lun))
          .assertOk("qemu-img convert of 512 MiB into healed through node 1");
      Files.delete(image);
      long egroups = IMAGE_BYTES / (4 * MIB);
      JsonNode before = await("every extent group of healed on 2 distinct nodes", Duration.ofMinutes(4),
          () -> c.get(1, "/api/vdisks/healed/extent-groups"),
          list -> list.size() >= egroups && stream(list).allMatch(e -> distinctNodes(e) == 2));
      long onVictim = stream(before).filter(e -> holds(e, "node-4")).count();
      assertTrue(onVictim > 0, "node 4 holds replicas before it is killed");

      c.kill9(4);
      // Read during the rebuild: every byte from the survivors.
      String during = await("healed reads back through node 2 during the rebuild", Duration.ofMinutes(3), () -> {
        try {
          return c.readBack(2, lun, IMAGE_BYTES, "during the rebuild");
        } catch (Throwable t) {
          return null; // the cluster is still dropping node 4: retry
        }
      }, x -> true);
      assertEquals(sha, during, "every byte reads back while node 4's replicas are re-protected");

      JsonNode after = await("every extent group back at 2 replicas on live nodes", Duration.ofMinutes(6),
          () -> c.get(1, "/api/vdisks/healed/extent-groups"),
          list -> list.size() >= egroups && stream(list).allMatch(e -> distinctNodes(e) == 2 && !holds(e, "node-4")));
      assertEquals(before.size(), after.size());

      JsonNode rebuild = await("the rebuild is finished", () -> c.get(1, "/api/rebuild"),
          r -> r.path("rebuild").path("pendingTasks").asInt() == 0 && r.path("failedNodes").toString().contains("node-4"));
      System.out.println("RebuildIT: " + onVictim + " egroups lost a replica on node 4; rebuild status " + rebuild);
      JsonNode byNode = rebuild.path("rebuild").path("bytesByNode");
      long total = 0;
      for (int i = 1; i <= 3; i++) {
        long share = byNode.path("node-" + i).asLong();
        assertTrue(share > 0, "node " + i + " did part of the copying: " + rebuild);
        total += share;
      }
      assertEquals(onVictim * 4 * MIB, total, "each lost replica copied once: " + rebuild);
      assertTrue(rebuild.path("scan").path("egroupsByNode").size() == 3, "the scan was mapped by the 3 survivors: " + rebuild);

      JsonNode rebuildEvents = c.get(2, "/api/events/recent?kind=rebuild.");
      List<String> kinds = stream(rebuildEvents).map(e -> e.get("kind").asText()).toList();
      assertTrue(kinds.contains("rebuild.started") && kinds.indexOf("rebuild.started") < kinds.lastIndexOf("rebuild.finished"),
          "rebuild.started, then rebuild.finished on the event stream: " + rebuildEvents);
      assertEquals(sha, c.readBack(3, lun, IMAGE_BYTES, "after the rebuild"), "every byte reads back after the rebuild");
      QemuIo.run(c.url(1, lun), List.of("write -P 0x5c 900M 1M", "read -P 0x5c 900M 1M"), LocalClusterRun.IO_TIMEOUT)
          .assertClean("a write after the rebuild through node 1", 1, 1);

      // Node 4 comes back with its old replicas, which the metadata no longer lists (each was
      // replaced): a scan deletes them once they have been left alone for the orphan grace.
      LocalClusterRun.cairn(Duration.ofMinutes(5), List.of("cluster", "start", "--dir", c.dir.toString(), "--node", "4"),
          c.nodeJavaOpts).assertOk("bin/cairn cluster start --node 4");
      c.awaitMembers(1, 4);
      long returned = localEgroups(c, 4);
      assertTrue(returned >= onVictim, "node 4 is back with its " + onVictim + " old replicas: holds " + returned);
      await("node 4 no longer counts as failed", () -> c.get(1, "/api/rebuild"),
          r -> !r.path("failedNodes").toString().contains("node-4"));
      JsonNode status4 = await("node 4's orphaned replicas are deleted", Duration.ofMinutes(3), () -> c.get(4, "/api/status"),
          s -> localEgroups(s) == listedOn(c, "node-4"));
      JsonNode cleaned = c.get(1, "/api/rebuild");
      System.out.println("RebuildIT: node 4 came back with " + returned + " replicas; holds " + localEgroups(status4)
          + " after the scans (" + cleaned.path("orphansRemoved") + " orphans deleted)");
      assertTrue(cleaned.path("orphansRemoved").asLong() >= returned - listedOn(c, "node-4"), "orphan count: " + cleaned);
      JsonNode overEvents = c.get(4, "/api/events/recent?kind=over-replication.");
      assertTrue(stream(overEvents).anyMatch(e -> e.get("node").asText().equals("node-4")
          && e.path("details").path("replicas").asInt() > 0), "node 4 reports the replicas it deleted: " + overEvents);
      JsonNode final_ = c.get(1, "/api/vdisks/healed/extent-groups");
      assertTrue(stream(final_).allMatch(e -> distinctNodes(e) == 2), "every egroup still has 2 replicas: " + final_);
      assertEquals(sha, c.readBack(4, lun, IMAGE_BYTES, "through the returned node"),
          "every byte reads back through node 4, which now holds none of them");
    });
  }

  /** Egroup replicas on node I's disks, from its status. */
  private static long localEgroups(LocalClusterRun c, int node) {
    return localEgroups(c.get(node, "/api/status"));
  }

  private static long localEgroups(JsonNode status) {
    return stream(status.get("disks")).mapToLong(d -> d.get("egroups").asLong()).sum();
  }

  /** Egroups of healed whose metadata lists a replica on {@code node}. */
  private static long listedOn(LocalClusterRun c, String node) {
    return stream(c.get(1, "/api/vdisks/healed/extent-groups")).filter(e -> holds(e, node)).count();
  }


}
