package io.cairn.datapath.extentstore.replicated;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cairn.config.ExtentStoreSettings;
import io.cairn.datapath.extentstore.DiskUsage;
import io.cairn.datapath.extentstore.ExtentStore;
import io.cairn.datapath.extentstore.ExtentStoreFormat;
import io.cairn.datapath.replication.ReplicationClient;
import io.cairn.datapath.replication.ReplicationException;
import io.cairn.datapath.replication.Status;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.datapath.vdisk.VDiskIoException.Kind;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's extent store when data is replicated: RF replicas of every extent group on distinct
 * nodes, this node's through its local {@link ExtentStore}, the others' over the replication data
 * plane ({@link ReplicationClient}, served there by {@link ExtentStoreReplicaService}).
 *
 * <ul>
 *   <li>{@link #createReplicas} places and creates the replicas of a new egroup; {@link #create}
 *       keeps meaning "the local replica only" (RF 1).
 *   <li>Writes and deallocations go to every replica and complete when all are durable; any
 *       replica failing fails the operation (WRITE_ERROR naming it). Not acknowledged means
 *       indeterminate: the replicas that succeeded keep the bytes, and the caller retries (a drain)
 *       or falls back to the RF-replicated OpLog (a sequential write).
 *   <li>Reads use the local replica when this node holds one, else a remote one. A replica that
 *       fails is skipped for the next; one that fails its checksum (the local store's
 *       UNRECOVERED_READ_ERROR, a peer's NACK IO_ERROR) is repaired from the replica that served
 *       the read: its slice-aligned range is rewritten with the good bytes before the read
 *       completes. Only when every replica fails does the read fail.
 *   <li>Deletes reach every replica.
 * </ul>
 *
 * <p>Where the replicas are comes from the {@link ReplicaResolver} (the ExtentGroup entity),
 * cached in a bounded Caffeine cache. Ids are never reused; a replica set changes only by
 * re-replication, which the writer's node learns at once ({@link #unfence} with the new list), and
 * a controller starting on a node drops the node's cache ({@link #forgetReplicas}); deleting an
 * egroup through this store invalidates its entry. {@link #remember} primes it.
 *
 * <p>Re-replication: {@link #fence} holds back this node's writes of an egroup while any node
 * copies it with {@link #copyReplica}; {@link #unfence} releases them.
 *
 * <p>Threads: every method but {@link #createReplicas} (which creates the local replica on the
 * calling thread, as {@link ExtentStore#create} does) and {@link #written} returns at once;
 * continuations run on the local store's I/O threads or the replication endpoint's handler
 * threads, and never block. {@link #written} blocks when it must ask a peer, so it must never be
 * called on a replication handler thread. Buffers: a write's {@code data} stays the caller's and
 * valid until the future completes, which is only once every replica has finished with it (also
 * when one failed early); a read's buffer passes to the caller.
 *
 * <p>Repairs are ordered with writes by a {@link RepairGate}: correct as long as the writes of an
 * egroup go through this node's store, as they do (one controller per vDisk writes its egroups).
 */
public final class ReplicatedExtentStore implements ExtentStore {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedExtentStore.class);

  /** Egroups whose replica lists the cache keeps by default. */
  public static final long DEFAULT_REPLICA_CACHE_ENTRIES = 100_000;
  /** Longest wait of {@link #written} for the resolver and for each peer asked. */
  static final long WRITTEN_TIMEOUT_MS = 10_000;
  /** Bytes a repair copies per request: fits a replication frame with the default 16 MiB term. */
  static final int REPAIR_CHUNK_BYTES = 1 << 20;
  /** Disk id shown for this node's replica when the resolver has not been asked. */
  static final String LOCAL_DISK = "local";

  private final String nodeId;
  private final ExtentStore local;
  private final ReplicationClient client;
  private final ReplicaResolver resolver;
  private final ReplicaPlacer placer;
  private final int sliceSize;
  private final long egroupSize;
  private final int repairChunk;
  /** Replica lists of egroups (never empty lists). */
  private final Cache<Long, List<ReplicaLocation>> replicaCache;
  /** Resolver questions in flight, so that concurrent misses of one egroup ask once. */
  private final ConcurrentHashMap<Long, CompletableFuture<List<ReplicaLocation>>> resolving = new ConcurrentHashMap<>();
  private final RepairGate gate = new RepairGate();
  /** Fences held for re-replications, by token: the egroup whose writes on this node wait. */
  private final ConcurrentHashMap<Long, Long> fences = new ConcurrentHashMap<>();
  private final AtomicLong nextFence = new AtomicLong();
  private final AtomicLong copiedBytes = new AtomicLong();

  private final AtomicLong remoteReads = new AtomicLong();
  private final AtomicLong readFailovers = new AtomicLong();
  private final AtomicLong checksumFailures = new AtomicLong();
  private final AtomicLong repairs = new AtomicLong();
  private final AtomicLong repairFailures = new AtomicLong();
  private final AtomicLong failedWrites = new AtomicLong();

  /**
   * Counters since start.
   *
   * @param remoteReads reads started on a peer's replica (this node held none)
   * @param readFailovers reads served by another replica after one failed
   * @param checksumFailures replica reads that failed their checksum (local or a peer's IO_ERROR)
   * @param repairs bad replica ranges rewritten from a good copy
   * @param repairFailures repairs that could not be done (logged)
   * @param failedWrites writes and deallocations that failed on at least one replica
   */
  public record Stats(long remoteReads, long readFailovers, long checksumFailures, long repairs, long repairFailures,
      long failedWrites) {}

  /**
   * @param nodeId this node's id (replicas on it are served by {@code local})
   * @param local this node's own extent store (e.g. the FileExtentStore)
   * @param settings the extent store's geometry (slice and egroup size, as {@code local} uses)
   * @param client requests to peers' replicas
   * @param resolver where an egroup's replicas are
   * @param placer where a new egroup's replicas go
   */
  public ReplicatedExtentStore(String nodeId, ExtentStore local, ExtentStoreSettings settings, ReplicationClient client,
      ReplicaResolver resolver, ReplicaPlacer placer) {
    this(nodeId, local, settings, client, resolver, placer, DEFAULT_REPLICA_CACHE_ENTRIES);
  }

  /** As above, with the replica cache bounded to {@code replicaCacheEntries} egroups. */
  public ReplicatedExtentStore(String nodeId, ExtentStore local, ExtentStoreSettings settings, ReplicationClient client,
      ReplicaResolver resolver, ReplicaPlacer placer, long replicaCacheEntries) {
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.local = Objects.requireNonNull(local, "local");
    if (local instanceof ReplicatedExtentStore) throw new IllegalArgumentException("local must be the node's own store");
    this.client = Objects.requireNonNull(client, "client");
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.placer = Objects.requireNonNull(placer, "placer");
    this.sliceSize = settings.sliceSizeBytes();
    this.egroupSize = settings.egroupSizeBytes();
    this.repairChunk = Math.max(sliceSize, REPAIR_CHUNK_BYTES / sliceSize * sliceSize);
    this.replicaCache = Caffeine.newBuilder().maximumSize(replicaCacheEntries).executor(Runnable::run).build();
  }

  /** This node's own store (the replica this node holds). */
  public ExtentStore local() {
    return local;
  }

  public String nodeId() {
    return nodeId;
  }

  public Stats stats() {
    return new Stats(remoteReads.get(), readFailovers.get(), checksumFailures.get(), repairs.get(), repairFailures.get(),
        failedWrites.get());
  }

  // ==== replicas ==================================================================================

  /**
   * Creates the {@code rf} replicas of a new egroup on distinct nodes chosen by the placer: the
   * remote ones with EGROUP_CREATE, then the local one (if chosen) on the calling thread. Completes
   * with the replicas in placement order; fails (VDiskIoException NOT_READY) naming the nodes when
   * fewer than {@code rf} nodes are eligible, or (WRITE_ERROR) naming each node whose creation
   * failed. Creation is idempotent, so a retry with the same id is harmless; replicas created
   * before a failure stay (a retry reuses them; garbage collection reclaims them otherwise).
   */
  public CompletableFuture<List<ReplicaLocation>> createReplicas(long egroupId, int rf) {
    if (rf < 1) return CompletableFuture.failedFuture(new IllegalArgumentException("replication factor " + rf + " < 1"));
    String eg = ExtentStoreFormat.hex(egroupId);
    List<String> nodes;
    try {
      nodes = placer.place(egroupId, rf);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.NOT_READY,
          "cannot place " + rf + " replicas of egroup " + eg + ": " + e.getMessage(), e));
    }
    List<String> distinct = nodes == null ? List.of() : List.copyOf(new LinkedHashSet<>(nodes));
    if (distinct.size() < rf || distinct.size() != nodes.size()) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.NOT_READY, "egroup " + eg + " needs " + rf
          + " replicas on distinct nodes, placement offers " + (nodes == null ? List.of() : nodes)));
    }
    List<String> chosen = distinct.subList(0, rf);
    List<CompletableFuture<String>> disks = new ArrayList<>(rf);
    int localIndex = chosen.indexOf(nodeId);
    for (String n : chosen) {
      disks.add(n.equals(nodeId) ? null : safely(() -> client.createEgroup(n, egroupId, null)));
    }
    if (localIndex >= 0) {
      CompletableFuture<String> d;
      try {
        d = CompletableFuture.completedFuture(local.create(egroupId, null));
      } catch (RuntimeException e) {
        d = CompletableFuture.failedFuture(e);
      }
      disks.set(localIndex, d);
    }
    return CompletableFuture.allOf(disks.toArray(CompletableFuture[]::new)).handle((v, t) -> {
      if (t != null) {
        StringBuilder why = new StringBuilder();
        for (int i = 0; i < rf; i++) {
          Throwable e = failureOf(disks.get(i));
          if (e != null) why.append(why.length() == 0 ? "" : "; ").append(chosen.get(i)).append(": ").append(describe(e));
        }
        throw new CompletionException(new VDiskIoException(Kind.WRITE_ERROR,
            "cannot create the replicas of egroup " + eg + " on " + chosen + ": " + why));
      }
      List<ReplicaLocation> out = new ArrayList<>(rf);
      for (int i = 0; i < rf; i++) out.add(new ReplicaLocation(chosen.get(i), disks.get(i).join()));
      return List.copyOf(out);
    });
  }

  /**
   * Records where the replicas of an egroup are (as the ExtentGroup entity confirmed them), so that
   * its first I/O does not ask the resolver.
   */
  public void remember(long egroupId, List<ReplicaLocation> replicas) {
    if (replicas.isEmpty()) {
      replicaCache.invalidate(egroupId);
    } else {
      replicaCache.put(egroupId, List.copyOf(replicas));
    }
  }

  /**
   * Forgets every cached replica list, so that later I/O asks the resolver. A vDisk controller
   * that starts on this node calls it: lists cached while an earlier controller was here may have
   * changed since (re-replication elsewhere).
   */
  public void forgetReplicas() {
    replicaCache.invalidateAll();
  }

  // ==== re-replication ============================================================================

  /**
   * Holds back this node's writes and deallocations of the egroup (the exclusive side of the repair
   * gate) until {@link #unfence} or until {@code lease} has passed, so that a copy of its bytes made
   * by any node meanwhile cannot miss a write. Only meaningful on the node of the egroup's writer
   * (its owner vDisk's controller). Completes with the fence's token once writes in flight have
   * finished.
   */
  public CompletableFuture<Long> fence(long egroupId, java.time.Duration lease) {
    return gate.enterExclusive(egroupId).thenApply(v -> {
      long token = nextFence.incrementAndGet();
      fences.put(token, egroupId);
      CompletableFuture.delayedExecutor(lease.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        if (fences.remove(token, egroupId)) {
          gate.leaveExclusive(egroupId);
          LOG.warn("egroup {}: re-replication fence {} expired after {}; its writes go on",
              ExtentStoreFormat.hex(egroupId), token, lease);
        }
      });
      return token;
    });
  }

  /** Whether the fence {@code token} is still held (not released, not expired). */
  public boolean holdsFence(long token) {
    return fences.containsKey(token);
  }

  /**
   * Releases the fence {@code token}; when {@code replicas} is not null, this node's writes of the
   * egroup go to those replicas from now on. False when the fence was no longer held.
   */
  public boolean unfence(long token, List<ReplicaLocation> replicas) {
    Long egroupId = fences.remove(token);
    if (egroupId == null) return false;
    if (replicas != null) remember(egroupId, replicas);
    gate.leaveExclusive(egroupId);
    return true;
  }

  /**
   * Copies a whole egroup from replica {@code source} to a new replica on {@code targetNode}
   * (created first; creation is idempotent, so a retry reuses it): the bytes go from the source's
   * store (read here when the source is this node, else over the data plane) to the target's, in
   * chunks of at most 1 MiB, checked by the target as every write is. Completes with the new
   * replica's location. Not ordered with writes by itself: the caller holds the writer's {@link
   * #fence} meanwhile.
   */
  public CompletableFuture<ReplicaLocation> copyReplica(long egroupId, ReplicaLocation source, String targetNode) {
    if (targetNode.equals(source.nodeId())) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("copy of egroup "
          + ExtentStoreFormat.hex(egroupId) + " onto its source node " + targetNode));
    }
    CompletableFuture<String> disk = targetNode.equals(nodeId)
        ? safely(() -> CompletableFuture.completedFuture(local.create(egroupId, null)))
        : safely(() -> client.createEgroup(targetNode, egroupId, null));
    return disk.thenCompose(d -> {
      ReplicaLocation target = new ReplicaLocation(targetNode, d);
      return copy(egroupId, 0, egroupSize, source, target).thenApply(v -> target);
    });
  }

  /**
   * Deletes the one replica at {@code replica} (a copy that was not committed), and nothing else:
   * unlike {@link #delete(long, List)}, never this node's own replica unless {@code replica} is it.
   */
  public CompletableFuture<Void> deleteReplica(long egroupId, ReplicaLocation replica) {
    return safely(() -> isLocal(replica) ? local.delete(egroupId) : client.deleteEgroup(replica.nodeId(), egroupId))
        .whenComplete((v, t) -> {
          if (t != null) LOG.warn("egroup {}: deleting the uncommitted replica {} failed: {}", ExtentStoreFormat.hex(egroupId),
              replica, describe(t));
        });
  }

  /** Bytes this node has copied onto other replicas (repairs and re-replications). */
  public long copiedBytes() {
    return copiedBytes.get();
  }

  /**
   * The egroup's replicas, from the cache or the resolver (concurrent misses share one question);
   * empty when the egroup does not exist (such answers are not cached). Fails NOT_READY when the
   * resolver fails.
   */
  public CompletableFuture<List<ReplicaLocation>> replicas(long egroupId) {
    List<ReplicaLocation> hit = replicaCache.getIfPresent(egroupId);
    if (hit != null) return CompletableFuture.completedFuture(hit);
    CompletableFuture<List<ReplicaLocation>> mine = new CompletableFuture<>();
    CompletableFuture<List<ReplicaLocation>> asked = resolving.putIfAbsent(egroupId, mine);
    if (asked != null) return asked;
    safely(() -> resolver.replicas(egroupId)).whenComplete((l, t) -> {
      List<ReplicaLocation> rs = t == null && l != null ? List.copyOf(l) : List.of();
      if (!rs.isEmpty()) replicaCache.put(egroupId, rs); // before leaving resolving: always found in one
      resolving.remove(egroupId, mine);
      if (t == null) {
        mine.complete(rs);
      } else {
        Throwable c = unwrap(t);
        mine.completeExceptionally(new VDiskIoException(Kind.NOT_READY,
            "cannot find the replicas of egroup " + ExtentStoreFormat.hex(egroupId) + ": " + describe(c), c));
      }
    });
    return mine;
  }

  private boolean isLocal(ReplicaLocation r) {
    return r.nodeId().equals(nodeId);
  }

  // ==== ExtentStore ===============================================================================

  /** Creates the local replica only (RF 1), exactly as the local store does. */
  @Override
  public String create(long egroupId, String diskId) {
    return local.create(egroupId, diskId);
  }

  /** Whether this node holds a replica, or knows (has cached) where the egroup's replicas are. */
  @Override
  public boolean contains(long egroupId) {
    return local.contains(egroupId) || replicaCache.getIfPresent(egroupId) != null;
  }

  @Override
  public CompletableFuture<Void> write(long egroupId, long offset, ByteBuf data) {
    int length = data.readableBytes();
    if (offset < 0 || offset + length > egroupSize) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.LBA_OUT_OF_RANGE,
          "write [" + offset + ", +" + length + ") outside extent group of " + egroupSize + " bytes"));
    }
    return mutate("write", offset, length, egroupId,
        r -> isLocal(r) ? local.write(egroupId, offset, data) : client.writeEgroup(r.nodeId(), egroupId, offset, data));
  }

  @Override
  public CompletableFuture<Void> deallocate(long egroupId, long offset, long length) {
    if (offset < 0 || length < 0 || offset + length > egroupSize || offset % sliceSize != 0 || length % sliceSize != 0) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "deallocate [" + offset + ", +" + length + ") is not whole slices of an extent group of " + egroupSize + " bytes"));
    }
    if (length == 0) return CompletableFuture.completedFuture(null);
    return mutate("deallocate", offset, length, egroupId, r -> isLocal(r)
        ? local.deallocate(egroupId, offset, length)
        : client.deallocateEgroup(r.nodeId(), egroupId, offset, length));
  }

  /**
   * Runs a mutation on every replica, inside the repair gate; completes when all finished, failing
   * WRITE_ERROR naming every replica that failed.
   */
  private CompletableFuture<Void> mutate(String what, long offset, long length, long egroupId,
      Function<ReplicaLocation, CompletableFuture<Void>> op) {
    return replicas(egroupId).thenCompose(found -> {
      List<ReplicaLocation> rs = found;
      if (rs.isEmpty()) {
        if (!local.contains(egroupId)) {
          return CompletableFuture.failedFuture(new VDiskIoException(Kind.NOT_READY,
              "egroup " + ExtentStoreFormat.hex(egroupId) + " has no replicas (never created, or deleted)"));
        }
        rs = List.of(new ReplicaLocation(nodeId, LOCAL_DISK)); // a local replica the resolver does not know yet
      }
      List<ReplicaLocation> targets = rs;
      return gate.enterShared(egroupId)
          .thenCompose(entered -> onEvery(what, offset, length, egroupId, targets, op))
          .whenComplete((v, t) -> {
            gate.leaveShared(egroupId);
            if (t != null) failedWrites.incrementAndGet();
          });
    });
  }

  /**
   * Runs {@code op} on every replica; completes once all did, failing WRITE_ERROR naming each
   * failed one ({@code what} of {@code [offset, +length)}; a negative length names no range).
   */
  private CompletableFuture<Void> onEvery(String what, long offset, long length, long egroupId, List<ReplicaLocation> rs,
      Function<ReplicaLocation, CompletableFuture<Void>> op) {
    List<CompletableFuture<Void>> fs = new ArrayList<>(rs.size());
    for (ReplicaLocation r : rs) fs.add(safely(() -> op.apply(r)));
    return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).handle((v, t) -> {
      if (t == null) return null;
      StringBuilder why = new StringBuilder();
      for (int i = 0; i < rs.size(); i++) {
        Throwable e = failureOf(fs.get(i));
        if (e != null) why.append(why.length() == 0 ? "" : "; ").append("replica ").append(rs.get(i)).append(": ").append(describe(e));
      }
      String range = length < 0 ? "" : " [" + offset + ", +" + length + ")";
      throw new CompletionException(new VDiskIoException(Kind.WRITE_ERROR,
          what + range + " of egroup " + ExtentStoreFormat.hex(egroupId) + " failed on " + why));
    });
  }

  @Override
  public CompletableFuture<ByteBuf> read(long egroupId, long offset, int length) {
    if (offset < 0 || length < 0 || offset + length > egroupSize) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.LBA_OUT_OF_RANGE,
          "read [" + offset + ", +" + length + ") outside extent group of " + egroupSize + " bytes"));
    }
    ReadState st = new ReadState(egroupId, offset, length);
    if (local.contains(egroupId)) return attempt(st, List.of(new ReplicaLocation(nodeId, LOCAL_DISK)), 0, true);
    remoteReads.incrementAndGet();
    return replicas(egroupId).thenCompose(rs -> attempt(st, localFirst(rs), 0, false));
  }

  /** What one read has met so far (its continuations run one after another, never at once). */
  private static final class ReadState {
    final long egroupId;
    final long offset;
    final int length;
    final Set<String> tried = new HashSet<>();
    final List<ReplicaLocation> bad = new ArrayList<>(1);
    final StringBuilder failures = new StringBuilder();
    boolean medium;

    ReadState(long egroupId, long offset, int length) {
      this.egroupId = egroupId;
      this.offset = offset;
      this.length = length;
    }

    String range() {
      return "egroup " + ExtentStoreFormat.hex(egroupId) + " [" + offset + ", +" + length + ")";
    }
  }

  private List<ReplicaLocation> localFirst(List<ReplicaLocation> rs) {
    List<ReplicaLocation> out = new ArrayList<>(rs.size());
    for (ReplicaLocation r : rs) if (isLocal(r)) out.add(r);
    for (ReplicaLocation r : rs) if (!isLocal(r)) out.add(r);
    return out;
  }

  /**
   * Reads from {@code order[i]}, or the next replica not tried yet; when {@code order} runs out and
   * {@code resolveMore}, asks the resolver for the rest.
   */
  private CompletableFuture<ByteBuf> attempt(ReadState st, List<ReplicaLocation> order, int i, boolean resolveMore) {
    int at = i;
    while (at < order.size() && st.tried.contains(order.get(at).nodeId())) at++;
    if (at == order.size()) {
      if (resolveMore) {
        return replicas(st.egroupId)
            .handle((rs, t) -> {
              if (t == null) return attempt(st, localFirst(rs), 0, false);
              note(st, new ReplicaLocation("resolver", "-"), t);
              return CompletableFuture.<ByteBuf>failedFuture(readFailure(st));
            })
            .thenCompose(Function.identity());
      }
      return CompletableFuture.failedFuture(readFailure(st));
    }
    ReplicaLocation r = order.get(at);
    st.tried.add(r.nodeId());
    int next = at + 1;
    CompletableFuture<ByteBuf> f = safely(() -> readOne(r, st.egroupId, st.offset, st.length));
    return f.handle((buf, t) -> {
      if (t == null) return served(st, r, buf);
      if (isMediumError(t)) {
        st.medium = true;
        st.bad.add(r);
        checksumFailures.incrementAndGet();
        LOG.warn("{}: replica {} failed its checksum ({}); reading another replica", st.range(), r, describe(t));
      } else {
        LOG.debug("{}: replica {} unreadable: {}", st.range(), r, describe(t));
      }
      note(st, r, t);
      return attempt(st, order, next, resolveMore);
    }).thenCompose(Function.identity());
  }

  private void note(ReadState st, ReplicaLocation r, Throwable t) {
    st.failures.append(st.failures.length() == 0 ? "" : "; ").append(r).append(": ").append(describe(t));
  }

  private VDiskIoException readFailure(ReadState st) {
    if (st.failures.length() == 0) {
      return new VDiskIoException(Kind.NOT_READY, st.range() + ": the egroup has no replicas (never created, or deleted)");
    }
    return st.medium
        ? new VDiskIoException(Kind.UNRECOVERED_READ_ERROR, st.range() + ": no replica holds a good copy: " + st.failures)
        : new VDiskIoException(Kind.NOT_READY, st.range() + ": no replica could be read: " + st.failures);
  }

  /** {@code good} served the read: repair the replicas that failed their checksum, then hand the bytes over. */
  private CompletableFuture<ByteBuf> served(ReadState st, ReplicaLocation good, ByteBuf buf) {
    if (st.tried.size() > 1) readFailovers.incrementAndGet();
    if (st.bad.isEmpty()) return CompletableFuture.completedFuture(buf);
    List<CompletableFuture<Void>> rs = new ArrayList<>(st.bad.size());
    for (ReplicaLocation b : st.bad) rs.add(repair(st.egroupId, st.offset, st.length, good, b));
    return CompletableFuture.allOf(rs.toArray(CompletableFuture[]::new)).handle((v, t) -> buf);
  }

  /**
   * Rewrites the slices of {@code [offset, offset+length)} on {@code bad} with {@code good}'s bytes,
   * read again under the exclusive gate so that no write of the egroup lands in between. Never fails:
   * the outcome is logged and counted.
   */
  CompletableFuture<Void> repair(long egroupId, long offset, int length, ReplicaLocation good, ReplicaLocation bad) {
    long from = offset / sliceSize * sliceSize;
    long to = Math.min(egroupSize, (offset + length + sliceSize - 1) / sliceSize * sliceSize);
    String what = "egroup " + ExtentStoreFormat.hex(egroupId) + " [" + from + ", " + to + ")";
    return gate.enterExclusive(egroupId)
        .thenCompose(v -> copy(egroupId, from, to, good, bad))
        .handle((v, t) -> {
          gate.leaveExclusive(egroupId);
          if (t == null) {
            repairs.incrementAndGet();
            LOG.warn("{}: repaired replica {} with the bytes of replica {}", what, bad, good);
          } else {
            repairFailures.incrementAndGet();
            LOG.error("{}: repair of replica {} from replica {} failed: {}", what, bad, good, describe(t));
          }
          return null;
        });
  }

  private CompletableFuture<Void> copy(long egroupId, long from, long to, ReplicaLocation good, ReplicaLocation bad) {
    if (from >= to) return CompletableFuture.completedFuture(null);
    int n = (int) Math.min(repairChunk, to - from);
    return safely(() -> readOne(good, egroupId, from, n))
        .thenCompose(buf -> safely(() -> isLocal(bad)
                ? local.write(egroupId, from, buf)
                : client.writeEgroup(bad.nodeId(), egroupId, from, buf))
            .whenComplete((v, t) -> {
              if (t == null) copiedBytes.addAndGet(n);
              buf.release();
            }))
        .thenCompose(v -> copy(egroupId, from + n, to, good, bad));
  }

  private CompletableFuture<ByteBuf> readOne(ReplicaLocation r, long egroupId, long offset, int length) {
    return isLocal(r) ? local.read(egroupId, offset, length) : client.readEgroup(r.nodeId(), egroupId, offset, length);
  }

  /** Whether a replica read failed because the stored bytes failed their checksum (or the medium). */
  static boolean isMediumError(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof VDiskIoException v) return v.kind() == Kind.UNRECOVERED_READ_ERROR;
    if (c instanceof ReplicationException r) return r.remote() && r.status() == Status.IO_ERROR;
    return false;
  }

  /**
   * The written slices of the range, from the local replica when this node holds one, else from a
   * peer's (blocking up to {@link #WRITTEN_TIMEOUT_MS} per step). When no replica can answer, every
   * slice of the range is reported written (the safe answer: "mapped") and a warning is logged.
   */
  @Override
  public BitSet written(long egroupId, long offset, long length) {
    if (local.contains(egroupId)) return local.written(egroupId, offset, length);
    if (length <= 0 || offset < 0 || offset >= egroupSize) return new BitSet();
    StringBuilder why = new StringBuilder();
    try {
      List<ReplicaLocation> rs = replicas(egroupId).get(WRITTEN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      if (rs.isEmpty()) return new BitSet();
      for (ReplicaLocation r : rs) {
        if (isLocal(r)) continue;
        try {
          return client.writtenEgroup(r.nodeId(), egroupId, offset, length).get(WRITTEN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
          why.append(why.length() == 0 ? "" : "; ").append(r).append(": ").append(describe(e));
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      why.append(describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why.append("interrupted");
    }
    LOG.warn("egroup {}: written slices of [{}, +{}) unknown, reported as written: {}",
        ExtentStoreFormat.hex(egroupId), offset, length, why);
    BitSet all = new BitSet();
    int first = (int) (offset / sliceSize);
    int end = (int) ((Math.min(offset + length, egroupSize) + sliceSize - 1) / sliceSize);
    all.set(0, end - first);
    return all;
  }

  /** Deletes every replica the resolver knows, and the local one if this node holds one. */
  @Override
  public CompletableFuture<Void> delete(long egroupId) {
    return replicas(egroupId).thenCompose(rs -> delete(egroupId, rs));
  }

  /**
   * Deletes the replicas at {@code replicas} (as the ExtentGroup entity knew them), and the local
   * one if this node holds one; forgets the egroup's cached replicas. Idempotent. A replica that
   * cannot be deleted (its node is down) is logged and fails the future naming it: it stays as an
   * orphan for garbage collection.
   */
  public CompletableFuture<Void> delete(long egroupId, List<ReplicaLocation> replicas) {
    replicaCache.invalidate(egroupId);
    List<ReplicaLocation> targets = new ArrayList<>(replicas);
    if (local.contains(egroupId) && targets.stream().noneMatch(this::isLocal)) {
      targets.add(new ReplicaLocation(nodeId, LOCAL_DISK));
    }
    if (targets.isEmpty()) return CompletableFuture.completedFuture(null);
    return onEvery("delete", 0, -1, egroupId, targets,
            r -> isLocal(r) ? local.delete(egroupId) : client.deleteEgroup(r.nodeId(), egroupId))
        .whenComplete((v, t) -> {
          replicaCache.invalidate(egroupId);
          if (t != null) LOG.warn("{}", describe(t));
        });
  }

  @Override
  public CompletableFuture<java.util.BitSet> verify(long egroupId, long offset, long length) {
    return local.verify(egroupId, offset, length);
  }

  @Override
  public int pendingIo() {
    return local.pendingIo();
  }

  /**
   * Scrub repair, run on the node of the egroup's writer (its controller), which orders it with
   * the egroup's writes: reads {@code [offset, +length)} from {@code suspect} first; when that
   * fails its checksum, another replica serves the bytes and the suspect's slices are rewritten
   * with them under the exclusive gate, as a read's repair is. Completes with whether the suspect
   * failed its checksum (false: it reads correctly now, e.g. a write replaced the bad slice);
   * fails as a read does when no replica holds a good copy.
   */
  public CompletableFuture<Boolean> repairReplica(long egroupId, long offset, int length, ReplicaLocation suspect) {
    if (offset < 0 || length <= 0 || offset + length > egroupSize) {
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.LBA_OUT_OF_RANGE,
          "repair [" + offset + ", +" + length + ") outside extent group of " + egroupSize + " bytes"));
    }
    ReadState st = new ReadState(egroupId, offset, length);
    return replicas(egroupId).thenCompose(rs -> {
      List<ReplicaLocation> order = new ArrayList<>(rs.size());
      order.add(suspect);
      for (ReplicaLocation r : localFirst(rs)) if (!r.nodeId().equals(suspect.nodeId())) order.add(r);
      return attempt(st, order, 0, false);
    }).thenApply(buf -> {
      buf.release();
      return st.bad.stream().anyMatch(r -> r.nodeId().equals(suspect.nodeId()));
    });
  }

  /** The egroups this node holds a local replica of. */
  @Override
  public List<Long> egroupIds() {
    return local.egroupIds();
  }

  /** Deletes this node's local replica if it has been left alone for {@code idle} (an orphan; see {@link ExtentStore#deleteIfIdle}). */
  @Override
  public CompletableFuture<Boolean> deleteIfIdle(long egroupId, java.time.Duration idle) {
    return local.deleteIfIdle(egroupId, idle).whenComplete((deleted, t) -> replicaCache.invalidate(egroupId));
  }

  @Override
  public List<DiskUsage> disks() {
    return local.disks();
  }

  /** Closes the local store (the replication endpoint is the node's to close). */
  @Override
  public void close() {
    local.close();
  }

  @Override
  public String toString() {
    return "ReplicatedExtentStore[" + nodeId + " over " + local + "]";
  }

  // ==== misc ======================================================================================

  private static <T> CompletableFuture<T> safely(Supplier<CompletableFuture<T>> call) {
    try {
      CompletableFuture<T> f = call.get();
      return f != null ? f : CompletableFuture.failedFuture(new IllegalStateException("null future"));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The failure of a completed future, or null when it succeeded. */
  private static Throwable failureOf(CompletableFuture<?> f) {
    return f.handle((v, t) -> t).getNow(null);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private static String describe(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof VDiskIoException v) return v.kind() + ": " + v.getMessage();
    if (c instanceof ReplicationException r) return r.status() + ": " + r.getMessage();
    if (c instanceof TimeoutException) return "timed out";
    return String.valueOf(c);
  }
}
