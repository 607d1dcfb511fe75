package io.cairn.actors.curator;

import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.egroup.Replica;
import io.cairn.actors.node.DirectoryReplicaPlacer;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.config.CuratorSettings;
import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.datapath.extentstore.ExtentStoreFormat;
import io.cairn.datapath.extentstore.replicated.ReplicaLocation;
import io.cairn.datapath.extentstore.replicated.ReplicatedExtentStore;
import io.cairn.datapath.replication.ReplicatedOpLog;
import io.cairn.serialization.CairnSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A node's Chronos: runs the background work the Curator hands out, on this node, behind
 * front-end I/O.
 *
 * <ul>
 *   <li><b>Map</b> ({@link MapScan}): this node's share of a Curator scan. It lists the extent groups
 *       from the journal (their persistence ids), keeps those whose id falls in its share ({@code id
 *       mod count == index}), asks each ExtentGroup entity where its replicas are, and reports the
 *       egroups with a replica on a failed node (under-replicated) with the nodes that still hold
 *       one. It also looks at every replica on this node's own disks: one that no egroup's metadata
 *       lists (the egroup was re-protected elsewhere while this node was away, or deleted then) is
 *       an orphan, deleted once nothing has created, written or opened it for {@code orphan-grace}
 *       (longer than any copy takes to be committed, so a replica being added is never taken for
 *       one; the check and the delete are atomic with the egroup's writes). Ahead of its result the
 *       map reports the share's replica spread ({@link Curator.SpreadMapped}: a few numbers per
 *       domain level), this node's open OpLog episodes with their copy sets and the episodes of
 *       other writers its replica log holds, for the fault-tolerance status.
 *   <li><b>Re-replication</b> ({@link ReReplicate}): queued by urgency (fewest surviving copies
 *       first), at most {@code max-concurrent-tasks} at once, copies started no faster than {@code
 *       max-copy-rate}. One task replaces each lost replica of its egroup: placement chooses a new
 *       node (keeping the survivors and their domains; this node when it qualifies); the owner
 *       vDisk's controller fences the egroup's writes on its node; this node copies the egroup from
 *       a surviving replica (its own when it holds one) onto the new node; the controller records the replacement in the
 *       egroup's metadata and releases the fence. A lost fence (the controller moved) or a failed
 *       copy commits nothing, deletes the partial copy and reports the task failed; the next scan
 *       tries again. Every step is idempotent.
 * </ul>
 */
