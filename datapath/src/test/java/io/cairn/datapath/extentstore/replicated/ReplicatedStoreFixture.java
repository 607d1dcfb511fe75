package io.cairn.datapath.extentstore.replicated;

import io.cairn.config.DiskSettings;
import io.cairn.config.ExtentStoreSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.extentstore.ExtentStore;
import io.cairn.datapath.extentstore.ExtentStoreFormat;
import io.cairn.datapath.extentstore.FileExtentStore;
import io.cairn.datapath.replication.PeerDirectory;
import io.cairn.datapath.replication.ReplicationClient;
import io.cairn.datapath.replication.ReplicationEndpoint;
import io.cairn.datapath.replication.ReplicationSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.agrona.IoUtil;

/**
 * Nodes in one JVM, each a real {@link FileExtentStore} in a temporary directory, a real {@link
 * ReplicationEndpoint} on loopback port 13330 + index serving it through {@link
 * ExtentStoreReplicaService}, and a {@link ReplicatedExtentStore} over both. The replica metadata
 * (what the ExtentGroup entities would hold) is one shared map; placement puts the local node first,
 * then the other members in the order they were started. Closes everything it started.
 */
final class ReplicatedStoreFixture implements AutoCloseable {
  static final int BASE_PORT = 13330;
  static final String HOST = "127.0.0.1";
  static final int SLICE = 4096;
  /** 64 KiB extents, 2 per egroup: 128 KiB egroups of 32 slices. */
  static final ExtentStoreSettings SETTINGS = new ExtentStoreSettings(64 << 10, 2, SLICE, 2);
  static final int EGROUP = (int) SETTINGS.egroupSizeBytes();

  final Path dataDir;
  final Path aeronDir;
  final Map<String, PeerDirectory.PeerAddress> addresses = new ConcurrentHashMap<>();
  /** The ExtentGroup entities' replica lists. */
  final Map<Long, List<ReplicaLocation>> metadata = new ConcurrentHashMap<>();
  /** Node ids placement may choose, in start order. */
  final List<String> members = new CopyOnWriteArrayList<>();
  final Map<String, Node> nodes = new LinkedHashMap<>();

  /** One node of the fixture. */
  static final class Node {
    final String id;
    final Path root;
    final FileExtentStore local;
    final ReplicationEndpoint endpoint;
    final ReplicatedExtentStore store;

    Node(String id, Path root, FileExtentStore local, ReplicationEndpoint endpoint, ReplicatedExtentStore store) {
      this.id = id;
      this.root = root;
      this.local = local;
      this.endpoint = endpoint;
      this.store = store;
    }

    /** The data file of this node's replica of an egroup. */
    Path dataFile(long egroupId) {
      return ExtentStoreFormat.egroupDir(root.resolve("d0").resolve(ExtentStoreFormat.EGROUP_DIR), egroupId)
          .resolve(ExtentStoreFormat.dataFileName(egroupId));
    }
  }

  ReplicatedStoreFixture() throws IOException {
    dataDir = Files.createTempDirectory("cairn-replstore-test-");
    Path shm = Path.of("/dev/shm");
    aeronDir = Files.isDirectory(shm) && Files.isWritable(shm)
        ? Files.createTempDirectory(shm, "cairn-replstore-test-")
        : Files.createTempDirectory("cairn-replstore-aeron-");
  }

  /** Starts nodes {@code ids}, on ports {@code BASE_PORT + 0, 1, ...} in order. */
  void start(String... ids) {
    for (String id : ids) start(id);
  }

  Node start(String id) {
    int index = nodes.size();
    Path root = dataDir.resolve(id);
    FileExtentStore local = FileExtentStore.open(
        List.of(new DiskSettings("d0", root.resolve("d0"), DiskSettings.Tier.SSD, 64L << 20)), SETTINGS,
        UnifiedCache.disabled());
    ReplicationSettings rs = ReplicationSettings.defaults(id, HOST, BASE_PORT + index, aeronDir)
        .withRequestTimeoutNs(TimeUnit.SECONDS.toNanos(2))
        .withConnectTimeoutNs(TimeUnit.SECONDS.toNanos(3))
        .withPeerLivenessTimeoutNs(TimeUnit.MILLISECONDS.toNanos(500));
    addresses.put(id, new PeerDirectory.PeerAddress(HOST, rs.port()));
    ReplicationEndpoint endpoint = ReplicationEndpoint.start(rs, addresses::get, new ExtentStoreReplicaService(local));
    ReplicatedExtentStore store = new ReplicatedExtentStore(id, local, SETTINGS, new ReplicationClient(endpoint),
        egroupId -> CompletableFuture.completedFuture(metadata.getOrDefault(egroupId, List.of())),
        (egroupId, rf) -> place(id, rf));
    Node n = new Node(id, root, local, endpoint, store);
    nodes.put(id, n);
    members.add(id);
    return n;
  }

  private List<String> place(String self, int rf) {
    List<String> out = new ArrayList<>();
    if (members.contains(self)) out.add(self);
    for (String m : members) if (!m.equals(self)) out.add(m);
    return out.subList(0, Math.min(rf, out.size()));
  }

  Node node(String id) {
    return nodes.get(id);
  }

  /** Creates the replicas from {@code on} and records them as the ExtentGroup entity would. */
  List<ReplicaLocation> createReplicas(String on, long egroupId, int rf) throws Exception {
    List<ReplicaLocation> rs = node(on).store.createReplicas(egroupId, rf).get(20, TimeUnit.SECONDS);
    metadata.put(egroupId, rs);
    return rs;
  }

  @Override
  public void close() {
    for (Node n : nodes.values()) n.endpoint.close();
    for (Node n : nodes.values()) n.store.close();
    IoUtil.delete(aeronDir.toFile(), true);
    IoUtil.delete(dataDir.toFile(), true);
  }

  static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static void write(ExtentStore store, long egroup, long offset, byte[] data) throws Exception {
    ByteBuf b = Unpooled.wrappedBuffer(data);
    try {
      store.write(egroup, offset, b).get(20, TimeUnit.SECONDS);
    } finally {
      b.release();
    }
  }

  static byte[] read(ExtentStore store, long egroup, long offset, int length) throws Exception {
    ByteBuf b = store.read(egroup, offset, length).get(20, TimeUnit.SECONDS);
    try {
      byte[] out = new byte[b.readableBytes()];
      b.getBytes(b.readerIndex(), out);
      return out;
    } finally {
      b.release();
    }
  }

  static void flipByte(Path file, long pos) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, pos);
      b.put(0, (byte) (b.get(0) ^ 0x40));
      b.rewind();
      ch.write(b, pos);
      ch.force(true);
    }
  }
}
