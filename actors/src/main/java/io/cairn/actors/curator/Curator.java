package io.cairn.actors.curator;

import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.config.CuratorSettings;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.ReplicaSpread;
import io.cairn.datapath.placement.ResilientCapacity;
import io.cairn.datapath.replication.ReplicatedOpLog;
import io.cairn.serialization.CairnSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The Curator: a cluster singleton that finds what needs re-protecting and hands the work to every
 * node's {@link Chronos}.
 *
 * <p><b>Failure tracking.</b> Every second it compares the node directory's members (Up and
 * reachable) with every node it has seen: a node missing for {@code node-failure-delay} counts as
 * failed, and a scan starts at once; a failed node that is a member again no longer counts.
 *
 * <p><b>Scans</b> (every {@code scan-interval}, on a node failure, or on request) are map-reduce:
 * each live node's Chronos maps over its share of the extent groups (a 4-node cluster's scan is a
 * quarter per node) and reports the under-replicated ones; the Curator reduces them to
 * re-replication tasks, most endangered first (fewest surviving copies), spread evenly over
 * every live node's Chronos (a worker becomes the new replica itself when placement allows, else it
 * copies from a survivor to the node placement chooses), so every node takes part in a rebuild. Tasks already handed out and not finished are not handed out again. A new singleton
 * (after its node failed) starts over with a scan: tasks are idempotent.
 *
 * <p><b>Fault-tolerance status.</b> Each map also reports its share's replica spread and its node's
 * OpLog episodes, written and held ({@link SpreadMapped}); the Curator keeps the merged spread of
 * the last <em>complete</em> scan (reduced, every share reported, no live member without an
 * identified Chronos) for {@link GetFaultTolerance}, and says so when a newer scan was not
 * complete; before any scan is complete it answers with the incomplete one, marked so. Every check
 * it compares usage with the resilient capacity ({@link CapacityWatch}, with hysteresis).
 */
public final class Curator extends AbstractBehavior<Curator.Command> {

