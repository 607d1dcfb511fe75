package io.cairn.it;

import static io.cairn.it.LocalClusterRun.IO_TIMEOUT;
import static io.cairn.it.LocalClusterRun.IQN;
import static io.cairn.it.LocalClusterRun.await;
import static io.cairn.it.LocalClusterRun.number;
import static io.cairn.it.LocalClusterRun.stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Replication across real node processes ({@code bin/cairn cluster up}): a vDisk of an RF2 (RF3)
 * container written through one node has every extent group on 2 (3) distinct nodes, and after
 * {@code kill -9} of the node it was written through (and of another, for RF3) every byte reads
 * back through a survivor — both a 256 MiB image written with qemu-img and a stream of small
 * writes that was running when the node died (every write acknowledged before the kill reads back).
 * A node whose replication traffic is cut mid-stream is replaced as an OpLog peer; nothing
 * acknowledged is lost. A damaged replica is answered from the good one and repaired.
 *
 * <p>Sized for two cores: 512 MiB heaps, serial GC, sleeping Aeron idle strategies. Ports 13400-13669.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReplicationIT {

  private static final long MIB = 1L << 20;
  private static final long IMAGE_BYTES = 256 * MIB;
  /** The stream's region, after the image. */
  private static final long STREAM_OFFSET = 512 * MIB;
  private static final long STREAM_BYTES = 32 * MIB;
  private static final int STREAM_THREADS = 4;

  @Test
  void shouldKeepEveryAcknowledgedByteOfAnRf2VDiskWhenTheNodeItIsWrittenThroughIsKilled(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(ReplicationIT.class, MultiNodeIT.name(test)), 13400, 3, null);
    c.scenario(() -> killScenario(c, 2, 1));
  }

  @Test
  void shouldKeepEveryAcknowledgedByteOfAnRf3VDiskWhenTwoNodesAreKilled(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(ReplicationIT.class, MultiNodeIT.name(test)), 13460, 5, null);
    c.scenario(() -> killScenario(c, 3, 2));
  }

  /**
   * Data locality on three nodes: an RF2 vDisk made through node 1's API gets its controller on
   * node 2 when its first I/O arrives there, and on node 3 after node 3 has sent it I/O for the
   * (shortened) move delay; the writes running through node 3 across the move all succeed, and all
   * read back through node 1.
   */
  @Test
  void shouldMoveTheControllerWhereItsIoArrives(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(ReplicationIT.class, MultiNodeIT.name(test)), 13570, 3, null);
    // paranoid leak detection: every buffer of the remote I/O path (node 3 to node 2) is tracked
    c.nodeJavaOpts = "-Dcairn.vdisk.controller-move-after=8s -Dcairn.vdisk.controller-move-pause=5s"
        + " -Dio.netty.leakDetection.level=paranoid";
    c.scenario(() -> {
      c.up("--blocks", "3");
      for (int i = 1; i <= 3; i++) c.awaitMembers(i, 3);
      int lun = c.replicatedVDisk(2, "roaming", "1G");
      QemuIo.run(c.url(2, lun), List.of("write -P 0x21 0 1M"), IO_TIMEOUT).assertClean("first I/O, through node 2", 1, 0);
      await("the controller comes to node 2, where the first I/O arrived", () -> c.get(1, "/api/vdisks/roaming"),
          j -> j.path("controllerNode").asText().equals("node-2"));

      WriteStream writes = new WriteStream(() -> c.iscsiPort(3), IQN, lun, STREAM_OFFSET, STREAM_BYTES, 2, false, 0x10CL).start();
      await("sustained I/O through node 3 moves the controller there", Duration.ofMinutes(2), () -> c.get(1, "/api/vdisks/roaming"),
          j -> j.path("controllerNode").asText().equals("node-3"));
      int atMove = writes.acked();
      writes.awaitAcked(atMove + 200, Duration.ofMinutes(1));
      writes.stop();
      assertEquals(0, writes.failed(), "writes across the move: " + writes.errors());
      byte[] region;
      try (IscsiDisk disk = IscsiDisk.login(c.iscsiPort(1), IQN, lun, "verify")) {
        region = disk.read(STREAM_OFFSET, (int) STREAM_BYTES);
      }
      writes.verify(region, "after the controller moved from node 2 to node 3");
      QemuIo.run(c.url(1, lun), List.of("read -P 0x21 0 1M"), IO_TIMEOUT).assertClean("the first write, through node 1", 0, 1);
      // Remote reads and writes (through node 1 to the controller on node 3) release their buffers.
      c.assertNoLeaks(() -> QemuIo.run(c.url(1, lun), List.of("write -P 0x22 2M 1M", "read -P 0x22 2M 1M"), IO_TIMEOUT)
          .assertClean("remote I/O after the GC", 1, 1));
    });
  }

  /**
   * RF2 on three nodes, a flipped byte in an extent-group replica file: the read through the
   * controller's node (which holds one replica and reads it first) fails its checksum there, is
   * answered from the other node's replica, and the bad copy is rewritten with the good bytes. With
   * both copies of a slice damaged there is no good copy: the read fails with MEDIUM ERROR,
   * UNRECOVERED READ ERROR (11h/00h), never with the damaged bytes, while the other slices read.
   *
   * <p>Both ranges are written as one 2 MiB command each, which goes straight to the extent store
   * (never through the OpLog), and nothing reads them before the damage, so no cache holds them.
   */
  @Test
  void shouldAnswerADamagedReplicaFromTheGoodOneAndRepairIt(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(ReplicationIT.class, MultiNodeIT.name(test)), 13620, 3, null);
    c.scenario(() -> {
      c.up("--blocks", "3");
      for (int i = 1; i <= 3; i++) c.awaitMembers(i, 3);
      int lun = c.replicatedVDisk(2, "scrubbed", "1G");
      SplittableRandom random = new SplittableRandom(0x5C4B_B1EDL);
      int range = 2 << 20;
      long offsetA = 64 * MIB;
      long offsetB = 256 * MIB;
      byte[] a = new byte[range];
      byte[] b = new byte[range];
      random.nextBytes(a);
      random.nextBytes(b);
      try (IscsiDisk disk = IscsiDisk.login(c.iscsiPort(1), IQN, lun, "writer")) {
        disk.write(offsetA, a, range);
        disk.write(offsetB, b, range);
      }
      await("the controller of scrubbed is on node 1, where its I/O arrives", () -> c.get(1, "/api/vdisks/scrubbed"),
          j -> j.path("controllerNode").asText().equals("node-1"));
      for (int i = 1; i <= 3; i++) {
        int n = i;
        await("node " + n + " has drained its OpLog", () -> c.get(n, "/api/status"),
            st -> st.path("oplog").path("undrainedBytes").asLong() == 0);
      }

      // One damaged copy: answered from the other, then repaired.
      int victim = 77;
      byte[] slice = Arrays.copyOfRange(a, victim * SLICE, (victim + 1) * SLICE);
      Map<Integer, CorruptionIT.Location> copies = copiesOf(c, slice);
      assertEquals(2, copies.size(), "replicas of the slice, by node: " + copies);
      assertTrue(copies.containsKey(1), "the controller's node holds a replica: " + copies);
      CorruptionIT.Location local = copies.get(1);
      CorruptionIT.flipByte(local.file(), local.offset() + 999);
      try (IscsiDisk disk = IscsiDisk.login(c.iscsiPort(1), IQN, lun, "reader")) {
        assertArrayEquals(a, disk.read(offsetA, range), "range A read through node 1 with its replica damaged");
      }
      await("node 1's damaged copy is rewritten from node " + copies.keySet().stream().filter(k -> k != 1).findFirst().orElseThrow(),
          () -> CorruptionIT.slice(local), bytes -> Arrays.equals(bytes, slice));
      try (IscsiDisk disk = IscsiDisk.login(c.iscsiPort(2), IQN, lun, "reader-2")) {
        assertArrayEquals(a, disk.read(offsetA, range), "range A through node 2 after the repair");
      }
      // That read through a second path does not move the controller: its front-end I/O is on node 1.
      CairnProcess.sleep(3000); // two rebalance intervals
      assertEquals("node-1", c.get(1, "/api/vdisks/scrubbed").path("controllerNode").asText(),
          "the controller after one read through node 2");

      // Both copies damaged: no good copy, so MEDIUM ERROR; every other slice still reads.
      int both = 200;
      byte[] slice2 = Arrays.copyOfRange(b, both * SLICE, (both + 1) * SLICE);
      Map<Integer, CorruptionIT.Location> copies2 = copiesOf(c, slice2);
      assertEquals(2, copies2.size(), "replicas of the second slice, by node: " + copies2);
      for (CorruptionIT.Location l : copies2.values()) CorruptionIT.flipByte(l.file(), l.offset() + 17);
      long bad = offsetB + (long) both * SLICE;
      try (IscsiDisk disk = IscsiDisk.login(c.iscsiPort(1), IQN, lun, "reader-3")) {
        ScsiResult r = disk.read16(bad / CairnProcess.BLOCK, SLICE / CairnProcess.BLOCK);
        assertEquals(IscsiDisk.STATUS_CHECK_CONDITION, r.status(), "both copies damaged: " + IscsiDisk.describe(r));
        SenseCode expected = SenseCode.UNRECOVERED_READ_ERROR;
        assertEquals(new IscsiDisk.Sense(expected.key(), expected.asc(), expected.ascq()), IscsiDisk.sense(r),
            "both copies damaged");
        assertArrayEquals(Arrays.copyOfRange(b, 0, both * SLICE), disk.read(offsetB, both * SLICE),
            "the slices before the doubly damaged one");
        assertArrayEquals(Arrays.copyOfRange(b, (both + 1) * SLICE, range),
            disk.read(bad + SLICE, range - (both + 1) * SLICE), "the slices after it");
      }
    });
  }

  private static final int SLICE = 4096;

  /** Where each node's egroup files hold {@code slice} (at most one place per node). */
  private static Map<Integer, CorruptionIT.Location> copiesOf(LocalClusterRun c, byte[] slice) throws Exception {
    Map<Integer, CorruptionIT.Location> out = new TreeMap<>();
    for (int i = 1; i <= c.nodes; i++) {
      List<CorruptionIT.Location> found = CorruptionIT.findSlices(c.dir.resolve("node-" + i), slice);
      assertTrue(found.size() <= 1, "node " + i + " holds the slice more than once: " + found);
      if (!found.isEmpty()) out.put(i, found.get(0));
    }
    return out;
  }

  /**
   * RF2 on four nodes: while a write stream runs through the vDisk's owner, the replication
   * traffic (Aeron) of the owner's OpLog peer for the stream's episode is cut (the node stays a
   * cluster member). Writes keep being acknowledged, through a new peer; once the cut is healed and
   * the owner is killed, every acknowledged write reads back through another node.
   */
  @Test
  void shouldReplaceAPeerWhoseReplicationTrafficIsCutAndLoseNothing(TestInfo test) throws Exception {
    LocalClusterRun c = new LocalClusterRun(LocalClusterRun.dir(ReplicationIT.class, MultiNodeIT.name(test)), 13530, 4, null);
    c.nodeJavaOpts = "-Dcairn.replication.fault-injection=on";
    c.scenario(() -> {
      c.up("--blocks", "4");
      for (int i = 1; i <= 4; i++) c.awaitMembers(i, 4);
      int lun = c.replicatedVDisk(2, "cut", "1G");
      JsonNode v = await("controller of cut placed", () -> c.get(1, "/api/vdisks/cut"), j -> j.has("controllerNode"));
      int owner = number(v.get("controllerNode").asText());
      WriteStream writes = new WriteStream(() -> c.iscsiPort(owner), IQN, lun, STREAM_OFFSET, STREAM_BYTES, STREAM_THREADS,
          true, 0xC07L).start();
      writes.awaitAcked(300, Duration.ofMinutes(3));
      String episode = Long.toString(STREAM_OFFSET >>> 30);
      JsonNode before = await("the stream's episode has an OpLog peer", () -> c.get(owner, "/api/vdisks/cut"),
          j -> j.path("oplogPeers").path(episode).size() == 1);
      String peer = before.path("oplogPeers").path(episode).get(0).asText();
      int cutNode = number(peer);

      JsonNode faults = c.put(cutNode, "/api/faults/replication", "{\"isolate\": true}");
      assertTrue(faults.get("isolated").asBoolean(), faults.toString());
      int ackedAtCut = writes.acked();
      writes.awaitAcked(ackedAtCut + 300, Duration.ofMinutes(3));
      JsonNode after = c.get(owner, "/api/vdisks/cut");
      String newPeer = after.path("oplogPeers").path(episode).get(0).asText();
      assertTrue(!newPeer.equals(peer) && !newPeer.equals("node-" + owner), "the episode's peer " + peer + " was replaced: " + after);
      JsonNode st = c.get(cutNode, "/api/status");
      assertTrue(st.path("replication").path("endpoint").path("droppedByFault").asLong() > 0, "traffic was cut: " + st);

      c.api(cutNode, "DELETE", "/api/faults/replication", null);
      writes.awaitAcked(writes.acked() + 100, Duration.ofMinutes(2));
      writes.stop();
      int acked = writes.acked();
      c.kill9(owner);
      int reader = owner == 1 ? 2 : 1;
      await("node " + reader + " drops node " + owner, () -> c.get(reader, "/api/status"),
          s2 -> s2.path("cluster").path("domains").path("nodes").asInt() == 3);
      byte[] region = await("the stream's region reads through node " + reader, Duration.ofMinutes(3), () -> {
        try (IscsiDisk disk = IscsiDisk.login(c.iscsiPort(reader), IQN, lun, "verify")) {
          return disk.read(STREAM_OFFSET, (int) STREAM_BYTES);
        } catch (Throwable t) {
          return null; // the controller is moving: retry
        }
      }, x -> true);
      writes.verify(region, "after the cut, the heal and kill -9 of the owner (" + acked + " acknowledged, "
          + writes.failed() + " failed)");
    });
  }

  /**
   * Up with one block per node; a vDisk in an RF container made through node 1's API; the image
   * written through node 1 (which thereby gets the vDisk's controller), checked on RF distinct
   * nodes; a write stream through node 1; kill -9 of it (and of {@code kills - 1} more nodes)
   * mid-stream; everything read back through a survivor.
   */
  private static void killScenario(LocalClusterRun c, int rf, int kills) throws Exception {
    c.up("--blocks", Integer.toString(c.nodes));
    for (int i = 1; i <= c.nodes; i++) c.awaitMembers(i, c.nodes);
    int lun = c.replicatedVDisk(rf, "mirrored", "1G");
    int owner = 1; // written through node 1, so its controller comes to node 1 (data locality)

    Path image = c.dir.resolve("image.raw");
    QemuImgRoundTripIT.writeRandom(image, IMAGE_BYTES, 0x5EED0000L + rf);
    String sha = QemuImgRoundTripIT.sha256(image, IMAGE_BYTES);
    Exec.run(Duration.ofMinutes(5), "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), c.url(owner, lun))
        .assertOk("qemu-img convert of 256 MiB into mirrored through node " + owner);
    java.nio.file.Files.delete(image);

    // Once drained, every extent group has RF replicas on RF distinct nodes.
    JsonNode egroups = await("every extent group of mirrored on " + rf + " distinct nodes", Duration.ofMinutes(4),
        () -> c.get(owner, "/api/vdisks/mirrored/extent-groups"),
        list -> list.size() >= IMAGE_BYTES / (4 * MIB) && stream(list).allMatch(e -> stream(e.get("replicas"))
            .map(r -> r.get("node").asText()).distinct().count() == rf));
    Set<String> holders = new HashSet<>();
    egroups.forEach(e -> e.get("replicas").forEach(r -> holders.add(r.get("node").asText())));
    assertTrue(holders.size() >= rf, "replicas on " + holders);

    await("the controller of mirrored is on node 1, where its I/O arrives", () -> c.get(1, "/api/vdisks/mirrored"),
        j -> j.path("controllerNode").asText().equals("node-1"));

    // A stream of small writes (the OpLog path) through the owner; the owner dies in the middle.
    WriteStream writes = new WriteStream(() -> c.iscsiPort(owner), IQN, lun, STREAM_OFFSET, STREAM_BYTES, STREAM_THREADS,
        false, 0x57AEL + rf).start();
    writes.awaitAcked(600, Duration.ofMinutes(3));
    JsonNode peers = c.get(owner, "/api/vdisks/mirrored");
    assertTrue(peers.has("oplogPeers"), "the owner writes the vDisk's OpLog records to peers: " + peers);
    List<Integer> killed = new ArrayList<>(List.of(owner));
    for (int i = c.nodes; killed.size() < kills; i--) if (i != owner) killed.add(i);
    int survivor = 1;
    while (killed.contains(survivor)) survivor++;
    for (int k : killed) c.kill9(k);
    writes.awaitEnded(Duration.ofMinutes(1));
    int acked = writes.acked();

    int reader = survivor;
    await("node " + reader + " drops the killed nodes", () -> c.get(reader, "/api/status"),
        st -> st.path("cluster").path("domains").path("nodes").asInt() == c.nodes - kills);
    String after = await("mirrored reads back through node " + reader, Duration.ofMinutes(3), () -> {
      try {
        return c.readBack(reader, lun, IMAGE_BYTES, "after the kill");
      } catch (Throwable t) {
        return null; // the controller is moving: retry
      }
    }, x -> true);
    assertEquals(sha, after, "every byte of the image reads back after kill -9 of " + killed);
    byte[] region;
    try (IscsiDisk disk = IscsiDisk.login(c.iscsiPort(reader), IQN, lun, "verify")) {
      region = disk.read(STREAM_OFFSET, (int) STREAM_BYTES);
    }
    int blocks = writes.verify(region, "the write stream after kill -9 of " + killed + " (" + acked + " acknowledged)");
    assertTrue(blocks > 0, "some blocks hold acknowledged writes");

    // The survivors keep serving the vDisk with RF copies (enough nodes remain for RF).
    QemuIo.run(c.url(reader, lun), List.of("write -P 0x7e 900M 1M", "read -P 0x7e 900M 1M"), IO_TIMEOUT)
        .assertClean("a write after the kill through node " + reader, 1, 1);
  }
}
