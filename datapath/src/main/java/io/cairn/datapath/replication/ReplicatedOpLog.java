package io.cairn.datapath.replication;

import io.cairn.datapath.oplog.DrainSink;
import io.cairn.datapath.oplog.OpLog;
import io.cairn.datapath.oplog.OpLogCapture;
import io.cairn.datapath.oplog.OpLogStats;
import io.cairn.datapath.oplog.ReplicaLog;
import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.Placement;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's OpLog with RF copies: every write of a vDisk whose container has replication factor
 * RF &gt; 1 is made durable in this node's OpLog and in the replica logs ({@link ReplicaLog}) of
 * RF - 1 peers, and only then acknowledged. A vDisk with RF 1 goes to the local OpLog alone.
 *
 * <h2>Write sequences and episodes</h2>
 *
 * Each replicated record carries a per-vDisk write sequence, strictly increasing for as long as this
 * node owns the vDisk and above every sequence it fetched when it took the vDisk over (see {@link
 * #recover}); sequences start at the wall clock in milliseconds times 2^20, so an owner that took
 * over later starts above an earlier one. Peers are chosen per episode (1 GiB of vDisk offsets) by
 * {@link Placement} with this node as an existing replica, so the copies land in other fault
 * domains and episodes of one vDisk spread over the cluster. A peer that fails a write is replaced
 * (new peers chosen excluding it) and the write re-sent; when no replacement works the write fails
 * with WRITE_ERROR: a write is never acknowledged with fewer than RF durable copies.
 *
 * <h2>Supersede</h2>
 *
 * A SUPERSEDE (the range is about to be written straight to the extent store) is replicated as a
 * record in episode {@link #SUPERSEDE_EPISODE} whose 8 data bytes hold the length (little endian):
 * a new owner replays it in order, so older records never come back over the direct write.
 *
 * <h2>Take-over</h2>
 *
 * {@link #recover} runs before a vDisk's controller serves I/O on this node: it fetches the vDisk's
 * live records from every peer's replica log and this node's own, orders them by write sequence,
 * and re-appends them through this OpLog (so they have RF fresh copies with new sequences), then
 * trims every replica log below the first new sequence. A crash in between leaves old and new
 * copies, which replay in the same order to the same bytes.
 *
 * <h2>Trimming</h2>
 *
 * Once a second, for each replicated vDisk this node owns (writes, and has not {@link #release}d)
 * whose local OpLog holds nothing undrained, the peers are told to trim below the lowest sequence
 * still in flight (or the next one): everything below it is in the extent store. A node whose
 * controller left drops its records undrained and never trims: the copies are the next owner's. Under sustained writes replica logs grow until the vDisk's OpLog drains
 * empty.
 *
 * <p>Thread-safe.
 */
public final class ReplicatedOpLog implements OpLog {

  /** What the node knows of the cluster, for placement. Called from any thread; must not block. */
  public interface Cluster {
    /** Members that are up and reachable, this node included. */
    List<Candidate> candidates();

    /** The vDisk's replication factor (its container's); 1 = not replicated. */
    int replicationFactor(long vdiskId);
  }

  /** Episode of replicated SUPERSEDE records. */
  public static final long SUPERSEDE_EPISODE = Long.MAX_VALUE;

  static final int EPISODE_SHIFT = 30;

  /** Peer replacements tried for one write before it fails. */
  static final int MAX_REPLACEMENTS = 2;

  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedOpLog.class);

  private final String self;
  private final OpLog local;
  private final ReplicaLog replicaLog;
  private final ReplicationClient client;
  private final Cluster cluster;
  private final Map<Long, VDisk> vdisks = new ConcurrentHashMap<>();
  private final ScheduledExecutorService trimmer;

  public ReplicatedOpLog(String self, OpLog local, ReplicaLog replicaLog, ReplicationClient client, Cluster cluster) {
    this.self = self;
    this.local = local;
    this.replicaLog = replicaLog;
    this.client = client;
    this.cluster = cluster;
    this.trimmer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cairn-oplog-trim");
      t.setDaemon(true);
      return t;
    });
    trimmer.scheduleWithFixedDelay(this::trimDrained, 1, 1, TimeUnit.SECONDS);
  }

  /** Per-vDisk replication state. */
  private static final class VDisk {
    final AtomicLong nextSeq = new AtomicLong(System.currentTimeMillis() << 20);
    final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
    final Map<Long, List<String>> episodePeers = new ConcurrentHashMap<>();
    /**
     * Every peer set each episode's records were sent to since the last trim (a replaced peer adds
     * a set: records acknowledged before are on the old set only), with the highest write
     * sequence sent to it; a set whose records are all trimmed is dropped.
     */
    final Map<Long, List<PeerSet>> episodeSets = new ConcurrentHashMap<>();
    final Set<String> peersEverUsed = ConcurrentHashMap.newKeySet();
    volatile long trimmedBelow;
    /** This node writes the vDisk (its controller runs here): only then may it trim the peers. */
    volatile boolean owned;
    /** The controller left this node ({@link #release}); set back by a take-over here. */
    volatile boolean released;
  }

  /** One peer set of an episode and the highest write sequence sent with it. */
  private record PeerSet(List<String> peers, AtomicLong maxSeq) {}

  /** Notes that record {@code seq} of the episode is sent to {@code peers}. */
  private static void noteSet(VDisk vd, long episode, List<String> peers, long seq) {
    List<PeerSet> sets = vd.episodeSets.computeIfAbsent(episode, e -> new java.util.concurrent.CopyOnWriteArrayList<>());
    synchronized (sets) {
      for (PeerSet ps : sets) {
        if (ps.peers().equals(peers)) {
          ps.maxSeq().accumulateAndGet(seq, Math::max);
          return;
        }
      }
      sets.add(new PeerSet(List.copyOf(peers), new AtomicLong(seq)));
    }
  }

  /** Drops the peer sets whose every record is below {@code below} (trimmed). */
  private static void pruneSets(VDisk vd, long below) {
    vd.episodeSets.values().forEach(sets -> {
      synchronized (sets) {
        sets.removeIf(ps -> ps.maxSeq().get() < below);
      }
    });
    vd.episodeSets.values().removeIf(List::isEmpty);
  }

  private VDisk vdisk(long vdiskId) {
    return vdisks.computeIfAbsent(vdiskId, id -> new VDisk());
  }

  // ==== writes ====================================================================================

  @Override
  public CompletableFuture<Void> append(long vdiskId, long offset, ByteBuf data) {
    int rf = cluster.replicationFactor(vdiskId);
    if (rf <= 1) return local.append(vdiskId, offset, data);
    return replicated(vdiskId, rf, offset >>> EPISODE_SHIFT, offset, data.retainedDuplicate(),
        () -> local.append(vdiskId, offset, data));
  }

  @Override
  public CompletableFuture<Void> supersede(long vdiskId, long offset, long length) {
    int rf = cluster.replicationFactor(vdiskId);
    if (rf <= 1) return local.supersede(vdiskId, offset, length);
    ByteBuf marker = Unpooled.buffer(8).writeLongLE(length);
    return replicated(vdiskId, rf, SUPERSEDE_EPISODE, offset, marker, () -> local.supersede(vdiskId, offset, length));
  }

  /**
   * Writes locally and to the episode's peers; completes when all are durable. Takes ownership of
   * {@code payload} (released when every send is done).
   */
  private CompletableFuture<Void> replicated(long vdiskId, int rf, long episode, long offset, ByteBuf payload,
      java.util.function.Supplier<CompletableFuture<Void>> localWrite) {
    VDisk vd = vdisk(vdiskId);
    if (!vd.released) vd.owned = true;
    long seq;
    synchronized (vd) { // against trimDrained: a taken sequence is in flight before anyone reads the next
      seq = vd.nextSeq.getAndIncrement();
      vd.inFlight.add(seq);
    }
    List<String> peers;
    try {
      peers = peers(vdiskId, vd, episode == SUPERSEDE_EPISODE ? offset >>> EPISODE_SHIFT : episode, rf, Set.of());
    } catch (RuntimeException e) {
      vd.inFlight.remove(seq);
      payload.release();
      return CompletableFuture.failedFuture(new VDiskIoException(VDiskIoException.Kind.WRITE_ERROR,
          "vDisk " + vdiskId + " needs " + rf + " copies: " + e.getMessage()));
    }
    List<CompletableFuture<Void>> all = new ArrayList<>(peers.size() + 1);
    all.add(localWrite.get());
    long placementEpisode = episode == SUPERSEDE_EPISODE ? offset >>> EPISODE_SHIFT : episode;
    noteSet(vd, placementEpisode, peers, seq);
    for (String peer : peers) {
      all.add(sendWithReplacement(vdiskId, vd, rf, placementEpisode, episode, seq, offset, payload, peer, 0, peers));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, err) -> {
      vd.inFlight.remove(seq);
      payload.release();
    }).exceptionallyCompose(err -> CompletableFuture.failedFuture(VDiskIoException.of(unwrap(err))));
  }

  /**
   * Sends one copy to {@code peer}; when it fails, to a replacement, at most {@link
   * #MAX_REPLACEMENTS} times. {@code sentTo}: every peer this write went to so far (never a
   * replacement).
   */
  private CompletableFuture<Void> sendWithReplacement(long vdiskId, VDisk vd, int rf, long placementEpisode,
      long episode, long seq, long offset, ByteBuf payload, String peer, int attempt, List<String> sentTo) {
    vd.peersEverUsed.add(peer);
    return client.replicate(peer, vdiskId, episode, seq, offset, payload.duplicate())
        .exceptionallyCompose(err -> {
          if (attempt >= MAX_REPLACEMENTS) {
            return CompletableFuture.failedFuture(new VDiskIoException(VDiskIoException.Kind.WRITE_ERROR,
                "vDisk " + vdiskId + ": replica copy failed on " + peer + " and its replacements: " + unwrap(err).getMessage()));
          }
          String replacement;
          try {
            replacement = replace(vdiskId, vd, rf, placementEpisode, peer, sentTo);
            noteSet(vd, placementEpisode, vd.episodePeers.getOrDefault(placementEpisode, List.of()), seq);
          } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new VDiskIoException(VDiskIoException.Kind.WRITE_ERROR,
                "vDisk " + vdiskId + ": replica copy failed on " + peer + " (" + unwrap(err).getMessage()
                    + ") and no other node can take it: " + e.getMessage()));
          }
          LOG.warn("vDisk {} episode {}: OpLog copy on {} failed ({}); re-sent to {}", vdiskId, placementEpisode, peer,
              unwrap(err).getMessage(), replacement);
          List<String> next = new ArrayList<>(sentTo);
          next.add(replacement);
          return sendWithReplacement(vdiskId, vd, rf, placementEpisode, episode, seq, offset, payload, replacement,
              attempt + 1, List.copyOf(next));
        });
  }

  /** The episode's peers, chosen on first use. */
  private List<String> peers(long vdiskId, VDisk vd, long episode, int rf, Set<String> excluded) {
    List<String> known = vd.episodePeers.get(episode);
    if (known != null && known.size() == rf - 1) return known;
    List<String> chosen = choose(vdiskId, episode, rf, excluded, List.of());
    vd.episodePeers.put(episode, chosen);
    return chosen;
  }

  /** Replaces a failed peer of the episode; returns the new one. */
  /**
   * A peer for the write that {@code failed} on (it went to {@code sentTo} so far). When a write in
   * flight with it already replaced {@code failed} in the episode, that replacement: the writes of
   * one episode whose common peer fails all follow the first one's choice.
   */
  private synchronized String replace(long vdiskId, VDisk vd, int rf, long episode, String failed, List<String> sentTo) {
    List<String> current = new ArrayList<>(vd.episodePeers.getOrDefault(episode, List.of()));
    Set<String> live = new HashSet<>();
    for (Candidate c : cluster.candidates()) live.add(c.nodeId());
    if (!current.contains(failed)) {
      for (String p : current) {
        if (!sentTo.contains(p) && live.contains(p)) return p;
      }
    }
    current.remove(failed);
    current.removeIf(p -> !live.contains(p));
    List<String> added = choose(vdiskId, episode, rf, Set.of(failed), current);
    if (added.isEmpty()) throw new IllegalStateException("no replacement for " + failed);
    List<String> next = new ArrayList<>(current);
    next.addAll(added);
    vd.episodePeers.put(episode, List.copyOf(next));
    return added.get(0);
  }

  /** RF - 1 - existing.size() new peers, in fault domains other than this node's and the existing ones'. */
  private List<String> choose(long vdiskId, long episode, int rf, Set<String> excluded, List<String> existing) {
    List<Candidate> candidates = cluster.candidates();
    List<String> keep = new ArrayList<>();
    keep.add(self);
    keep.addAll(existing);
    Placement.Result r = Placement.place(candidates, rf, vdiskId * 0x9E3779B97F4A7C15L + episode, self, excluded, keep);
    List<String> out = new ArrayList<>();
    for (String n : r.nodeIds()) {
      if (!keep.contains(n)) out.add(n);
    }
    return List.copyOf(out);
  }

  /**
   * The vDisk's controller is leaving this node (hand-off): from now on this node never trims the
   * peers' copies of its records. Its own records are dropped undrained (the next owner takes
   * them over from those copies, and trims them itself), so "nothing undrained here" no longer
   * means "everything is in the extent store". Any thread.
   */
  public void release(long vdiskId) {
    VDisk vd = vdisk(vdiskId);
    vd.released = true;
    vd.owned = false;
  }

  /**
   * The vDisk's OpLog peers by episode as this node chose them (empty when it writes no replicated
   * record of the vDisk); for the operator API. Any thread.
   */
  public Map<Long, List<String>> episodePeers(long vdiskId) {
    VDisk vd = vdisks.get(vdiskId);
    return vd == null ? Map.of() : new TreeMap<>(vd.episodePeers);
  }

  /**
   * The nodes holding one open OpLog episode's copies: this node (the writer) and one peer set the
   * episode's records were sent to. An episode whose peer was replaced has one entry per peer set
   * that still holds untrimmed records (the records acknowledged before the replacement are on
   * the old set only).
   *
   * @param rf copies each record gets (the vDisk's replication factor)
   * @param nodes this node first, then the set's peers
   */
  public record EpisodeCopies(long vdiskId, long episode, int rf, List<String> nodes) {
    public EpisodeCopies {
      nodes = List.copyOf(nodes);
    }
  }

  /**
   * An episode of another writer's vDisk whose records this node's replica log holds (what is left
   * of a dead writer's undrained episodes is only there).
   *
   * @param rf the vDisk's replication factor as this node knows it
   */
  public record HeldEpisode(long vdiskId, long episode, int rf) {}

  /**
   * What this node's OpLog says of where acknowledged, undrained writes are, for the
   * fault-tolerance status.
   *
   * @param open {@link #openEpisodes}
   * @param writing the replicated vDisks this node writes now (owned, not released), drained or
   *     not: what the replica logs still hold of them is this node's to report (or drained, and
   *     about to be trimmed)
   * @param held {@link #heldEpisodes}
   */
  public record OpLogReport(List<EpisodeCopies> open, List<Long> writing, List<HeldEpisode> held) {
    public static final OpLogReport EMPTY = new OpLogReport(List.of(), List.of(), List.of());

    public OpLogReport {
      open = List.copyOf(open);
      writing = List.copyOf(writing);
      held = List.copyOf(held);
    }
  }

  /** {@link OpLogReport} now. Any thread; no I/O. */
  public OpLogReport report() {
    List<Long> writing = new ArrayList<>();
    vdisks.forEach((id, vd) -> {
      if (vd.owned && !vd.released && cluster.replicationFactor(id) > 1) writing.add(id);
    });
    writing.sort(null);
    return new OpLogReport(openEpisodes(), writing, heldEpisodes());
  }

  /**
   * The copy sets of the episodes of every replicated vDisk this node writes (owns, not released)
   * whose OpLog holds undrained bytes: where acknowledged writes not yet in the extent store are,
   * for the fault-tolerance status. Each peer set used since the episode's last trim is one entry.
   * Any thread; no I/O.
   */
  public List<EpisodeCopies> openEpisodes() {
    List<EpisodeCopies> out = new ArrayList<>();
    vdisks.forEach((id, vd) -> {
      int rf = cluster.replicationFactor(id);
      if (rf <= 1 || !vd.owned || vd.released || local.undrainedBytes(id) == 0) return;
      new TreeMap<>(vd.episodeSets).forEach((episode, sets) -> {
        for (PeerSet ps : List.copyOf(sets)) {
          List<String> nodes = new ArrayList<>(ps.peers().size() + 1);
          nodes.add(self);
          nodes.addAll(ps.peers());
          out.add(new EpisodeCopies(id, episode, rf, nodes));
        }
      });
    });
    return out;
  }

  /**
   * The episodes this node's replica log holds records of, for vDisks this node does not write now
   * (a writer's own copies are in its OpLog, reported by {@link #openEpisodes}). Any thread; no I/O.
   */
  public List<HeldEpisode> heldEpisodes() {
    List<HeldEpisode> out = new ArrayList<>();
    replicaLog.heldEpisodes((episode, offset) -> episode == SUPERSEDE_EPISODE ? offset >>> EPISODE_SHIFT : episode)
        .forEach((vdiskId, episodes) -> {
          VDisk vd = vdisks.get(vdiskId);
          if (vd != null && vd.owned && !vd.released) return;
          int rf = cluster.replicationFactor(vdiskId);
          if (rf <= 1) return;
          for (long e : episodes) out.add(new HeldEpisode(vdiskId, e, rf));
        });
    return out;
  }

  // ==== take-over =================================================================================

  /**
   * Makes this node's OpLog hold every live record of the vDisk that other owners replicated, before
   * its controller serves I/O here. Completes when done; fails when the records cannot be fetched
   * from every peer (the caller retries).
   */
  public CompletableFuture<Void> recover(long vdiskId) {
    int rf = cluster.replicationFactor(vdiskId);
    if (rf <= 1) return CompletableFuture.completedFuture(null);
    vdisk(vdiskId).released = false; // the controller is here (again): its writes make it the owner
    List<CompletableFuture<ReplicaPage>> pages = new ArrayList<>();
    List<String> peers = new ArrayList<>();
    for (Candidate c : cluster.candidates()) {
      if (c.nodeId().equals(self)) continue;
      peers.add(c.nodeId());
      pages.add(client.fetchAll(c.nodeId(), vdiskId));
    }
    pages.add(CompletableFuture.supplyAsync(() -> replicaLog.fetch(vdiskId)));
    return CompletableFuture.allOf(pages.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      TreeMap<Long, ReplicaRecord> bySeq = new TreeMap<>();
      for (CompletableFuture<ReplicaPage> p : pages) {
        ReplicaPage page = p.join();
        if (!page.unreadable().isEmpty()) {
          LOG.warn("vDisk {}: {} replicated OpLog record(s) failed their checksum on a peer; another copy serves",
              vdiskId, page.unreadable().size());
        }
        for (ReplicaRecord r : page.records()) bySeq.putIfAbsent(r.writeSeq(), r);
      }
      VDisk vd = vdisk(vdiskId);
      if (!bySeq.isEmpty()) vd.nextSeq.accumulateAndGet(bySeq.lastKey() + 1, Math::max);
      long firstNew = vd.nextSeq.get();
      if (bySeq.isEmpty()) return CompletableFuture.completedFuture(null);
      LOG.info("vDisk {}: taking over {} replicated OpLog record(s) from peers", vdiskId, bySeq.size());
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (ReplicaRecord r : bySeq.values()) {
        chain = chain.thenCompose(x -> {
          if (r.episode() == SUPERSEDE_EPISODE) {
            return supersede(vdiskId, r.offset(), Unpooled.wrappedBuffer(r.data()).readLongLE());
          }
          ByteBuf data = Unpooled.wrappedBuffer(r.data());
          return append(vdiskId, r.offset(), data).whenComplete((y, e) -> data.release());
        });
      }
      return chain.thenCompose(x -> trimEverywhere(vdiskId, peers, firstNew)).thenRun(() -> pruneSets(vd, firstNew));
    });
  }

  private CompletableFuture<Void> trimEverywhere(long vdiskId, List<String> peers, long below) {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    all.add(replicaLog.trim(vdiskId, below));
    for (String p : peers) {
      all.add(client.trim(p, vdiskId, below).exceptionally(err -> {
        LOG.debug("vDisk {}: trim on {} failed: {}", vdiskId, p, err.toString());
        return null;
      }));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  /** Tells peers to drop what this node has drained (see the class comment). */
  private void trimDrained() {
    try {
      for (Map.Entry<Long, VDisk> e : vdisks.entrySet()) {
        long vdiskId = e.getKey();
        VDisk vd = e.getValue();
        if (vd.peersEverUsed.isEmpty() || !vd.owned) continue;
        long below;
        synchronized (vd) {
          below = vd.inFlight.isEmpty() ? vd.nextSeq.get() : vd.inFlight.first();
        }
        // every sequence below 'below' is durable locally; with nothing undrained it is drained too
        // owned is read again after the undrained check: records dropped at a hand-off (undrained 0)
        // are dropped only after release, so this read then sees the release
        if (below <= vd.trimmedBelow || local.undrainedBytes(vdiskId) > 0 || !vd.owned) continue;
        for (String p : vd.peersEverUsed) {
          client.trim(p, vdiskId, below).exceptionally(err -> {
            LOG.debug("vDisk {}: trim on {} failed: {}", vdiskId, p, err.toString());
            return null;
          });
        }
        vd.trimmedBelow = below;
        pruneSets(vd, below);
      }
    } catch (RuntimeException e) {
      LOG.warn("replica trim pass failed", e);
    }
  }

  // ==== the rest is the local OpLog's =============================================================

  @Override
  public boolean hasUndrained(long vdiskId, long offset, long length) {
    return local.hasUndrained(vdiskId, offset, length);
  }

  @Override
  public OpLogCapture capture(long vdiskId, long offset, int length) {
    return local.capture(vdiskId, offset, length);
  }

  @Override
  public long[] undrainedRanges(long vdiskId, long offset, long length, int maxRanges) {
    return local.undrainedRanges(vdiskId, offset, length, maxRanges);
  }

  @Override
  public long undrainedBytes(long vdiskId) {
    return local.undrainedBytes(vdiskId);
  }

  @Override
  public CompletableFuture<Void> discard(long vdiskId) {
    VDisk vd = vdisks.remove(vdiskId);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    all.add(local.discard(vdiskId));
    if (vd != null) {
      for (String p : vd.peersEverUsed) {
        all.add(client.discard(p, vdiskId).exceptionally(err -> null));
      }
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  @Override
  public void startDrainer(DrainSink sink) {
    local.startDrainer(sink);
  }

  @Override
  public CompletableFuture<Void> drainAll() {
    return local.drainAll();
  }

  @Override
  public OpLogStats stats() {
    return local.stats();
  }

  @Override
  public void close() {
    trimmer.shutdownNow();
    local.close();
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