  /** How often membership is compared with the nodes seen. */
  static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
  /** A map that has not answered within this long is given up (the scan completes without it). */
  static final Duration MAP_TIMEOUT = Duration.ofMinutes(5);
  /** Least time between two rebuild.progress events. */
  static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);
  /** A task handed out and not reported within this long may be handed out again. */
  static final Duration TASK_TIMEOUT = Duration.ofMinutes(10);

  public sealed interface Command extends CairnSerializable {}

  /** An under-replicated egroup found by a map: the nodes still holding it, and how many copies are lost. */
  public record Endangered(long egroupId, List<String> liveNodes, int lostCopies) implements CairnSerializable {}

  /**
   * A map's result. {@code absentHolders}: nodes holding replicas that are not members now, so that
   * a Curator that never saw them (it started after they left) starts counting them missing.
   * {@code orphans}: what the node did with its replicas that no metadata lists.
   */
  public record MapDone(long scanId, String nodeId, int scanned, List<Endangered> found, List<String> absentHolders,
      Chronos.Orphans orphans, String error) implements Command {}

  public record TaskDone(long scanId, long egroupId, String nodeId, long bytes, int replaced, String error)
      implements Command {}

  /** Starts a scan now (or right after the one running). */
  public record StartScan(String reason) implements Command {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * A map's replica spread (fault-tolerance status), sent by its Chronos just before its {@link
   * MapDone}: the spread of share {@code nodeId} of {@code shares}'s extent groups, and that
   * node's OpLog report (open episodes with their copy sets, the vDisks it writes, the episodes of
   * other writers its replica log holds). Accepted also after the scan's reduce.
   */
  public record SpreadMapped(long scanId, int shares, String nodeId, ReplicaSpread data,
      ReplicatedOpLog.OpLogReport oplog) implements Command {}

  public record GetFaultTolerance(ActorRef<FaultToleranceData> replyTo) implements Command {}

  /**
   * What a scan saw of the replicas' spread: the last complete scan's, or before there is one the
   * latest incomplete scan's (its spread is then partial: never a tolerance); {@code scanId} 0: no
   * scan reduced yet.
   *
   * @param completedAtMillis when the scan was reduced (wall clock, ms)
   * @param shares the scan's shares (maps)
   * @param reported shares whose spread came in (fewer: a map failed, timed out or its node left)
   * @param unmapped live members without an identified Chronos when the scan started: their OpLog
   *     episodes and replica logs were not reported
   * @param complete the Curator's verdict: reduced, every share reported and no member unmapped
   * @param note what operators should know besides (a newer scan that was incomplete), or null
   */
  public record FaultToleranceData(long scanId, long completedAtMillis, int shares, int reported, List<String> unmapped,
      boolean complete, ReplicaSpread data, ReplicaSpread oplog, String note) implements CairnSerializable {
    public FaultToleranceData {
      unmapped = List.copyOf(unmapped);
    }

    static final FaultToleranceData NONE = new FaultToleranceData(0, 0, 0, 0, List.of(), false, ReplicaSpread.EMPTY,
        ReplicaSpread.EMPTY, null);

    /** Why the scan is not complete ({@code "1 of 2 shares reported"}), or null when it is. */
    public String incompleteReason() {
      if (complete) return null;
      if (scanId == 0) return "no scan yet";
      String r = reported + " of " + shares + " shares reported";
      return unmapped.isEmpty() ? r : r + "; no Chronos identified on live member(s) " + String.join(", ", unmapped);
    }

    FaultToleranceData withNote(String n) {
      return new FaultToleranceData(scanId, completedAtMillis, shares, reported, unmapped, complete, data, oplog, n);
    }
  }

  /**
   * How the Curator watches usage against the resilient capacity.
   *
   * @param threshold {@code cairn.capacity.resilient-threshold}
   * @param maxReplicationFactor the largest RF of any container (below 1: not known yet)
   */
  public record CapacityWatch(double threshold, IntSupplier maxReplicationFactor) {}

  /**
   * What the Curator knows.
   *
   * @param failedNodes nodes whose replicas count as lost
   * @param missingNodes nodes not Up and reachable, by how long (ms) they have been missing
   * @param scansCompleted scans finished since this singleton started
   * @param scanning whether a scan is running
   * @param lastScanEgroups egroups the last scan looked at, in all
   * @param lastScanByNode egroups each node mapped in the last scan
   * @param underReplicated egroups found under-replicated by the last scan
   * @param pendingTasks re-replications handed out and not finished
   * @param bytesToReprotect bytes of those
   * @param bytesReprotected bytes re-protected since this rebuild began
   * @param rateBytesPerSecond bytes re-protected per second since this rebuild began
   * @param etaSeconds expected seconds to finish (-1 unknown)
   * @param reprotectedBytesByNode bytes each node copied since this singleton started
   * @param failedTasks tasks that failed (retried by the next scan)
   * @param orphansRemoved replicas no metadata listed, deleted by the nodes since this singleton started
   * @param orphansWaiting such replicas the last scan found changed within the grace (deleted by a later scan)
   * @param lostDisks disks of live nodes that are not online ({@code node/disk}): their replicas count as lost
   * @param chronosNodes the members whose Chronos the Curator has identified (the next scan's workers)
   */
  public record Status(List<String> failedNodes, Map<String, Long> missingNodes, long scansCompleted, boolean scanning,
      long lastScanEgroups, Map<String, Integer> lastScanByNode, int underReplicated, int pendingTasks,
      long bytesToReprotect, long bytesReprotected, long rateBytesPerSecond, long etaSeconds,
      Map<String, Long> reprotectedBytesByNode, long failedTasks, long orphansRemoved, int orphansWaiting,
      List<String> lostDisks, List<String> chronosNodes) implements CairnSerializable {}

  private record Check() implements Command {}

  private record ScanTick() implements Command {}

  private record MapTimeout(long scanId) implements Command {}

  private record ChronosListing(Receptionist.Listing listing) implements Command {}

  private record ChronosIdentified(ActorRef<Chronos.Command> ref, Chronos.Stats stats) implements Command {}

  private record ChronosUnanswered(ActorRef<Chronos.Command> ref) implements Command {}

  private record Assigned(String nodeId, long atNs) {}

  private final ActorContext<Command> ctx;
  private final CuratorSettings settings;
  private final Supplier<NodeDirectory.View> view;
  private final long egroupBytes;

  private final Map<String, Long> missingSinceNs = new TreeMap<>();
  private final Set<String> seen = new TreeSet<>();
  private final Set<String> failed = new TreeSet<>();
  /** Disks of members that are not online, and those of them being removed ({@code node/disk}). */
  private Set<String> lostDisks = Set.of();
  private Set<String> drainingDisks = Set.of();
  private final Map<String, ActorRef<Chronos.Command>> chronos = new TreeMap<>();
  /** The receptionist's latest listing of Chronos actors. */
  private Set<ActorRef<Chronos.Command>> latestListing = Set.of();
  /** Chronos actors identified or being asked for their node id. */
  private final Set<ActorRef<Chronos.Command>> listed = new HashSet<>();

  private long scanId;
  private boolean scanning;
  private boolean rescan;
  private final Set<String> mapsPending = new HashSet<>();
  private final List<Endangered> found = new ArrayList<>();
  private final Map<String, Integer> scannedByNode = new TreeMap<>();
  private long scansCompleted;
  private long lastScanEgroups;
  private Map<String, Integer> lastScanByNode = Map.of();
  private int underReplicated;

  private final Map<Long, Assigned> pending = new HashMap<>();
  private long rebuildStartNs;
  private long rebuildBytes;
  /** Whether a rebuild is running (tasks handed out and not all done): its events are published once. */
  private boolean rebuilding;
  private long rebuildFailedAtStart;
  private long lastProgressEventNs;
  private final Map<String, Long> bytesByNode = new TreeMap<>();
  private long failedTasks;
  private long orphansRemoved;
  private int orphansWaiting;
  private int scanOrphansWaiting;

  /**
   * The replica spread of one scan, as its maps report it.
   *
   * @param shares the scan's maps
   * @param unmapped live members without an identified Chronos when the scan started
   * @param reportedBy the nodes whose spread came in
   * @param completedAtMillis when the scan was reduced (0: not yet)
   */
  private record ScanSpread(long scanId, int shares, List<String> unmapped, Set<String> reportedBy, ReplicaSpread data,
      Map<String, ReplicatedOpLog.OpLogReport> oplog, long completedAtMillis) {
    static final ScanSpread NONE = started(0, 0, List.of());

    static ScanSpread started(long scanId, int shares, List<String> unmapped) {
      return new ScanSpread(scanId, shares, List.copyOf(unmapped), Set.of(), ReplicaSpread.EMPTY, Map.of(), 0);
    }

    ScanSpread with(SpreadMapped m) {
      if (reportedBy.contains(m.nodeId())) return this;
      Set<String> by = new TreeSet<>(reportedBy);
      by.add(m.nodeId());
      Map<String, ReplicatedOpLog.OpLogReport> o = new TreeMap<>(oplog);
      o.put(m.nodeId(), m.oplog());
      return new ScanSpread(scanId, shares, unmapped, Set.copyOf(by), data.merge(m.data()), Map.copyOf(o), completedAtMillis);
    }

    ScanSpread reduced(long atMillis) {
      return new ScanSpread(scanId, shares, unmapped, reportedBy, data, oplog, atMillis);
    }

    /** The one definition of a complete scan: reduced, every share reported, no live member unmapped. */
    boolean complete() {
      return completedAtMillis != 0 && shares > 0 && reportedBy.size() >= shares && unmapped.isEmpty();
    }

    /** Frozen for {@link GetFaultTolerance}: the OpLog episodes' spread over the members seen now. */
    FaultToleranceData toData(NodeDirectory.View view) {
      return new FaultToleranceData(scanId, completedAtMillis, shares, reportedBy.size(), unmapped, complete(), data,
          ReplicaSpreads.ofEpisodes(oplog, view), null);
    }
  }

  private final CapacityWatch capacityWatch;
  /** Spread of the latest scan started (its maps' reports may still come in after the reduce). */
  private ScanSpread spreadRunning = ScanSpread.NONE;
  /** The last complete scan's (null: none yet). A scan that is not complete never replaces it. */
  private FaultToleranceData spreadDone;
  /** The latest reduced scan's when it is not complete and newer than {@link #spreadDone} (else null). */
  private FaultToleranceData spreadIncomplete;
  /** Whether usage is over the threshold of the resilient capacity (with hysteresis, see {@link #watchCapacity}). */
  private boolean capacityOver;

  /** Percentage points below the threshold usage must fall to before an over-threshold state clears. */
  static final double CAPACITY_HYSTERESIS = 0.05;

  public static Behavior<Command> create(CuratorSettings settings, Supplier<NodeDirectory.View> view, long egroupBytes) {
    return create(settings, view, egroupBytes, null);
  }

  /** @param capacityWatch how to watch usage against the resilient capacity (null: not watched) */
  public static Behavior<Command> create(CuratorSettings settings, Supplier<NodeDirectory.View> view, long egroupBytes,
      CapacityWatch capacityWatch) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Curator(ctx, timers, settings, view, egroupBytes,
        capacityWatch)));
  }

  private Curator(ActorContext<Command> ctx, TimerScheduler<Command> timers, CuratorSettings settings,
      Supplier<NodeDirectory.View> view, long egroupBytes, CapacityWatch capacityWatch) {
    super(ctx);
    this.capacityWatch = capacityWatch;
    this.ctx = ctx;
    this.settings = settings;
    this.view = view;
    this.egroupBytes = egroupBytes;
    timers.startTimerWithFixedDelay(new Check(), CHECK_INTERVAL);
    timers.startTimerWithFixedDelay(new ScanTick(), settings.scanInterval());
    ActorRef<Receptionist.Listing> adapter = ctx.messageAdapter(Receptionist.Listing.class, ChronosListing::new);
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(Chronos.SERVICE_KEY, adapter));
    ctx.getLog().info("Curator started (scan every {}, a node missing for {} counts as failed)",
        settings.scanInterval(), settings.nodeFailureDelay());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Check.class, m -> onCheck())
        .onMessage(ScanTick.class, m -> requestScan("scheduled"))
        .onMessage(StartScan.class, m -> requestScan(m.reason()))
        .onMessage(ChronosListing.class, this::onListing)
        .onMessage(ChronosIdentified.class, m -> {
          if (members().contains(m.stats().nodeId())) {
            chronos.put(m.stats().nodeId(), m.ref());
          } else {
            listed.remove(m.ref());
          }
          return this;
        })
        .onMessage(ChronosUnanswered.class, m -> {
          listed.remove(m.ref()); // asked again at the next check
          return this;
        })
        .onMessage(MapDone.class, this::onMapDone)
        .onMessage(MapTimeout.class, m -> {
          if (scanning && m.scanId() == scanId && !mapsPending.isEmpty()) {
            ctx.getLog().warn("scan {}: no answer from {} within {}; reducing without them", scanId, mapsPending, MAP_TIMEOUT);
            mapsPending.clear();
            reduce();
          }
          return this;
        })
        .onMessage(TaskDone.class, this::onTaskDone)
        .onMessage(GetStatus.class, m -> {
          m.replyTo().tell(status());
          return this;
        })
        .onMessage(SpreadMapped.class, this::onSpreadMapped)
        .onMessage(GetFaultTolerance.class, m -> {
          m.replyTo().tell(faultToleranceData());
          return this;
        })
        .build();
  }

  private Set<String> members() {
    Set<String> ids = new TreeSet<>();
    for (NodeInfo n : view.get().members()) ids.add(n.nodeId());
    return ids;
  }

  private Behavior<Command> onCheck() {
    long now = System.nanoTime();
    Set<String> members = members();
    seen.addAll(members);
    seen.addAll(view.get().published().keySet());
    boolean newlyFailed = false;
    for (String n : seen) {
      if (members.contains(n)) {
        missingSinceNs.remove(n);
        if (failed.remove(n)) ctx.getLog().info("node {} is back: its replicas no longer count as lost", n);
        continue;
      }
      long since = missingSinceNs.computeIfAbsent(n, k -> now);
      if (now - since >= settings.nodeFailureDelay().toNanos() && failed.add(n)) {
        ctx.getLog().warn("node {} missing for {} s: treated as failed, its replicas are re-protected", n,
            Duration.ofNanos(now - since).toSeconds());
        newlyFailed = true;
      }
    }
    chronos.entrySet().removeIf(e -> {
      if (members.contains(e.getKey())) return false;
      listed.remove(e.getValue()); // identified again once it is a member
      return true;
    });
    identifyChronos();
    newlyFailed |= updateLostDisks();
    if (scanning && mapsPending.removeIf(n -> !members.contains(n))) {
      // A node that left mid-map never answers: reduce what the others mapped now, and scan
      // again over the remaining nodes so its share is covered.
      ctx.getLog().warn("scan {}: a mapping node left the cluster; reducing without it and scanning again", scanId);
      rescan = true;
      if (mapsPending.isEmpty()) reduce();
    }
    watchCapacity();
    return newlyFailed ? requestScan("a node or disk failed") : this;
  }

  /**
   * Reads the disks' states from the members' directory entries; true when a disk is newly lost
   * (offline, held, being removed or removed). A disk that is back online no longer counts.
   */
  private boolean updateLostDisks() {
    Set<String> lost = new TreeSet<>();
    Set<String> draining = new TreeSet<>();
    for (NodeInfo n : view.get().members()) {
      for (NodeInfo.Disk d : n.disks()) {
        if (d.online()) continue;
        String key = Chronos.diskKey(n.nodeId(), d.id());
        lost.add(key);
        if ("removing".equals(d.state())) draining.add(key);
      }
    }
    boolean newly = !lostDisks.containsAll(lost);
    if (newly) ctx.getLog().warn("disks not online: {} (being removed: {}); their replicas are re-protected", lost, draining);
    lostDisks = lost;
    drainingDisks = draining;
    return newly;
  }

  private Behavior<Command> onListing(ChronosListing l) {
    latestListing = Set.copyOf(l.listing().getServiceInstances(Chronos.SERVICE_KEY));
    listed.retainAll(latestListing);
    chronos.values().removeIf(r -> !latestListing.contains(r));
    identifyChronos();
    return this;
  }

  /** Asks each listed Chronos not yet identified for its node id (again after a failed ask, at the next check). */
  private void identifyChronos() {
    for (ActorRef<Chronos.Command> r : latestListing) {
      if (!listed.add(r)) continue;
      ctx.ask(Chronos.Stats.class, r, Duration.ofSeconds(10), Chronos.GetStats::new,
          (stats, err) -> stats != null ? new ChronosIdentified(r, stats) : new ChronosUnanswered(r));
    }
  }

  private Behavior<Command> requestScan(String reason) {
    if (scanning) {
      rescan = true;
      return this;
    }
    Set<String> members = members();
    List<String> workers = chronos.keySet().stream().filter(members::contains).sorted().toList();
    if (workers.isEmpty()) return this;
    scanId++;
    scanning = true;
    mapsPending.clear();
    mapsPending.addAll(workers);
    found.clear();
    scannedByNode.clear();
    scanOrphansWaiting = 0;
    List<String> failedNow = List.copyOf(failed);
    spreadRunning = ScanSpread.started(scanId, workers.size(), members.stream().filter(n -> !chronos.containsKey(n)).toList());
    ctx.getLog().info("scan {} ({}): {} nodes map {} share(s){}", scanId, reason, workers.size(), workers.size(),
        failedNow.isEmpty() ? "" : ", failed nodes " + failedNow);
    for (int i = 0; i < workers.size(); i++) {
      chronos.get(workers.get(i)).tell(new Chronos.MapScan(scanId, i, workers.size(), failedNow, List.copyOf(lostDisks),
          List.copyOf(drainingDisks), ctx.getSelf()));
    }
    ctx.scheduleOnce(MAP_TIMEOUT, ctx.getSelf(), new MapTimeout(scanId));
    return this;
  }

  private Behavior<Command> onMapDone(MapDone m) {
    if (!scanning || m.scanId() != scanId || !mapsPending.remove(m.nodeId())) return this;
    scannedByNode.put(m.nodeId(), m.scanned());
    found.addAll(m.found());
    seen.addAll(m.absentHolders());
    orphansRemoved += m.orphans().removed();
    scanOrphansWaiting += m.orphans().waiting();
    if (m.orphans().removed() > 0) {
      ctx.getLog().info("scan {}: node {} deleted {} replica(s) no metadata lists", scanId, m.nodeId(), m.orphans().removed());
    }
    if (m.error() != null) ctx.getLog().warn("scan {}: the map of {} failed: {}", scanId, m.nodeId(), m.error());
    if (mapsPending.isEmpty()) reduce();
    return this;
  }

  /** All maps are in: hand out the tasks, most endangered first, evenly over surviving holders. */
  private void reduce() {
    onScanReduced();
    scanning = false;
    scansCompleted++;
    lastScanByNode = Map.copyOf(scannedByNode);
    lastScanEgroups = scannedByNode.values().stream().mapToLong(Integer::longValue).sum();
    underReplicated = found.size();
    orphansWaiting = scanOrphansWaiting;
    long now = System.nanoTime();
    pending.values().removeIf(a -> now - a.atNs() > TASK_TIMEOUT.toNanos() || !chronos.containsKey(a.nodeId()));
    List<Endangered> tasks = new ArrayList<>(found);
    tasks.sort(Comparator.comparingInt((Endangered e) -> e.liveNodes().size()).thenComparingLong(Endangered::egroupId));
    Map<String, Integer> load = new HashMap<>();
    for (Assigned a : pending.values()) load.merge(a.nodeId(), 1, Integer::sum);
    int handedOut = 0;
    int unrecoverable = 0;
    for (Endangered e : tasks) {
      if (pending.containsKey(e.egroupId())) continue;
      if (e.liveNodes().stream().noneMatch(chronos::containsKey)) {
        unrecoverable++;
        continue;
      }
      String worker = chronos.keySet().stream()
          .min(Comparator.comparingInt((String n) -> load.getOrDefault(n, 0)).thenComparing(n -> n)).orElseThrow();
      if (pending.isEmpty() && handedOut == 0) {
        rebuildStartNs = now;
        rebuildBytes = 0;
      }
      load.merge(worker, 1, Integer::sum);
      pending.put(e.egroupId(), new Assigned(worker, now));
      chronos.get(worker).tell(new Chronos.ReReplicate(scanId, e.egroupId(), e.liveNodes().size(), List.copyOf(failed),
          List.copyOf(lostDisks), List.copyOf(drainingDisks), ctx.getSelf()));
      handedOut++;
    }
    if (handedOut > 0 && !rebuilding) {
      rebuilding = true;
      rebuildFailedAtStart = failedTasks;
      lastProgressEventNs = now;
      publish(ClusterEvent.REBUILD_STARTED, ClusterEvent.Severity.WARNING, "rebuild started: " + pending.size()
          + " extent group(s) to re-protect" + (failed.isEmpty() ? "" : ", failed nodes " + failed)
          + (lostDisks.isEmpty() ? "" : ", disks not online " + lostDisks), Map.of("tasks", pending.size(),
          "bytesToReprotect", (long) pending.size() * egroupBytes, "failedNodes", String.join(",", failed),
          "lostDisks", String.join(",", lostDisks), "scan", scanId));
    }
    ctx.getLog().info("scan {} done: {} egroups mapped {}, {} under-replicated, {} task(s) handed out {}{}", scanId,
        lastScanEgroups, lastScanByNode, underReplicated, handedOut, load,
        unrecoverable == 0 ? "" : ", " + unrecoverable + " with no surviving copy on a live node");
    if (rescan) {
      rescan = false;
      requestScan("requested during the previous scan");
    }
  }

  // ---- fault-tolerance status ------------------------------------------------------------------

  private Behavior<Command> onSpreadMapped(SpreadMapped m) {
    if (m.scanId() != scanId || spreadRunning.scanId() != scanId) return this; // an older scan's
    spreadRunning = spreadRunning.with(m);
    if (spreadRunning.completedAtMillis() != 0) settleSpread(); // a report that came in after the reduce
    return this;
  }

  /** The scan is reduced: its spread replaces the last complete one if it is complete. */
  private void onScanReduced() {
    if (spreadRunning.scanId() != scanId) return;
    spreadRunning = spreadRunning.reduced(System.currentTimeMillis());
    settleSpread();
  }

  private void settleSpread() {
    FaultToleranceData d = spreadRunning.toData(view.get());
    if (d.complete()) {
      spreadDone = d;
      spreadIncomplete = null;
    } else {
      spreadIncomplete = d;
    }
  }

  /** The last complete scan's spread (noting a newer incomplete one), else the latest incomplete one's. */
  private FaultToleranceData faultToleranceData() {
    if (spreadDone == null) return spreadIncomplete != null ? spreadIncomplete : FaultToleranceData.NONE;
    if (spreadIncomplete == null) return spreadDone;
    return spreadDone.withNote("scan " + spreadIncomplete.scanId() + " was incomplete (" + spreadIncomplete.incompleteReason()
        + "); scan " + spreadDone.scanId() + " is the last complete one");
  }

  /**
   * Usage against the resilient capacity at the level placement keeps replicas apart at now (every
   * check); a crossing of the threshold upwards is {@link #onCapacityOverThreshold}.
   */
  private void watchCapacity() {
    if (capacityWatch == null) return;
    int rf = capacityWatch.maxReplicationFactor().getAsInt();
    List<NodeInfo> members = view.get().members();
    if (rf < 1 || members.isEmpty()) return;
    List<Candidate> live = members.stream().map(NodeInfo::asCandidate).toList();
    ResilientCapacity.Level level = ResilientCapacity.compute(live, rf, capacityWatch.threshold()).headline();
    boolean over = capacityOver ? stillOver(level, capacityWatch.threshold()) : level.overThreshold();
    if (over && !capacityOver) {
      onCapacityOverThreshold(level);
    } else if (!over && capacityOver) {
      ctx.getLog().info("capacity back under the threshold: {} used of {} resilient ({} level)", level.usedBytes(),
          level.resilientBytes(), level.level());
    }
    capacityOver = over;
  }

  /**
   * Hysteresis: once over, usage stays over until it is below the threshold minus {@link
   * #CAPACITY_HYSTERESIS} (so usage hovering at the threshold does not flap).
   */
  static boolean stillOver(ResilientCapacity.Level level, double threshold) {
    if (!level.planned() || level.usedBytes() == 0) return false;
    return level.usedBytes() >= Math.max(0, threshold - CAPACITY_HYSTERESIS) * level.resilientBytes();
  }

  /**
   * EVENT CALL SITE "capacity over threshold": called once each time usage goes from at most
   * {@code cairn.capacity.resilient-threshold} of the resilient capacity to above it (and at the
   * first check of a new Curator singleton that finds it above). The cluster event stream
   * ({@code ClusterEvents}) publishes the event here; until it exists, a WARN.
   */
  private void onCapacityOverThreshold(ResilientCapacity.Level level) {
    ctx.getLog().warn("capacity over threshold: {} bytes used of {} bytes resilient capacity ({} level, {} failure(s) "
        + "planned for; threshold {}): {}", level.usedBytes(), level.resilientBytes(), level.level(), level.failures(),
        level.threshold(), level.reason());
    publish(ClusterEvent.CAPACITY_OVER_THRESHOLD, ClusterEvent.Severity.WARNING, "usage above the resilient-capacity "
        + "threshold: " + level.usedBytes() + " bytes used of " + level.resilientBytes() + " bytes of resilient capacity (" + level.level().label()
        + " level, threshold " + Math.round(level.threshold() * 100) + "%)", Map.of("usedBytes", level.usedBytes(),
        "resilientBytes", level.resilientBytes(), "level", level.level().label(), "threshold", level.threshold()));
  }

  private Behavior<Command> onTaskDone(TaskDone d) {
    Assigned a = pending.get(d.egroupId());
    if (a != null && a.nodeId().equals(d.nodeId())) pending.remove(d.egroupId());
    if (d.bytes() > 0) {
      rebuildBytes += d.bytes();
      bytesByNode.merge(d.nodeId(), d.bytes(), Long::sum);
    }
    if (d.error() != null) failedTasks++;
    if (!rebuilding) return this;
    long now = System.nanoTime();
    long seconds = Duration.ofNanos(now - rebuildStartNs).toSeconds();
    if (pending.isEmpty()) {
      rebuilding = false;
      long failedNow = failedTasks - rebuildFailedAtStart;
      ctx.getLog().info("rebuild finished: {} bytes re-protected in {} s, by node {}", rebuildBytes, seconds, bytesByNode);
      publish(ClusterEvent.REBUILD_FINISHED, failedNow == 0 ? ClusterEvent.Severity.INFO : ClusterEvent.Severity.WARNING,
          "rebuild finished: " + rebuildBytes + " bytes re-protected in " + seconds + " s"
              + (failedNow == 0 ? "" : ", " + failedNow + " task(s) failed (a later scan retries them)"),
          Map.of("bytesReprotected", rebuildBytes, "seconds", seconds, "failedTasks", failedNow,
              "bytesByNode", bytesByNode.toString()));
    } else if (now - lastProgressEventNs >= PROGRESS_EVERY.toNanos()) {
      lastProgressEventNs = now;
      Status st = status();
      publish(ClusterEvent.REBUILD_PROGRESS, ClusterEvent.Severity.INFO, "rebuild: " + st.bytesReprotected() + " bytes done, "
          + st.bytesToReprotect() + " to go" + (st.etaSeconds() >= 0 ? ", ETA " + st.etaSeconds() + " s" : ""),
          Map.of("bytesReprotected", st.bytesReprotected(), "bytesToReprotect", st.bytesToReprotect(),
              "rateBytesPerSecond", st.rateBytesPerSecond(), "etaSeconds", st.etaSeconds(), "pendingTasks", st.pendingTasks()));
    }
    return this;
  }

  private void publish(String kind, ClusterEvent.Severity severity, String message, Map<String, ?> details) {
    ClusterEvents.get(ctx.getSystem()).publish(ClusterEvent.of(kind, severity, message, details));
  }

  private Status status() {
    long now = System.nanoTime();
    Map<String, Long> missing = new LinkedHashMap<>();
    missingSinceNs.forEach((n, since) -> missing.put(n, Duration.ofNanos(now - since).toMillis()));
    long toDo = (long) pending.size() * egroupBytes;
    double secs = rebuildStartNs == 0 ? 0 : (now - rebuildStartNs) / 1e9;
    long rate = secs > 0 ? (long) (rebuildBytes / secs) : 0;
    long eta = toDo == 0 ? 0 : rate > 0 ? toDo / rate : -1;
    return new Status(List.copyOf(failed), missing, scansCompleted, scanning, lastScanEgroups, lastScanByNode,
        underReplicated, pending.size(), toDo, rebuildBytes, rate, eta, Map.copyOf(bytesByNode), failedTasks,
        orphansRemoved, orphansWaiting, List.copyOf(lostDisks), List.copyOf(new TreeSet<>(chronos.keySet())));
  }
}
