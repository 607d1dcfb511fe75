package io.cairn.datapath.replication;

import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.agrona.IoUtil;

/**
 * Endpoints on loopback ports 13270.. sharing one peer directory, with recording handlers that keep
 * egroups and replica records in memory. Closes everything it started.
 */
final class EndpointFixture implements AutoCloseable {
  static final int BASE_PORT = 13270;
  static final String HOST = "127.0.0.1";

  final Path baseDir;
  final Map<String, PeerDirectory.PeerAddress> addresses = new ConcurrentHashMap<>();
  final PeerDirectory directory = addresses::get;
  final Map<String, ReplicationEndpoint> endpoints = new ConcurrentHashMap<>();
  final Map<String, RecordingHandlers> handlers = new ConcurrentHashMap<>();
  /** While a node has a latch here, its directory lookups (made on its poll thread) wait on it. */
  final Map<String, java.util.concurrent.CountDownLatch> stalls = new ConcurrentHashMap<>();

  EndpointFixture() throws IOException {
    Path shm = Path.of("/dev/shm");
    baseDir = Files.isDirectory(shm) && Files.isWritable(shm)
        ? Files.createTempDirectory(shm, "cairn-repl-test-")
        : Files.createTempDirectory("cairn-repl-test-");
  }

  /** Settings for node {@code id} on port {@code BASE_PORT + index}, with test-friendly timeouts. */
  ReplicationSettings settings(String id, int index) {
    return ReplicationSettings.defaults(id, HOST, BASE_PORT + index, baseDir)
        .withRequestTimeoutNs(TimeUnit.SECONDS.toNanos(5))
        .withConnectTimeoutNs(TimeUnit.SECONDS.toNanos(3))
        .withPeerLivenessTimeoutNs(TimeUnit.MILLISECONDS.toNanos(500));
  }

  ReplicationEndpoint start(String id, int index) {
    return start(id, index, s -> s);
  }

  ReplicationEndpoint start(String id, int index, UnaryOperator<ReplicationSettings> tweak) {
    RecordingHandlers h = new RecordingHandlers();
    return start(tweak.apply(settings(id, index)), h);
  }

  ReplicationEndpoint start(ReplicationSettings s, ReplicaHandlers h) {
    addresses.put(s.nodeId(), new PeerDirectory.PeerAddress(s.bindHost(), s.port()));
    if (h instanceof RecordingHandlers r) handlers.put(s.nodeId(), r);
    ReplicationEndpoint e = ReplicationEndpoint.start(s, directoryOf(s.nodeId()), h);
    endpoints.put(s.nodeId(), e);
    return e;
  }

  /** The shared directory as node {@code self} sees it (stallable, see {@link #stalls}). */
  PeerDirectory directoryOf(String self) {
    return id -> {
      java.util.concurrent.CountDownLatch l = stalls.get(self);
      if (l != null) {
        try {
          l.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return addresses.get(id);
    };
  }

  @Override
  public void close() {
    stalls.values().forEach(java.util.concurrent.CountDownLatch::countDown);
    for (ReplicationEndpoint e : endpoints.values()) e.close();
    IoUtil.delete(baseDir.toFile(), true);
  }

  static ByteBuf buf(byte[] b) {
    return Unpooled.wrappedBuffer(b);
  }

  static byte[] bytes(ByteBuf b) {
    return ByteBufUtil.getBytes(b);
  }

  /**
   * Handlers that record every call and keep state in memory: egroups as byte arrays, replica
   * records as a list. {@link #delayNs} delays every reply; {@link #failWith} fails every request.
   */
  static final class RecordingHandlers implements ReplicaHandlers {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<Long, byte[]> egroups = new ConcurrentHashMap<>();
    final List<ReplicaRecord> records = new CopyOnWriteArrayList<>();
    volatile long delayNs;
    volatile RuntimeException failWith;

    private <T> CompletableFuture<T> reply(T value) {
      RuntimeException f = failWith;
      if (f != null) return CompletableFuture.failedFuture(f);
      long d = delayNs;
      if (d == 0) return CompletableFuture.completedFuture(value);
      return CompletableFuture.supplyAsync(() -> value, CompletableFuture.delayedExecutor(d, TimeUnit.NANOSECONDS));
    }

    @Override
    public CompletableFuture<Void> oplogReplicate(
        String source, long vdiskId, long episode, long writeSeq, long offset, ByteBuf payload) {
      calls.add("replicate " + source + " " + vdiskId + " " + episode + " " + writeSeq + " " + offset + " "
          + payload.readableBytes());
      records.add(new ReplicaRecord(vdiskId, episode, writeSeq, offset, bytes(payload)));
      return reply(null);
    }

    @Override
    public CompletableFuture<Void> oplogTrim(String source, long vdiskId, long belowWriteSeq) {
      calls.add("trim " + source + " " + vdiskId + " " + belowWriteSeq);
      records.removeIf(r -> r.vdiskId() == vdiskId && r.writeSeq() < belowWriteSeq);
      return reply(null);
    }

    @Override
    public CompletableFuture<ReplicaPage> oplogFetch(String source, long vdiskId, long fromWriteSeq, int maxBytes) {
      calls.add("fetch " + source + " " + vdiskId + " " + fromWriteSeq + " " + maxBytes);
      List<ReplicaRecord> page = new ArrayList<>();
      long bytes = 0;
      long next = -1;
      for (ReplicaRecord r : records) {
        if (r.vdiskId() != vdiskId || r.writeSeq() < fromWriteSeq) continue;
        if (!page.isEmpty() && bytes + r.data().length > maxBytes) {
          next = r.writeSeq();
          break;
        }
        page.add(r);
        bytes += r.data().length;
      }
      return reply(new ReplicaPage(page, List.of(), next));
    }

    @Override
    public CompletableFuture<Void> oplogDiscard(String source, long vdiskId) {
      calls.add("discard " + source + " " + vdiskId);
      records.removeIf(r -> r.vdiskId() == vdiskId);
      return reply(null);
    }

    @Override
    public CompletableFuture<String> egroupCreate(String source, long egroupId, String diskHint) {
      calls.add("create " + source + " " + egroupId + " " + diskHint);
      egroups.putIfAbsent(egroupId, new byte[4 << 20]);
      return reply(diskHint == null ? "disk-0" : diskHint);
    }

    @Override
    public CompletableFuture<Void> egroupWrite(String source, long egroupId, long offset, ByteBuf payload) {
      calls.add("write " + source + " " + egroupId + " " + offset + " " + payload.readableBytes());
      byte[] eg = egroups.get(egroupId);
      if (eg == null) return CompletableFuture.failedFuture(ReplicationException.of(Status.NOT_FOUND, "egroup " + egroupId));
      payload.getBytes(payload.readerIndex(), eg, (int) offset, payload.readableBytes());
      return reply(null);
    }

    @Override
    public CompletableFuture<ByteBuf> egroupRead(String source, long egroupId, long offset, int length) {
      calls.add("read " + source + " " + egroupId + " " + offset + " " + length);
      byte[] eg = egroups.get(egroupId);
      if (eg == null) return CompletableFuture.failedFuture(ReplicationException.of(Status.NOT_FOUND, "egroup " + egroupId));
      return reply(Unpooled.copiedBuffer(eg, (int) offset, length));
    }

    @Override
    public CompletableFuture<Void> egroupDelete(String source, long egroupId) {
      calls.add("delete " + source + " " + egroupId);
      egroups.remove(egroupId);
      return reply(null);
    }
  }
}
