package io.cairn.it;

import static io.cairn.it.LocalClusterRun.await;
import static io.cairn.it.LocalClusterRun.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The scrubber on real processes: a byte flipped in a replica file on disk (first on the node that
 * is not the vDisk's controller, then on the controller's node) is found by that node's scrubber
 * and repaired from the good replica, through the controller; every byte reads back correctly
 * meanwhile and after, and the replica files hold the original bytes again.
 *
 * <p>Two nodes, RF2, scrub rate 64 MiB/s with a pass every 3 s. Ports 13760-13799.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ScrubIT {

  private static final long MIB = 1L << 20;
  private static final long IMAGE_BYTES = 24 * MIB;

  @Test
  void shouldRepairFlippedBytesInReplicasOnBothNodes(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(ScrubIT.class, MultiNodeIT.name(test)), 13760, 2, null);
    c.nodeJavaOpts = "-Dcairn.curator.scrub-rate=64MiB -Dcairn.curator.scrub-pass-interval=3s";
    c.scenario(() -> {
      c.up();
      for (int i = 1; i <= c.nodes; i++) c.awaitMembers(i, c.nodes);
      int lun = c.replicatedVDisk(2, "scrubbed", "64M");
      Path image = c.dir.resolve("image.raw");
      QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0x5C2BL);
      String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
      Exec.run(Duration.ofMinutes(3), "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), c.url(1, lun))
          .assertOk("qemu-img convert into scrubbed through node 1");
      Files.delete(image);
      JsonNode egroups = await("every egroup of scrubbed on both nodes", () -> c.get(1, "/api/vdisks/scrubbed/extent-groups"),
          list -> list.size() >= IMAGE_BYTES / (4 * MIB) && stream(list).allMatch(e -> e.get("replicas").size() == 2));
      long onController = egroups.get(0).get("id").asLong();
      long onPeer = egroups.get(1).get("id").asLong();
      await("both nodes finished a clean scrub pass", () -> List.of(c.get(1, "/api/rebuild"), c.get(2, "/api/rebuild")),
          l -> l.stream().allMatch(r -> r.path("scrubber").path("passes").asLong() >= 1));
      for (int node = 1; node <= 2; node++) {
        assertEquals(0, c.get(node, "/api/rebuild").path("scrubber").path("badSlices").asLong(), "no bad slice before the damage");
      }

      // Bit rot in node 2's replica of one egroup: node 1 (the controller) reads its own replica,
      // so every byte reads back meanwhile; node 2's scrubber finds the bad slice and the
      // controller repairs it from node 1's replica.
      Damage d2 = Damage.inflict(dataFile(c, 2, onPeer));
      assertEquals(sha, c.readBack(1, lun, IMAGE_BYTES, "with a damaged replica on node 2"), "every byte reads back meanwhile");
      assertRepairedByScrubber(c, 2);
      assertEquals(d2.original(), d2.now(), "node 2's replica holds the original byte again");

      // Bit rot in the controller's own replica (its cache may hold the good bytes: the scrub reads
      // the medium); no read meanwhile, so the scrubber is the one to find it.
      Damage d1 = Damage.inflict(dataFile(c, 1, onController));
      assertRepairedByScrubber(c, 1);
      assertEquals(d1.original(), d1.now(), "node 1's replica holds the original byte again");
      assertEquals(sha, c.readBack(2, lun, IMAGE_BYTES, "after the repairs"), "every byte reads back after the repairs");
    });
  }

  private static void assertRepairedByScrubber(LocalClusterRun c, int node) {
    JsonNode s = await("node " + node + "'s scrubber repaired its replica", Duration.ofMinutes(2),
        () -> c.get(node, "/api/rebuild").path("scrubber"), j -> j.path("repairedSlices").asLong() >= 1);
    System.out.println("ScrubIT: node " + node + " scrubber " + s);
    assertEquals(1, s.path("badSlices").asLong(), "one bad slice found: " + s);
    assertEquals(0, s.path("unrepairedSlices").asLong(), s.toString());
  }

  /** The data file of egroup {@code id} on node I. */
  private static Path dataFile(LocalClusterRun c, int node, long id) throws IOException {
    String name = String.format("eg-%016x.data", id);
    try (Stream<Path> s = Files.walk(c.dir.resolve("node-" + node))) {
      return s.filter(p -> p.getFileName().toString().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("no " + name + " under node " + node));
    }
  }

  /** One byte flipped at the first non-zero byte of a data file (a written slice: the image is random). */
  private record Damage(Path file, long offset, byte original) {
    static Damage inflict(Path file) throws IOException {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        for (long pos = 0; pos < ch.size(); pos += b.capacity()) {
          b.clear();
          ch.read(b, pos);
          for (int i = 0; i < b.position(); i++) {
            if (b.get(i) != 0) {
              byte was = b.get(i);
              ch.write(ByteBuffer.wrap(new byte[] {(byte) (was ^ 0x5A)}), pos + i);
              ch.force(false);
              return new Damage(file, pos + i, was);
            }
          }
        }
      }
      throw new AssertionError("no written byte in " + file);
    }

    byte now() throws IOException {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(1);
        ch.read(b, offset);
        return b.get(0);
      }
    }
  }
}
