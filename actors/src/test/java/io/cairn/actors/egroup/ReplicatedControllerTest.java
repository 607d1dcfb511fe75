package io.cairn.actors.egroup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.actors.TestNode;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.config.DiskSettings;
import io.cairn.config.ExtentStoreSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.extentstore.ExtentStore;
import io.cairn.datapath.extentstore.ExtentStoreFormat;
import io.cairn.datapath.extentstore.FileExtentStore;
import io.cairn.datapath.extentstore.replicated.ExtentStoreReplicaService;
import io.cairn.datapath.extentstore.replicated.ReplicatedExtentStore;
import io.cairn.datapath.replication.PeerDirectory;
import io.cairn.datapath.replication.ReplicationClient;
import io.cairn.datapath.replication.ReplicationEndpoint;
import io.cairn.datapath.replication.ReplicationSettings;
import io.cairn.datapath.vdisk.VDiskIo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.agrona.IoUtil;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vDisk controller and ExtentGroup entities over a {@link ReplicatedExtentStore}: a test node
 * (actors, journal, OpLog) and a second node that is only an extent store behind a replication
 * endpoint, both in this JVM on loopback ports 13342 and 13343.
 */
@Timeout(120)
class ReplicatedControllerTest {
  private static final int MIB = 1 << 20;
  private static final int NODE_PORT = 13342;
  private static final int PEER_PORT = 13343;
  private static final String PEER = "peer";

  @TempDir Path dir;
  private Path aeronDir;
  private final Map<String, PeerDirectory.PeerAddress> addresses = new ConcurrentHashMap<>();
  private FileExtentStore peerStore;
  private ReplicationEndpoint peerEndpoint;
  private ReplicationEndpoint nodeEndpoint;
  private TestNode node;
  private ExtentStoreSettings storeSettings;

  @BeforeEach
  void startPeer() throws IOException {
    Path shm = Path.of("/dev/shm");
    aeronDir = Files.isDirectory(shm) && Files.isWritable(shm)
        ? Files.createTempDirectory(shm, "cairn-replctl-test-")
        : Files.createTempDirectory("cairn-replctl-test-");
    addresses.put(TestNode.NODE_ID, new PeerDirectory.PeerAddress("127.0.0.1", NODE_PORT));
    addresses.put(PEER, new PeerDirectory.PeerAddress("127.0.0.1", PEER_PORT));
  }

  @AfterEach
  void stop() {
    if (node != null) node.close();
    if (nodeEndpoint != null) nodeEndpoint.close();
    if (peerEndpoint != null) peerEndpoint.close();
    if (peerStore != null) peerStore.close();
    IoUtil.delete(aeronDir.toFile(), true);
  }

  private ReplicationSettings endpointSettings(String id, int port) {
    return ReplicationSettings.defaults(id, "127.0.0.1", port, aeronDir)
        .withRequestTimeoutNs(TimeUnit.SECONDS.toNanos(5))
        .withPeerLivenessTimeoutNs(TimeUnit.MILLISECONDS.toNanos(500));
  }

  /** Starts the peer and the test node, whose store places replica 1 locally and replica 2 on the peer. */
  private void startNodes() throws Exception {
    node = TestNode.start(dir, "", (id, settings, local, system) -> {
      storeSettings = settings.extentStore();
      peerStore = FileExtentStore.open(List.of(new DiskSettings("peer-d0", dir.resolve("peer").resolve("d0"),
          DiskSettings.Tier.SSD, 8L << 30)), storeSettings, UnifiedCache.disabled());
      peerEndpoint = ReplicationEndpoint.start(endpointSettings(PEER, PEER_PORT), addresses::get,
          new ExtentStoreReplicaService(peerStore));
      nodeEndpoint = ReplicationEndpoint.start(endpointSettings(id, NODE_PORT), addresses::get,
          new ExtentStoreReplicaService(local));
      return new ReplicatedExtentStore(id, local, storeSettings, new ReplicationClient(nodeEndpoint),
          egroupId -> new ShardedReplicaResolver(system.get(), Duration.ofSeconds(10)).replicas(egroupId),
          (egroupId, rf) -> List.of(id, PEER).subList(0, Math.min(rf, 2)));
    });
  }

  private VDiskSpec createVDisk(String name, String container, int rf) throws Exception {
    node.ask(r -> new ClusterConfig.EnsureDemo("default", "demo", "unused-demo", 1 << 20, 512, 4096, r));
    if (!container.equals("default")) node.ask(r -> new ClusterConfig.CreateContainer(container, rf, r));
    ClusterConfig.Reply reply = node.ask(r -> new ClusterConfig.CreateVDisk(name, 64L * MIB, 512, 4096, "demo", container, false, r));
    VDiskSpec spec = ((ClusterConfig.Done) reply).view().vdisk(name).orElseThrow();
    node.initialize(spec);
    return spec;
  }