public final class Chronos extends AbstractBehavior<Chronos.Command> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Chronos.class);

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "cairn-chronos");

  /** Ask timeout of fences and commits (a fence waits for the egroup's writes in flight). */
  static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);
  /** Egroup metadata questions in flight during a map. */
  static final int MAP_PARALLELISM = 8;

  public sealed interface Command extends CairnSerializable {}

  /**
   * Map this node's share ({@code index} of {@code count}) of scan {@code scanId}: replicas on
   * {@code failedNodes} or on {@code lostDisks} ({@code node/disk}: disks not online) count as lost.
   * The replicas on {@code drainingDisks} (disks being removed, a subset of the lost ones) are lost
   * too but still readable: a copy may come from them when no other replica survives.
   */
  public record MapScan(long scanId, int index, int count, List<String> failedNodes, List<String> lostDisks,
      List<String> drainingDisks, ActorRef<Curator.Command> replyTo) implements Command {}

  /** Re-protect {@code egroupId}, which had {@code liveCopies} surviving copies at the scan; losses as in {@link MapScan}. */
  public record ReReplicate(long scanId, long egroupId, int liveCopies, List<String> failedNodes, List<String> lostDisks,
      List<String> drainingDisks, ActorRef<Curator.Command> replyTo) implements Command {}

  /** The key of a replica's disk in {@code lostDisks}: {@code node/disk}. */
  public static String diskKey(String nodeId, String diskId) {
    return nodeId + "/" + diskId;
  }

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * @param copiedBytes bytes this node copied onto new replicas
   * @param tasksDone re-replications finished here (a replica replaced, or nothing left to do)
   * @param tasksFailed re-replications that failed here (retried by a later scan)
   */
  public record Stats(String nodeId, long copiedBytes, long tasksDone, long tasksFailed, int running, int queued)
      implements CairnSerializable {}

  private record MapFinished(MapScan scan, int scanned, List<Curator.Endangered> found, List<String> absentHolders,
      Orphans orphans, Throwable failure) implements Command {}

  /**
   * What a map did with this node's unreferenced replicas.
   *
   * @param removed orphans deleted
   * @param waiting orphans found that were changed within {@code orphan-grace} (deleted by a later scan)
   */
  public record Orphans(int removed, int waiting) implements CairnSerializable {
    static final Orphans NONE = new Orphans(0, 0);
  }

  private record TaskFinished(ReReplicate task, long bytes, int replaced, Throwable failure) implements Command {}

  private record StartNext() implements Command {}

  private final ActorContext<Command> ctx;
  private final String nodeId;
  private final CuratorSettings settings;
  private final ReplicatedExtentStore store;
  private final DirectoryReplicaPlacer placer;
  private final Supplier<NodeDirectory.View> view;
  private final long egroupBytes;
  private final String readJournal;
  private final ClusterSharding sharding;
  /** This node's open OpLog episodes, reported with each map for the fault-tolerance status. */
  private final Supplier<ReplicatedOpLog.OpLogReport> oplog;
  private final PriorityQueue<ReReplicate> queue = new PriorityQueue<>(
      Comparator.comparingInt(ReReplicate::liveCopies).thenComparingLong(ReReplicate::egroupId));
  private final Set<Long> queuedOrRunning = new HashSet<>();
  private int running;
  private long copiedBytes;
  private long tasksDone;
  private long tasksFailed;
  /** When the next copy may start (the copy rate limit), System.nanoTime. */
  private long nextCopyNs = System.nanoTime();
  private boolean nextScheduled;

  /**
   * @param readJournal plugin id of the read journal that lists persistence ids (the node's
   *     {@code jdbc-read-journal})
   */
  public static Behavior<Command> create(String nodeId, CuratorSettings settings, ReplicatedExtentStore store,
      DirectoryReplicaPlacer placer, Supplier<NodeDirectory.View> view, long egroupBytes, String readJournal) {
    return create(nodeId, settings, store, placer, view, egroupBytes, readJournal, () -> ReplicatedOpLog.OpLogReport.EMPTY);
  }

  /**
   * @param oplog this node's OpLog episodes, written and held ({@link ReplicatedOpLog#report}),
   *     reported with each map
   */
  public static Behavior<Command> create(String nodeId, CuratorSettings settings, ReplicatedExtentStore store,
      DirectoryReplicaPlacer placer, Supplier<NodeDirectory.View> view, long egroupBytes, String readJournal,
      Supplier<ReplicatedOpLog.OpLogReport> oplog) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      return new Chronos(ctx, nodeId, settings, store, placer, view, egroupBytes, readJournal, oplog);
    });
  }

  private Chronos(ActorContext<Command> ctx, String nodeId, CuratorSettings settings, ReplicatedExtentStore store,
      DirectoryReplicaPlacer placer, Supplier<NodeDirectory.View> view, long egroupBytes, String readJournal,
      Supplier<ReplicatedOpLog.OpLogReport> oplog) {
    super(ctx);
    this.ctx = ctx;
    this.nodeId = nodeId;
    this.settings = settings;
    this.store = store;
    this.placer = placer;
    this.view = view;
    this.egroupBytes = egroupBytes;
    this.readJournal = readJournal;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.oplog = oplog;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MapScan.class, this::onMapScan)
        .onMessage(MapFinished.class, this::onMapFinished)
        .onMessage(ReReplicate.class, this::onReReplicate)
        .onMessage(StartNext.class, m -> {
          nextScheduled = false;
          startQueued();
          return this;
        })
        .onMessage(TaskFinished.class, this::onTaskFinished)
        .onMessage(GetStats.class, m -> {
          m.replyTo().tell(new Stats(nodeId, copiedBytes, tasksDone, tasksFailed, running, queue.size()));
          return this;
        })
        .build();
  }

  // ---- map ---------------------------------------------------------------------------------------

  private Behavior<Command> onMapScan(MapScan m) {
    Set<String> failed = Set.copyOf(m.failedNodes());
    Set<String> lostDisks = Set.copyOf(m.lostDisks());
    String prefix = ExtentGroup.ENTITY_TYPE_KEY.name() + "|";
    CurrentPersistenceIdsQuery journal = PersistenceQuery.get(ctx.getSystem())
        .getReadJournalFor(CurrentPersistenceIdsQuery.class, readJournal);
    Source<String, NotUsed> ids = journal.currentPersistenceIds();
    CompletionStage<List<ExtentGroup.Info>> infos = ids
        .filter(id -> id.startsWith(prefix))
        .map(id -> Long.parseLong(id.substring(prefix.length())))
        .filter(id -> Math.floorMod(id, m.count()) == m.index())
        .mapAsyncUnordered(MAP_PARALLELISM, this::info)
        .runWith(Sink.seq(), ctx.getSystem());
    infos.thenCombine(sweepOrphans(), (list, orphans) -> {
      Set<String> members = new HashSet<>();
      for (var n : view.get().members()) members.add(n.nodeId());
      Set<String> absent = new java.util.TreeSet<>();
      List<Curator.Endangered> found = new ArrayList<>();
      for (ExtentGroup.Info i : list) {
        if (!i.exists() || i.ownerVdisk() == 0) continue; // deleted, or nothing live to protect
        List<String> live = new ArrayList<>();
        int lost = 0;
        for (Replica r : i.replicas()) {
          if (!members.contains(r.nodeId())) absent.add(r.nodeId());
          if (failed.contains(r.nodeId()) || lostDisks.contains(diskKey(r.nodeId(), r.diskId()))) lost++;
          else live.add(r.nodeId());
        }
        if (lost > 0) found.add(new Curator.Endangered(i.egroupId(), live, lost));
      }
      // The share's replica spread (fault-tolerance status), ahead of the map's result.
      m.replyTo().tell(new Curator.SpreadMapped(m.scanId(), m.count(), nodeId, ReplicaSpreads.ofEgroups(list, view.get()),
          oplog.get()));
      return new MapFinished(m, list.size(), found, List.copyOf(absent), orphans, null);
    }).whenComplete((done, err) -> ctx.getSelf().tell(err == null ? done
        : new MapFinished(m, 0, List.of(), List.of(), Orphans.NONE, err)));
    return this;
  }

  /**
   * Deletes the replicas on this node's disks that no egroup metadata lists, once they have been
   * left alone for {@code orphan-grace}. The metadata is asked before the delete, and the delete
   * refuses a replica changed within the grace: a copy being added here is written within a fence
   * lease of its commit, and the grace is at least two leases, so its commit (or abandonment) is
   * always visible to the question.
   */
  private CompletionStage<Orphans> sweepOrphans() {
    int[] counts = new int[2];
    return Source.from(store.egroupIds())
        .mapAsyncUnordered(MAP_PARALLELISM, id -> info(id).thenCompose(i -> {
          boolean listed = i.exists() && i.replicas().stream().anyMatch(r -> r.nodeId().equals(nodeId));
          if (listed) return CompletableFuture.completedFuture(0);
          return store.deleteIfIdle(id, settings.orphanGrace()).thenApply(deleted -> {
            if (deleted) {
              LOG.info("egroup {}: this node's replica is not in its metadata ({}); deleted", ExtentStoreFormat.hex(id),
                  i.exists() ? "replicas " + i.replicas() : "no such egroup");
            }
            return deleted ? 1 : 2;
          });
        }).exceptionally(e -> {
          // One replica that cannot be asked about or deleted now waits for the next scan.
          LOG.warn("egroup {}: orphan check failed: {}", ExtentStoreFormat.hex(id), describe(e));
          return 2;
        }))
        .runForeach(r -> {
          if (r > 0) counts[r - 1]++;
        }, ctx.getSystem())
        .thenApply(d -> new Orphans(counts[0], counts[1]));
  }

  private CompletionStage<ExtentGroup.Info> info(long egroupId) {
    return sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(egroupId))
        .ask(ExtentGroup.Get::new, STEP_TIMEOUT);
  }

  private Behavior<Command> onMapFinished(MapFinished f) {
    if (f.orphans().removed() > 0) {
      ClusterEvents.get(ctx.getSystem()).publish(ClusterEvent.of(ClusterEvent.OVER_REPLICATION_REMOVED,
          ClusterEvent.Severity.INFO, nodeId + " deleted " + f.orphans().removed()
              + " replica(s) no extent group metadata lists (re-protected elsewhere while it was away, or deleted)",
          java.util.Map.of("replicas", f.orphans().removed(), "waiting", f.orphans().waiting(), "scan", f.scan().scanId())));
    }
    if (f.failure() != null) {
      ctx.getLog().warn("scan {}: mapping share {}/{} failed: {}", f.scan().scanId(), f.scan().index(), f.scan().count(),
          f.failure().toString());
    }
    f.scan().replyTo().tell(new Curator.MapDone(f.scan().scanId(), nodeId, f.scanned(), f.found(), f.absentHolders(),
        f.orphans(), f.failure() == null ? null : f.failure().toString()));
    return this;
  }

  // ---- re-replication ------------------------------------------------------------------------------

  private Behavior<Command> onReReplicate(ReReplicate t) {
    if (!queuedOrRunning.add(t.egroupId())) return this; // already here (a repeated scan)
    queue.add(t);
    startQueued();
    return this;
  }

  private void startQueued() {
    while (running < settings.maxConcurrentTasks() && !queue.isEmpty()) {
      long now = System.nanoTime();
      if (now < nextCopyNs) {
        if (!nextScheduled) {
          nextScheduled = true;
          ctx.scheduleOnce(Duration.ofNanos(nextCopyNs - now), ctx.getSelf(), new StartNext());
        }
        return;
      }
      nextCopyNs = Math.max(now, nextCopyNs) + egroupBytes * 1_000_000_000L / settings.maxCopyBytesPerSecond();
      ReReplicate t = queue.poll();
      running++;
      reReplicate(t).whenComplete((r, err) -> ctx.getSelf().tell(err == null
          ? new TaskFinished(t, r[0], (int) r[1], null) : new TaskFinished(t, 0, 0, err)));
    }
  }

  private Behavior<Command> onTaskFinished(TaskFinished f) {
    running--;
    queuedOrRunning.remove(f.task().egroupId());
    copiedBytes += f.bytes();
    String eg = ExtentStoreFormat.hex(f.task().egroupId());
    if (f.failure() == null) {
      tasksDone++;
      if (f.replaced() > 0) ctx.getLog().info("egroup {}: {} replica(s) re-protected ({} bytes copied)", eg, f.replaced(), f.bytes());
    } else {
      tasksFailed++;
      ctx.getLog().warn("egroup {}: re-replication failed: {}", eg, describe(f.failure()));
    }
    f.task().replyTo().tell(new Curator.TaskDone(f.task().scanId(), f.task().egroupId(), nodeId, f.bytes(),
        f.replaced(), f.failure() == null ? null : describe(f.failure())));
    startQueued();
    return this;
  }

  /** Replaces every lost replica of the egroup, one after another; completes with {bytes copied, replicas replaced}. */
  private CompletableFuture<long[]> reReplicate(ReReplicate t) {
    return info(t.egroupId()).toCompletableFuture().thenCompose(i -> replaceNext(t, i, new long[2]));
  }

  private CompletableFuture<long[]> replaceNext(ReReplicate t, ExtentGroup.Info info, long[] done) {
    if (!info.exists() || info.ownerVdisk() == 0) return CompletableFuture.completedFuture(done);
    Set<String> members = new HashSet<>();
    for (var n : view.get().members()) members.add(n.nodeId());
    Set<String> failed = Set.copyOf(t.failedNodes());
    Set<String> lostDisks = Set.copyOf(t.lostDisks());
    Set<String> draining = Set.copyOf(t.drainingDisks());
    java.util.function.Predicate<Replica> isLost = r -> failed.contains(r.nodeId())
        || lostDisks.contains(diskKey(r.nodeId(), r.diskId()));
    Optional<Replica> lost = info.replicas().stream().filter(isLost).findFirst();
    if (lost.isEmpty()) return CompletableFuture.completedFuture(done);
    List<Replica> live = info.replicas().stream().filter(r -> members.contains(r.nodeId()) && !isLost.test(r)).toList();
    if (live.isEmpty()) {
      // A disk being removed is still readable: its replica is the source of last resort.
      live = info.replicas().stream().filter(r -> members.contains(r.nodeId())
          && draining.contains(diskKey(r.nodeId(), r.diskId()))).toList();
    }
    if (live.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalStateException("no surviving replica among " + info.replicas()));
    }
    Set<String> excluded = new HashSet<>(failed);
    info.replicas().forEach(r -> excluded.add(r.nodeId()));
    // This node takes the new replica when placement allows (it then pulls the bytes from a
    // survivor); otherwise it pushes them from its own copy, or relays them.
    Optional<String> target = placer.placeOneMore(t.egroupId(), live.stream().map(Replica::nodeId).toList(), excluded,
        nodeId);
    if (target.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalStateException("no eligible node for a new replica (replicas "
          + info.replicas() + ", members " + members + ")"));
    }
    Replica source = live.stream().filter(r -> r.nodeId().equals(nodeId)).findFirst().orElse(live.get(0));
    var controller = sharding.entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(info.ownerVdisk()));
    return controller.<VDiskController.Fenced>ask(r -> new VDiskController.FenceEgroup(t.egroupId(), r), STEP_TIMEOUT)
        .toCompletableFuture()
        .thenCompose(fenced -> {
          if (fenced.error() != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("fence refused: " + fenced.error()));
          }
          return store.copyReplica(t.egroupId(), new ReplicaLocation(source.nodeId(), source.diskId()), target.get())
              .handle((copy, err) -> {
                if (err != null) {
                  controller.tell(new VDiskController.ReleaseFence(fenced.token()));
                  store.deleteReplica(t.egroupId(), new ReplicaLocation(target.get(), "new"));
                  return CompletableFuture.<long[]>failedFuture(err);
                }
                Replica added = new Replica(copy.nodeId(), copy.diskId());
                return controller.<VDiskController.ReplicaCommitted>ask(r -> new VDiskController.CommitReplica(
                        t.egroupId(), fenced.token(), lost.get(), added, r), STEP_TIMEOUT)
                    .toCompletableFuture()
                    .thenCompose(c -> {
                      if (!c.committed()) {
                        store.deleteReplica(t.egroupId(), copy);
                        return CompletableFuture.<long[]>failedFuture(new IllegalStateException("not committed: " + c.error()));
                      }
                      done[0] += egroupBytes;
                      done[1]++;
                      return info(t.egroupId()).toCompletableFuture().thenCompose(next -> replaceNext(t, next, done));
                    });
              })
              .thenCompose(f -> f);
        });
  }

  private static String describe(Throwable t) {
    Throwable c = t;
    while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) c = c.getCause();
    return String.valueOf(c);
  }
}