  private static byte[] read(VDiskIo io, long offset, int length) throws Exception {
    ByteBuf b = io.read(offset, length).get(30, TimeUnit.SECONDS);
    try {
      byte[] out = new byte[length];
      b.getBytes(b.readerIndex(), out);
      return out;
    } finally {
      b.release();
    }
  }

  private static byte[] readEgroup(ExtentStore store, long egroupId, int length) throws Exception {
    ByteBuf b = store.read(egroupId, 0, length).get(30, TimeUnit.SECONDS);
    try {
      byte[] out = new byte[length];
      b.getBytes(b.readerIndex(), out);
      return out;
    } finally {
      b.release();
    }
  }

  /** The egroup ids whose data files are under a disk directory. */
  private static List<Long> egroupsOn(Path disk) throws IOException {
    Path root = disk.resolve(ExtentStoreFormat.EGROUP_DIR);
    if (!Files.isDirectory(root)) return List.of();
    try (Stream<Path> files = Files.walk(root)) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(ExtentStoreFormat.DATA_SUFFIX))
          .map(n -> Long.parseUnsignedLong(n.substring(n.indexOf('-') + 1, n.length() - ExtentStoreFormat.DATA_SUFFIX.length()), 16))
          .sorted().toList();
    }
  }

  private static void awaitEmpty(ExtentStore store, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while ((store.disks().get(0).egroups() > 0 || store.disks().get(0).usedBytes() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(0, store.disks().get(0).egroups(), what + " holds no egroup");
    assertEquals(0, store.disks().get(0).usedBytes(), what + " uses no space");
  }

  @Test
  void shouldKeepBothReplicasOfARf2VDiskIdenticalAndDeleteBothWhenItIsDestroyed() throws Exception {
    startNodes();
    VDiskSpec v = createVDisk("mirrored", "rf2", 2);
    VDiskIo io = node.io(v.id());
    byte[] data = new byte[3 * MIB];
    new Random(11).nextBytes(data);
    io.write(MIB / 2, Unpooled.wrappedBuffer(data)).get(30, TimeUnit.SECONDS);
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertArrayEquals(data, read(io, MIB / 2, data.length));

    Path localDisk = Path.of(node.store.disks().get(0).path());
    List<Long> egroups = egroupsOn(localDisk);
    assertFalse(egroups.isEmpty());
    assertEquals(egroups, egroupsOn(dir.resolve("peer").resolve("d0")), "every egroup has a replica on the peer");
    int egroupSize = (int) storeSettings.egroupSizeBytes();
    for (long eg : egroups) {
      assertArrayEquals(readEgroup(node.store, eg, egroupSize), readEgroup(peerStore, eg, egroupSize),
          "replicas of egroup " + eg + " are byte-identical");
      ExtentGroup.Info info = ClusterSharding.get(node.kit.system())
          .entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(eg))
          .<ExtentGroup.Info>ask(ExtentGroup.Get::new, Duration.ofSeconds(10)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(List.of(new Replica(TestNode.NODE_ID, node.store.disks().get(0).diskId()), new Replica(PEER, "peer-d0")),
          info.replicas(), "the entity records both replicas");
    }
    assertEquals(node.store.disks().get(0).usedBytes(), peerStore.disks().get(0).usedBytes());

    VDiskController.Ack ack = node.controller(v.id())
        .<VDiskController.Ack>ask(VDiskController.Destroy::new, Duration.ofSeconds(10))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(ack.ok());
    awaitEmpty(node.store, "the local node");
    awaitEmpty(peerStore, "the peer");
  }

  @Test
  void shouldKeepAnRf1VDiskOnTheLocalNodeOnlyOverAReplicatedStore() throws Exception {
    startNodes();
    VDiskSpec v = createVDisk("single", "default", 1);
    VDiskIo io = node.io(v.id());
    byte[] data = new byte[MIB];
    new Random(12).nextBytes(data);
    io.write(0, Unpooled.wrappedBuffer(data)).get(30, TimeUnit.SECONDS);
    node.oplog.drainAll().get(30, TimeUnit.SECONDS);
    assertArrayEquals(data, read(io, 0, data.length));
    assertFalse(egroupsOn(Path.of(node.store.disks().get(0).path())).isEmpty());
    assertEquals(0, peerStore.disks().get(0).egroups(), "RF 1: no replica on the peer");
  }
}
