package io.cairn.actors.vdisk;

import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.egroup.Replica;
import io.cairn.actors.node.NodeStorage;
import io.cairn.datapath.extentstore.replicated.ReplicaLocation;
import io.cairn.datapath.extentstore.replicated.ReplicatedExtentStore;
import io.cairn.datapath.oplog.OpLogCapture;
import io.cairn.datapath.replication.ReplicatedOpLog;
import io.cairn.datapath.vdisk.Provisioning;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.datapath.vdisk.VDiskIoException.Kind;
import io.cairn.serialization.CairnSerializable;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.agrona.collections.Long2ObjectHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The controller of one vDisk (AOS: the vdisk controller in Stargate): a sharded persistent entity,
 * the single writer of the vDisk's block map, through which every I/O of the vDisk passes.
 *
 * <p><b>Writes.</b> The write characterizer counts the bytes of write I/O outstanding on the vDisk;
 * above {@code oplog-skip-min-outstanding-write-bytes} a write is sequential and goes straight to
 * the extent store (after a SUPERSEDE record in the OpLog, so that no older OpLog record can be
 * drained over it after a crash); every other write, and any write overlapping undrained OpLog
 * data, is appended to the OpLog and acknowledged once durable there.
 *
 * <p><b>Reads.</b> When the range has undrained OpLog data, the OpLog capture is taken first, then
 * the block map is consulted and the extent store read, then the capture laid on top: a drain that
 * completes in between is either in the capture or already mapped.
 *
 * <p><b>Block map.</b> A vBlock is mapped on its first write to the extent store (a drain or a
 * sequential write): the controller takes slots of its open extent group from the ExtentGroup
 * entity, then persists the mapping, then writes the bytes. Allocation requests are batched into
 * rounds, one at a time. The block map is mutable and confined to this actor; snapshots copy it.
 *
 * <p>Threading: handlers run on the actor; I/O futures complete on data-path threads, which reply
 * to the requester directly and send the actor only what changes its state.
 */
public final class VDiskController
    extends EventSourcedBehaviorWithEnforcedReplies<VDiskController.Command, VDiskController.Event, VDiskController.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "VDiskController");

  /** Registers the entity type with sharding on this node; controllers are never passivated. */
  public static void init(ActorSystem<?> system, NodeStorage storage, ActorRef<ClusterConfig.Command> config) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
            ctx -> create(Long.parseLong(ctx.getEntityId()), storage, config))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
        .withMessageExtractor(new ControllerLocality.OneShardPerVDisk())
        .withAllocationStrategy(new ExternalShardAllocationStrategy(system, ENTITY_TYPE_KEY.name(),
            org.apache.pekko.util.Timeout.create(Duration.ofSeconds(5))))
        .withStopMessage(new HandOff()));
  }

  public static Behavior<Command> create(long vdiskId, NodeStorage storage, ActorRef<ClusterConfig.Command> config) {
    return Behaviors.setup(ctx -> new VDiskController(ctx, vdiskId, storage, config));
  }

  // --- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CairnSerializable {}

  /** Makes the controller serve {@code spec}; idempotent. */
  public record Initialize(VDiskSpec spec, ActorRef<Ack> replyTo) implements Command {}

  /** Reads {@code length} bytes at {@code offset}. */
  public record Read(long offset, int length, ActorRef<ReadResult> replyTo) implements Command {}

  /** Writes {@code data} at {@code offset}; the controller owns and releases {@code data}. */
  public record Write(long offset, ByteBuf data, ActorRef<IoResult> replyTo) implements Command {}

  /** Drains OpLog bytes into the extent store; {@code data} stays owned by the OpLog. */
  public record Drain(long offset, ByteBuf data, ActorRef<DrainResult> replyTo) implements Command {}

  /** Completes when every acknowledged write is durable. */
  public record Flush(ActorRef<IoResult> replyTo) implements Command {}

  /**
   * Same-node fast path of {@link Read}: the result completes {@code result} directly (a buffer the
   * receiver owns, or a {@code VDiskIoException}). Never serialized: sent only to a controller
   * found in {@link LocalControllers}.
   */
  public record LocalRead(long offset, int length, CompletableFuture<ByteBuf> result) implements Command {}

  /** Same-node fast path of {@link Write}; the controller owns and releases {@code data}. */
  public record LocalWrite(long offset, ByteBuf data, CompletableFuture<Void> result) implements Command {}

  /**
   * Writes {@code data} at {@code offset} as one OpLog record, so that after a crash the range holds
   * all of it or none (WRITE ATOMIC); the controller owns and releases {@code data}.
   */
  public record WriteAtomic(long offset, ByteBuf data, ActorRef<IoResult> replyTo) implements Command {}

  /** Same-node fast path of {@link WriteAtomic}; the controller owns and releases {@code data}. */
  public record LocalWriteAtomic(long offset, ByteBuf data, CompletableFuture<Void> result) implements Command {}

  /**
   * COMPARE AND WRITE: compares the range at {@code offset} with {@code compare} and, if equal,
   * writes {@code data} there as one OpLog record, with no other I/O of the range in between. The
   * controller owns and releases both buffers.
   */
  public record CompareAndWrite(long offset, ByteBuf compare, ByteBuf data, ActorRef<CompareResult> replyTo)
      implements Command {}

  /** Same-node fast path of {@link CompareAndWrite}: completes with -1 (written) or the miscompare offset. */
  public record LocalCompareAndWrite(long offset, ByteBuf compare, ByteBuf data, CompletableFuture<Long> result)
      implements Command {}

  /** Deallocates {@code [offset, offset+length)} (see {@link #onUnmap}). */
  public record Unmap(long offset, long length, ActorRef<IoResult> replyTo) implements Command {}

  /** Same-node fast path of {@link Unmap}. */
  public record LocalUnmap(long offset, long length, CompletableFuture<Void> result) implements Command {}

  /** The provisioning status from {@code offset}: at most {@code maxRanges} ranges. */
  public record GetProvisioning(long offset, int maxRanges, ActorRef<ProvisioningResult> replyTo) implements Command {}

  /** Same-node fast path of {@link GetProvisioning}. */
  public record LocalGetProvisioning(long offset, int maxRanges, CompletableFuture<Provisioning> result)
      implements Command {}

  /** The vDisk was deleted: drop its OpLog records and release its extents. */
  public record Destroy(ActorRef<Ack> replyTo) implements Command {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * Re-replication of one of this vDisk's egroups: hold back this controller's writes of it (on
   * this node's store) for at most the fence lease. Replied with {@link Fenced}.
   */
  public record FenceEgroup(long egroupId, ActorRef<Fenced> replyTo) implements Command {}

  /** {@code token} identifies the fence (0 with {@code error} when none was taken). */
  public record Fenced(long egroupId, long token, String error) implements CairnSerializable {}

  /**
   * The copy of a fenced egroup is done: if the fence {@code token} is still held (no write of the
   * egroup happened meanwhile), record the replacement of {@code lost} by {@code added} in the
   * egroup's metadata, point this node's writes at the new replicas, and release the fence.
   * Replied with {@link ReplicaCommitted}. A fence that was lost (expired, or this controller
   * restarted) commits nothing: the copy may have missed a write.
   */
  public record CommitReplica(long egroupId, long token, Replica lost, Replica added,
      ActorRef<ReplicaCommitted> replyTo) implements Command {}

  public record ReplicaCommitted(long egroupId, boolean committed, List<Replica> replicas, String error)
      implements CairnSerializable {}

  /** Releases a fence without committing (the copy failed). */
  public record ReleaseFence(long token) implements Command {}

  /**
   * The scrubber found slices of {@code [offset, +length)} of one of this vDisk's egroups failing
   * their checksum on {@code suspect}: repair them from another replica, here, where the egroup's
   * writes are ordered. Replied with {@link ScrubRepaired}.
   */
  public record ScrubRepair(long egroupId, long offset, int length, Replica suspect, ActorRef<ScrubRepaired> replyTo)
      implements Command {}

  /** {@code repaired}: the suspect failed its checksum and was rewritten; {@code error} when it could not be. */
  public record ScrubRepaired(long egroupId, boolean repaired, String error) implements CairnSerializable {}

  /**
   * Sharding moves the controller to another node (or this node leaves): stop taking the fast
   * path, finish every mutation in flight, then stop. Sent by the local shard only.
   */
  public record HandOff() implements Command {}

  /** Results of internal steps, sent by the actor to itself. Never leave the node. */
  private sealed interface Internal extends Command {}

  private record Captured(long offset, int length, ReadReply reply, OpLogCapture capture, Throwable failure)
      implements Internal {}

  private record RoundStep() implements Internal {}

  /** The replicated OpLog's take-over of this vDisk finished (failure null) or failed. */
  private record OpLogRecovered(Throwable failure) implements Internal {}

  private record IdsReplied(ClusterConfig.Reply reply, Throwable failure) implements Internal {}

  private record Allocation(long[] requested, ExtentGroup.Allocated allocated, Throwable failure) implements Internal {}

  /**
   * A step that waited (for a range hold) and continues on the actor: {@code step} runs while the
   * vDisk is served, {@code notServing} otherwise.
   */
  private record Resume(Runnable step, Consumer<Throwable> notServing) implements Internal {}

  /**
   * One extent-level pass of an unmap over {@code [start, end)} (slice-aligned): see
   * {@link #onUnmapRange}. {@code alsoDeallocate} holds packed locations of extents an earlier pass
   * released, whose slices are deallocated again. Completes {@code done} with the locations it
   * released and kept (egroup not deleted).
   */
  private record UnmapRange(long start, long end, long[] alsoDeallocate, CompletableFuture<long[]> done)
      implements Internal {}

  // --- replies --------------------------------------------------------------------------------

  public record Ack(boolean ok, String message) implements CairnSerializable {}

  /** A read's bytes (owned by the receiver) or its failure ({@code error} non-null). */
  public record ReadResult(ByteBuf data, Kind error, String message) implements CairnSerializable {}

  /** Success when {@code error} is null. */
  public record IoResult(Kind error, String message) implements CairnSerializable {
    static final IoResult OK = new IoResult(null, null);
  }

  /** A drain's outcome; {@code gone} when the vDisk no longer exists. */
  public record DrainResult(boolean ok, boolean gone, String message) implements CairnSerializable {}

  /**
   * A COMPARE AND WRITE's outcome: {@code miscompareAt} is -1 when the data was written, else the
   * offset of the first differing byte (nothing written); {@code error} non-null when it failed.
   */
  public record CompareResult(long miscompareAt, Kind error, String message) implements CairnSerializable {}

  /**
   * A {@link Provisioning} as a message: {@code mapped[i]} is 1 for a mapped range, 0 for a
   * deallocated one; {@code error} non-null when the query failed.
   */
  public record ProvisioningResult(long start, long[] ends, byte[] mapped, Kind error, String message)
      implements CairnSerializable {

    static ProvisioningResult of(Provisioning p) {
      byte[] m = new byte[p.count()];
      for (int i = 0; i < m.length; i++) m[i] = (byte) (p.mapped()[i] ? 1 : 0);
      return new ProvisioningResult(p.start(), p.ends(), m, null, null);
    }

    Provisioning provisioning() {
      boolean[] m = new boolean[mapped.length];
      for (int i = 0; i < m.length; i++) m[i] = mapped[i] != 0;
      return new Provisioning(start, ends, m);
    }
  }

  /**
   * @param mappedBlocks vBlocks with a block-map entry
   * @param egroups extent groups referenced
   * @param undrainedBytes OpLog bytes not yet drained
   * @param outstandingWriteBytes bytes of write I/O in flight
   */
  public record Stats(long vdiskId, boolean active, long mappedBlocks, long[] egroups, long undrainedBytes,
      long outstandingWriteBytes) implements CairnSerializable {}

  // --- events ---------------------------------------------------------------------------------

  /** Persisted facts. Hand-written serializers: {@link VDiskEventSerializers}. */
  public sealed interface Event extends CairnSerializable {}

  public record Initialized(VDiskSpec spec) implements Event {}

  /** Egroup ids {@code [start, end)} were reserved for this vDisk. */
  public record EgroupIdsReserved(long start, long end) implements Event {}

  /** New writes go to egroup {@code egroupId} (the next reserved id). */
  public record EgroupOpened(long egroupId) implements Event {}

  /** {@code vblocks[i]} now lives in slot {@code slots[i]} of {@code egroupId}. */
  public record BlocksMapped(long egroupId, long[] vblocks, int[] slots) implements Event {}

  /**
   * {@code vblocks} (ascending) were unmapped: they have no location any more and read as zeros
   * until written again. Their extents' slots are released in the egroups afterwards.
   */
  public record BlocksUnmapped(long[] vblocks) implements Event {}

  public record Destroyed() implements Event {}

  // --- state ----------------------------------------------------------------------------------

  public sealed interface State extends CairnSerializable {}

  public record Uninitialized() implements State {}

  public record Gone() implements State {}

  /**
   * A serving vDisk. Mutable (the block map can hold millions of entries); confined to the actor,
   * copied into a {@link ActiveSnapshot} for persistence.
   */
  public static final class Active implements State {
    final VDiskSpec spec;
    final BlockMap map;
    /** Reserved egroup ids not yet used: {@code [nextEgroupId, endEgroupId)}. */
    long nextEgroupId;
    long endEgroupId;
    /** The egroup new vBlocks go to (0 = none), and how many of its slots this vDisk mapped. */
    long openEgroup;
    int openUsed;

    Active(VDiskSpec spec, BlockMap map, long nextEgroupId, long endEgroupId, long openEgroup, int openUsed) {
      this.spec = spec;
      this.map = map;
      this.nextEgroupId = nextEgroupId;
      this.endEgroupId = endEgroupId;
      this.openEgroup = openEgroup;
      this.openUsed = openUsed;
    }

    public VDiskSpec spec() {
      return spec;
    }

    Active apply(Event e) {
      if (e instanceof BlocksMapped m) {
        for (int i = 0; i < m.vblocks().length; i++) map.put(m.vblocks()[i], m.egroupId(), m.slots()[i]);
        if (m.egroupId() == openEgroup) openUsed += m.vblocks().length;
      } else if (e instanceof BlocksUnmapped u) {
        // openUsed stays: an egroup never hands out a released slot again
        for (long v : u.vblocks()) map.remove(v);
      } else if (e instanceof EgroupIdsReserved r) {
        nextEgroupId = r.start();
        endEgroupId = r.end();
      } else if (e instanceof EgroupOpened o) {
        openEgroup = o.egroupId();
        openUsed = 0;
        nextEgroupId = o.egroupId() + 1;
      }
      return this;
    }
  }

  /** Immutable copy of {@link Active} as stored in a snapshot. */
  public record ActiveSnapshot(VDiskSpec spec, long[] vblocks, long[] locations, long nextEgroupId,
      long endEgroupId, long openEgroup, int openUsed) implements CairnSerializable {}

  // --- behaviour ------------------------------------------------------------------------------

  private final ActorContext<Command> ctx;
  private final long vdiskId;
  private final NodeStorage storage;
  private final ActorRef<ClusterConfig.Command> config;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final long sequentialThreshold;
  private final int extentSize;
  /** The extent store's slice: the granule an unmap deallocates (a partial one is zeroed). */
  private final int sliceSize;
  /** Orders front-end I/O of overlapping ranges (see {@link RangeLock}); released from any thread. */
  private final RangeLock ranges = new RangeLock(Runnable::run);

  /**
   * Bytes of write I/O accepted and not yet acknowledged (the write characterizer's input). Added on
   * the actor thread, subtracted by whichever thread completes the write.
   */
  private final AtomicLong outstandingWriteBytes = new AtomicLong();

  /**
   * Front-end mutations and drains accepted and not finished (their storage writes may still be in
   * flight, completing on data-path threads). A hand-off waits for zero: the next owner must not
   * take the vDisk's OpLog records over while this node can still write (or acknowledge) any.
   */
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  /** A hand-off began: this node no longer offers the fast path and stops when nothing is in flight. */
  private boolean handingOff;

  // Allocation rounds (transient: after a crash, the I/O that waited is gone too).
  private final Long2ObjectHashMap<List<MappingWaiter>> waiting = new Long2ObjectHashMap<>();
  private final ArrayDeque<Long> queue = new ArrayDeque<>();
  private boolean roundActive;
  /** The container's replication factor once learned (0 before); written by future threads. */
  private volatile int replicationFactor;
  /**
   * True from recovery until the replicated OpLog has taken this vDisk's records over from its
   * peers ({@link ReplicatedOpLog#recover}): every command waits in the stash meanwhile.
   */
  private boolean opening;
  /** The open egroup refused slots (orphans of an earlier crash filled it): open another. */
  private boolean openFull;

  private VDiskController(ActorContext<Command> ctx, long vdiskId, NodeStorage storage, ActorRef<ClusterConfig.Command> config) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), Long.toString(vdiskId)));
    this.ctx = ctx;
    this.vdiskId = vdiskId;
    this.storage = storage;
    this.config = config;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.askTimeout = storage.settings().vdisk().ioTimeout();
    this.sequentialThreshold = storage.settings().vdisk().oplogSkipMinOutstandingWriteBytes();
    this.extentSize = storage.extentSize();
    this.sliceSize = storage.settings().extentStore().sliceSizeBytes();
    storage.localControllers().register(vdiskId, ctx.getSelf());
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(PostStop.instance(), state -> {
          stopped = true;
          for (Long token : fences) releaseFence(token); // a later commit finds them gone: nothing committed
          if (storage.oplog() instanceof ReplicatedOpLog replicated) replicated.release(vdiskId);
          storage.localControllers().unregister(vdiskId, ctx.getSelf());
        })
        .onSignal(RecoveryCompleted.instance(), state -> {
          // Replica lists cached while an earlier controller ran here may have changed since.
          if (storage.replicatedStore() != null) storage.replicatedStore().forgetReplicas();
          if (state instanceof Active && storage.oplog() instanceof ReplicatedOpLog) {
            opening = true;
            recoverOpLog();
          }
        })
        .build();
  }

  /**
   * Before serving I/O on this node, takes over the OpLog records other nodes hold for this vDisk
   * (a previous owner's writes); retried until it succeeds, I/O waiting meanwhile.
   */
  private void recoverOpLog() {
    ActorRef<Command> self = ctx.getSelf();
    ((ReplicatedOpLog) storage.oplog()).recover(vdiskId).whenComplete((v, err) -> self.tell(new OpLogRecovered(err)));
  }

  // ---- re-replication fences -----------------------------------------------------------------

  /** Fences this controller holds (tokens of its node's store); any thread. */
  private final java.util.Set<Long> fences = ConcurrentHashMap.newKeySet();
  /** Set at PostStop: a fence granted after it is released at once. */
  private volatile boolean stopped;

  private ReplyEffect<Event, State> onFenceEgroup(FenceEgroup c) {
    ReplicatedExtentStore store = storage.replicatedStore();
    if (store == null) return Effect().reply(c.replyTo(), new Fenced(c.egroupId(), 0, "the extent store is not replicated"));
    store.fence(c.egroupId(), storage.settings().curator().fenceLease()).whenComplete((token, err) -> {
      if (err != null) {
        c.replyTo().tell(new Fenced(c.egroupId(), 0, String.valueOf(err)));
      } else {
        fences.add(token);
        if (stopped) { // granted after this controller stopped: nobody would release it
          releaseFence(token);
          c.replyTo().tell(new Fenced(c.egroupId(), 0, "the controller of vDisk " + vdiskId + " stopped"));
          return;
        }
        c.replyTo().tell(new Fenced(c.egroupId(), token, null));
      }
    });
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onCommitReplica(CommitReplica c) {
    ReplicatedExtentStore store = storage.replicatedStore();
    if (store == null || !fences.contains(c.token()) || !store.holdsFence(c.token())) {
      fences.remove(c.token());
      return Effect().reply(c.replyTo(), new ReplicaCommitted(c.egroupId(), false, List.of(),
          "the fence of egroup " + c.egroupId() + " was lost (expired or its controller restarted)"));
    }
    sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(c.egroupId()))
        .<ExtentGroup.Replaced>ask(r -> new ExtentGroup.ReplaceReplica(c.lost(), c.added(), r), askTimeout)
        .whenComplete((replaced, err) -> {
          // Released either way: on a failure the metadata may or may not have changed, and this
          // node's next I/O of the egroup asks the entity again.
          fences.remove(c.token());
          if (err != null) {
            store.unfence(c.token(), null);
            store.forgetReplicas();
            c.replyTo().tell(new ReplicaCommitted(c.egroupId(), false, List.of(), String.valueOf(err)));
            return;
          }
          List<ReplicaLocation> now = replaced.replicas().stream()
              .map(r -> new ReplicaLocation(r.nodeId(), r.diskId())).toList();
          store.unfence(c.token(), now.isEmpty() ? null : now);
          c.replyTo().tell(new ReplicaCommitted(c.egroupId(), replaced.applied(), replaced.replicas(),
              replaced.applied() ? null : "the egroup's replicas changed meanwhile: " + replaced.replicas()));
        });
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onScrubRepair(ScrubRepair c) {
    ReplicatedExtentStore store = storage.replicatedStore();
    if (store == null) {
      return Effect().reply(c.replyTo(), new ScrubRepaired(c.egroupId(), false, "the extent store is not replicated"));
    }
    store.repairReplica(c.egroupId(), c.offset(), c.length(), new ReplicaLocation(c.suspect().nodeId(), c.suspect().diskId()))
        .whenComplete((repaired, err) -> c.replyTo().tell(err == null
            ? new ScrubRepaired(c.egroupId(), repaired, null)
            : new ScrubRepaired(c.egroupId(), false, String.valueOf(err))));
    return Effect().noReply();
  }

  private void releaseFence(long token) {
    if (fences.remove(token) && storage.replicatedStore() != null) storage.replicatedStore().unfence(token, null);
  }

  private ReplyEffect<Event, State> onOpLogRecovered(OpLogRecovered r) {
    if (r.failure() != null) {
      ctx.getLog().warn("vDisk {}: taking over its replicated OpLog records failed ({}); retrying", vdiskId,
          r.failure().toString());
      ctx.scheduleOnce(Duration.ofMillis(500), ctx.getSelf(), new Resume(this::recoverOpLog, err -> {}));
      return Effect().noReply();
    }
    opening = false;
    return Effect().noReply().thenUnstashAll();
  }

  @Override
  public State emptyState() {
    return new Uninitialized();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(storage.settings().vdisk().snapshotEveryEvents(), 2);
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        if (!(state instanceof Active a)) return state;
        long[][] arrays = a.map.toArrays();
        return new ActiveSnapshot(a.spec, arrays[0], arrays[1], a.nextEgroupId, a.endEgroupId, a.openEgroup, a.openUsed);
      }

      @Override
      public State fromJournal(Object from) {
        if (from instanceof ActiveSnapshot s) {
          return new Active(s.spec(), BlockMap.fromArrays(s.vblocks(), s.locations()), s.nextEgroupId(),
              s.endEgroupId(), s.openEgroup(), s.openUsed());
        }
        return (State) from;
      }
    };
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(Uninitialized.class)
        .onCommand(Initialize.class, (s, c) -> Effect().persist(new Initialized(c.spec())).thenReply(c.replyTo(), a -> new Ack(true, null)))
        .onCommand(Destroy.class, (s, c) -> Effect().persist(new Destroyed()).thenReply(c.replyTo(), a -> new Ack(true, null)));
    b.forState(s -> opening && s instanceof Active)
        .onCommand(OpLogRecovered.class, (s, c) -> onOpLogRecovered(c))
        .onCommand(Resume.class, (s, c) -> {
          c.step().run();
          return Effect().noReply();
        })
        .onAnyCommand(c -> Effect().stash());
    b.forStateType(Active.class)
        .onCommand(Initialize.class, (s, c) -> Effect().reply(c.replyTo(), s.spec.id() == c.spec().id()
            ? new Ack(true, null) : new Ack(false, "controller serves vDisk " + s.spec.id())))
        .onCommand(Read.class, (s, c) -> lockedRead(s, c.offset(), c.length(), ReadReply.to(c.replyTo())))
        .onCommand(LocalRead.class, (s, c) -> lockedRead(s, c.offset(), c.length(), ReadReply.to(c.result())))
        .onCommand(Captured.class, this::onCaptured)
        .onCommand(Write.class, (s, c) -> lockedWrite(s, c.offset(), c.data(), false, tracked(err -> c.replyTo().tell(ioResult(err)))))
        .onCommand(LocalWrite.class, (s, c) -> lockedWrite(s, c.offset(), c.data(), false, tracked(err -> complete(c.result(), err))))
        .onCommand(WriteAtomic.class, (s, c) -> lockedWrite(s, c.offset(), c.data(), true, tracked(err -> c.replyTo().tell(ioResult(err)))))
        .onCommand(LocalWriteAtomic.class, (s, c) -> lockedWrite(s, c.offset(), c.data(), true, tracked(err -> complete(c.result(), err))))
        .onCommand(CompareAndWrite.class, (s, c) -> compareAndWrite(s, c.offset(), c.compare(), c.data(),
            tracked((Long at, Throwable err) -> c.replyTo().tell(err == null ? new CompareResult(at, null, null)
                : new CompareResult(-1, VDiskIoException.of(err).kind(), VDiskIoException.of(err).getMessage())))))
        .onCommand(LocalCompareAndWrite.class, (s, c) -> compareAndWrite(s, c.offset(), c.compare(), c.data(), tracked((Long at, Throwable err) -> {
          if (err == null) c.result().complete(at);
          else c.result().completeExceptionally(VDiskIoException.of(err));
        })))
        .onCommand(Unmap.class, (s, c) -> onUnmap(s, c.offset(), c.length(), tracked(err -> c.replyTo().tell(ioResult(err)))))
        .onCommand(LocalUnmap.class, (s, c) -> onUnmap(s, c.offset(), c.length(), tracked(err -> complete(c.result(), err))))
        .onCommand(HandOff.class, (s, c) -> onHandOff())
        .onCommand(GetProvisioning.class, (s, c) -> {
          try {
            c.replyTo().tell(ProvisioningResult.of(provisioning(s, c.offset(), c.maxRanges())));
          } catch (VDiskIoException e) {
            c.replyTo().tell(new ProvisioningResult(0, new long[0], new byte[0], e.kind(), e.getMessage()));
          }
          return Effect().noReply();
        })
        .onCommand(LocalGetProvisioning.class, (s, c) -> {
          try {
            c.result().complete(provisioning(s, c.offset(), c.maxRanges()));
          } catch (VDiskIoException e) {
            c.result().completeExceptionally(e);
          }
          return Effect().noReply();
        })
        .onCommand(Resume.class, (s, c) -> {
          c.step().run();
          return Effect().noReply();
        })
        .onCommand(UnmapRange.class, this::onUnmapRange)
        .onCommand(Drain.class, this::onDrain)
        .onCommand(Flush.class, (s, c) -> Effect().reply(c.replyTo(), IoResult.OK))
        .onCommand(RoundStep.class, this::onRoundStep)
        .onCommand(IdsReplied.class, this::onIdsReplied)
        .onCommand(Allocation.class, this::onAllocation)
        .onCommand(Destroy.class, this::onDestroy)
        .onCommand(GetStats.class, (s, c) -> Effect().reply(c.replyTo(), new Stats(vdiskId, true, s.map.size(),
            s.map.egroups(), storage.oplog().undrainedBytes(vdiskId), outstandingWriteBytes.get())))
        .onCommand(FenceEgroup.class, (s, c) -> onFenceEgroup(c))
        .onCommand(CommitReplica.class, (s, c) -> onCommitReplica(c))
        .onCommand(ReleaseFence.class, (s, c) -> {
          releaseFence(c.token());
          return Effect().noReply();
        })
        .onCommand(ScrubRepair.class, (s, c) -> onScrubRepair(c));
    b.forAnyState()
        .onCommand(Read.class, (s, c) -> Effect().reply(c.replyTo(), new ReadResult(null, Kind.NOT_READY, notServing(s))))
        .onCommand(LocalRead.class, (s, c) -> {
          c.result().completeExceptionally(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          return Effect().noReply();
        })
        .onCommand(Write.class, (s, c) -> {
          c.data().release();
          return Effect().reply(c.replyTo(), new IoResult(Kind.NOT_READY, notServing(s)));
        })
        .onCommand(LocalWrite.class, (s, c) -> {
          c.data().release();
          c.result().completeExceptionally(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          return Effect().noReply();
        })
        .onCommand(WriteAtomic.class, (s, c) -> {
          c.data().release();
          return Effect().reply(c.replyTo(), new IoResult(Kind.NOT_READY, notServing(s)));
        })
        .onCommand(LocalWriteAtomic.class, (s, c) -> {
          c.data().release();
          c.result().completeExceptionally(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          return Effect().noReply();
        })
        .onCommand(CompareAndWrite.class, (s, c) -> {
          c.compare().release();
          c.data().release();
          return Effect().reply(c.replyTo(), new CompareResult(-1, Kind.NOT_READY, notServing(s)));
        })
        .onCommand(LocalCompareAndWrite.class, (s, c) -> {
          c.compare().release();
          c.data().release();
          c.result().completeExceptionally(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          return Effect().noReply();
        })
        .onCommand(Unmap.class, (s, c) -> Effect().reply(c.replyTo(), new IoResult(Kind.NOT_READY, notServing(s))))
        .onCommand(LocalUnmap.class, (s, c) -> {
          c.result().completeExceptionally(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          return Effect().noReply();
        })
        .onCommand(GetProvisioning.class, (s, c) -> Effect().reply(c.replyTo(),
            new ProvisioningResult(0, new long[0], new byte[0], Kind.NOT_READY, notServing(s))))
        .onCommand(LocalGetProvisioning.class, (s, c) -> {
          c.result().completeExceptionally(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          return Effect().noReply();
        })
        // Only a deleted vDisk lets the OpLog discard its records; an uninitialized one is retried.
        .onCommand(Drain.class, (s, c) -> Effect().reply(c.replyTo(), new DrainResult(false, s instanceof Gone, notServing(s))))
        .onCommand(Flush.class, (s, c) -> Effect().reply(c.replyTo(), new IoResult(Kind.NOT_READY, notServing(s))))
        .onCommand(Initialize.class, (s, c) -> Effect().reply(c.replyTo(), new Ack(false, notServing(s))))
        .onCommand(Destroy.class, (s, c) -> Effect().reply(c.replyTo(), new Ack(true, null)))
        .onCommand(HandOff.class, (s, c) -> onHandOff())
        .onCommand(GetStats.class, (s, c) -> Effect().reply(c.replyTo(), new Stats(vdiskId, false, 0, new long[0], 0, 0)))
        .onCommand(FenceEgroup.class, (s, c) -> Effect().reply(c.replyTo(), new Fenced(c.egroupId(), 0, notServing(s))))
        .onCommand(CommitReplica.class, (s, c) -> Effect().reply(c.replyTo(),
            new ReplicaCommitted(c.egroupId(), false, List.of(), notServing(s))))
        .onCommand(ReleaseFence.class, (s, c) -> Effect().noReply())
        .onCommand(ScrubRepair.class, (s, c) -> Effect().reply(c.replyTo(), new ScrubRepaired(c.egroupId(), false, notServing(s))))
        .onCommand(Internal.class, (s, c) -> {
          if (c instanceof Captured cap) cap.reply().failed(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          if (c instanceof Allocation || c instanceof IdsReplied) failAllWaiting(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          if (c instanceof Resume r) r.notServing().accept(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          if (c instanceof UnmapRange u) u.done().completeExceptionally(new VDiskIoException(Kind.NOT_READY, notServing(s)));
          return Effect().noReply();
        });
    return b.build();
  }

  private String notServing(State s) {
    return "vDisk " + vdiskId + (s instanceof Gone ? " was deleted" : " is not initialized");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var b = newEventHandlerBuilder();
    b.forStateType(Uninitialized.class)
        .onEvent(Initialized.class, (s, e) -> new Active(e.spec(), new BlockMap(), 0, 0, 0, 0))
        .onEvent(Destroyed.class, (s, e) -> new Gone());
    b.forStateType(Active.class)
        .onEvent(Destroyed.class, (s, e) -> new Gone())
        .onAnyEvent((s, e) -> ((Active) s).apply(e));
    return b.build();
  }

  // --- reads ----------------------------------------------------------------------------------

  /**
   * Where a read's outcome goes: the requester's actor (cluster path) or its future (same-node fast
   * path). Called from any thread; a successful reply passes ownership of the buffer.
   */
  private interface ReadReply {
    void ok(ByteBuf data);

    void failed(VDiskIoException e);

    static ReadReply to(ActorRef<ReadResult> replyTo) {
      return new ReadReply() {
        @Override public void ok(ByteBuf data) {
          if (replyTo.path().address().hasLocalScope()) {
            replyTo.tell(new ReadResult(data, null, null)); // the requester owns the buffer now
          } else {
            // Serialized later, on Artery's stream: send a heap copy, give the pooled buffer back now.
            ByteBuf copy = Unpooled.copiedBuffer(data);
            data.release();
            replyTo.tell(new ReadResult(copy, null, null));
          }
        }
        @Override public void failed(VDiskIoException e) { replyTo.tell(new ReadResult(null, e.kind(), e.getMessage())); }
      };
    }

    static ReadReply to(CompletableFuture<ByteBuf> result) {
      return new ReadReply() {
        @Override public void ok(ByteBuf data) {
          if (!result.complete(data)) data.release(); // the requester gave up (timeout, abort)
        }
        @Override public void failed(VDiskIoException e) { result.completeExceptionally(e); }
      };
    }
  }

  private ReplyEffect<Event, State> read(Active s, long offset, int length, ReadReply reply) {
    if (!inRange(s, offset, length)) {
      reply.failed(new VDiskIoException(Kind.LBA_OUT_OF_RANGE, rangeMessage(s, offset, length)));
      return Effect().noReply();
    }
    if (storage.oplog().hasUndrained(vdiskId, offset, length)) {
      // The capture is taken before the block map is read (see the class comment); it reads log
      // files, so it runs off the actor thread and the read continues when it is back.
      ActorRef<Command> self = ctx.getSelf();
      CompletableFuture.supplyAsync(() -> storage.oplog().capture(vdiskId, offset, length), storage.blockingExecutor())
          .whenComplete((cap, err) -> self.tell(new Captured(offset, length, reply, cap, err)));
      return Effect().noReply();
    }
    serveRead(s, offset, length, reply, null);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onCaptured(Active s, Captured c) {
    if (c.failure() != null) {
      c.reply().failed(VDiskIoException.of(c.failure()));
    } else {
      serveRead(s, c.offset(), c.length(), c.reply(), c.capture());
    }
    return Effect().noReply();
  }

  /** Reads the block map's extents for the range and lays {@code capture} (may be null) on top. */
  private void serveRead(Active s, long offset, int length, ReadReply reply, OpLogCapture capture) {
    if (capture != null && capture.coversFully()) {
      ByteBuf out = ByteBufAllocator.DEFAULT.buffer(length);
      out.writeZero(length);
      capture.applyTo(out, 0);
      reply.ok(out);
      return;
    }
    List<Segment> segments = segments(s, offset, length);
    if (segments.size() == 1 && segments.get(0).location != BlockMap.UNMAPPED) {
      // One extent: hand the extent store's buffer on without a copy.
      readSegment(segments.get(0)).whenComplete((buf, err) -> {
        if (err != null) {
          reply.failed(VDiskIoException.of(err));
        } else {
          if (capture != null) capture.applyTo(buf, buf.readerIndex());
          reply.ok(buf);
        }
      });
      return;
    }
    // Segments are read in parallel, then assembled on one thread: a ByteBuf is not thread-safe,
    // so no two threads may write into the result at once.
    List<Segment> mapped = new ArrayList<>(segments.size());
    List<CompletableFuture<ByteBuf>> reads = new ArrayList<>(segments.size());
    for (Segment seg : segments) {
      if (seg.location == BlockMap.UNMAPPED) continue;
      mapped.add(seg);
      reads.add(readSegment(seg));
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).whenComplete((v, err) -> {
      if (err != null) {
        for (CompletableFuture<ByteBuf> f : reads) {
          if (!f.isCompletedExceptionally()) f.join().release();
        }
        reply.failed(VDiskIoException.of(err));
        return;
      }
      ByteBuf out = ByteBufAllocator.DEFAULT.buffer(length);
      out.writeZero(length);
      for (int i = 0; i < mapped.size(); i++) {
        Segment seg = mapped.get(i);
        ByteBuf buf = reads.get(i).join();
        try {
          out.setBytes((int) (seg.offset - offset), buf, buf.readerIndex(), seg.length);
        } finally {
          buf.release();
        }
      }
      if (capture != null) capture.applyTo(out, 0);
      reply.ok(out);
    });
  }

  private CompletableFuture<ByteBuf> readSegment(Segment seg) {
    return storage.extentStore().read(BlockMap.egroupOf(seg.location), egroupOffset(seg), seg.length);
  }

  // --- writes ---------------------------------------------------------------------------------

  // --- range holds ---------------------------------------------------------------------------

  /**
   * Runs {@code step} on the actor once {@code [start, end)} is held: at once when nothing earlier
   * conflicts, else when the hold is granted (a {@link Resume} message). {@code step} owns the hold
   * and must release it; when the vDisk stops being served while the request waits,
   * {@code notServing} runs instead (the hold is released for it).
   */
  private void withRange(long start, long end, boolean exclusive, Consumer<RangeLock.Hold> step, Consumer<Throwable> notServing) {
    RangeLock.Hold[] hold = new RangeLock.Hold[1];
    // hold[0] is set below, before this handler returns, hence before any Resume is processed
    Resume resume = new Resume(() -> step.accept(hold[0]), err -> {
      ranges.release(hold[0]);
      notServing.accept(err);
    });
    ActorRef<Command> self = ctx.getSelf();
    hold[0] = ranges.acquire(start, end, exclusive, () -> self.tell(resume));
    if (hold[0].grantedAtOnce()) step.accept(hold[0]);
  }

  /** A read under a shared hold of its range. */
  private ReplyEffect<Event, State> lockedRead(Active s, long offset, int length, ReadReply reply) {
    if (!inRange(s, offset, length)) {
      reply.failed(new VDiskIoException(Kind.LBA_OUT_OF_RANGE, rangeMessage(s, offset, length)));
      return Effect().noReply();
    }
    withRange(offset, offset + length, false, hold -> read(s, offset, length, new ReadReply() {
      @Override public void ok(ByteBuf data) {
        ranges.release(hold);
        reply.ok(data);
      }

      @Override public void failed(VDiskIoException e) {
        ranges.release(hold);
        reply.failed(e);
      }
    }), err -> reply.failed(VDiskIoException.of(err)));
    return Effect().noReply();
  }

  /** A write under a shared hold of its range (overlapping writes are ordered by the OpLog). */
  private ReplyEffect<Event, State> lockedWrite(Active s, long offset, ByteBuf data, boolean atomic, Consumer<Throwable> done) {
    int length = data.readableBytes();
    if (!inRange(s, offset, length)) {
      data.release();
      done.accept(new VDiskIoException(Kind.LBA_OUT_OF_RANGE, rangeMessage(s, offset, length)));
      return Effect().noReply();
    }
    withRange(offset, offset + length, false, hold -> write(s, offset, data, atomic, err -> {
      ranges.release(hold);
      done.accept(err);
    }), err -> {
      data.release();
      done.accept(err);
    });
    return Effect().noReply();
  }

  /**
   * COMPARE AND WRITE: under an exclusive hold of the range (no other read or write of it runs in
   * between), reads the range, compares it with {@code compare} and, when equal, appends
   * {@code data} to the OpLog as one record: the write is atomic against a crash too. Calls
   * {@code done} with -1 (written) or the offset of the first differing byte (nothing written), or
   * with the failure. Releases both buffers.
   */
  private ReplyEffect<Event, State> compareAndWrite(Active s, long offset, ByteBuf compare, ByteBuf data,
      BiConsumer<Long, Throwable> done) {
    int length = compare.readableBytes();
    boolean mismatched = data.readableBytes() != length;
    if (mismatched || !inRange(s, offset, length)) {
      VDiskIoException e = mismatched
          ? new VDiskIoException(Kind.INTERNAL, "compare and write data of " + data.readableBytes() + " bytes for a " + length + "-byte range")
          : new VDiskIoException(Kind.LBA_OUT_OF_RANGE, rangeMessage(s, offset, length));
      compare.release();
      data.release();
      done.accept(null, e);
      return Effect().noReply();
    }
    if (length == 0) {
      compare.release();
      data.release();
      done.accept(-1L, null);
      return Effect().noReply();
    }
    withRange(offset, offset + length, true, hold -> {
      CompletableFuture<ByteBuf> current = new CompletableFuture<>();
      read(s, offset, length, ReadReply.to(current));
      current.thenCompose(buf -> {
        long at;
        try {
          at = firstDifference(buf, compare);
        } finally {
          buf.release();
        }
        if (at >= 0) return CompletableFuture.completedFuture(at);
        outstandingWriteBytes.addAndGet(length);
        return storage.oplog().append(vdiskId, offset, data)
            .whenComplete((v, err) -> outstandingWriteBytes.addAndGet(-length))
            .thenApply(v -> -1L);
      }).whenComplete((at, err) -> {
        compare.release();
        data.release();
        ranges.release(hold);
        done.accept(at, err);
      });
    }, err -> {
      compare.release();
      data.release();
      done.accept(null, err);
    });
    return Effect().noReply();
  }

  /** Offset of the first byte where {@code a} and {@code b} (as long as {@code a}) differ, or -1. */
  static long firstDifference(ByteBuf a, ByteBuf b) {
    int n = a.readableBytes();
    int a0 = a.readerIndex();
    int b0 = b.readerIndex();
    int i = 0;
    while (i + 8 <= n && a.getLong(a0 + i) == b.getLong(b0 + i)) i += 8;
    for (; i < n; i++) {
      if (a.getByte(a0 + i) != b.getByte(b0 + i)) return i;
    }
    return -1;
  }

  /**
   * Accepts a front-end write of {@code data} (owned by the controller from here on) and calls
   * {@code done} (null = success) once it is durable, from whichever thread finishes it.
   */
  private ReplyEffect<Event, State> write(Active s, long offset, ByteBuf data, boolean atomic, Consumer<Throwable> done) {
    int length = data.readableBytes();
    if (!inRange(s, offset, length)) {
      data.release();
      done.accept(new VDiskIoException(Kind.LBA_OUT_OF_RANGE, rangeMessage(s, offset, length)));
      return Effect().noReply();
    }
    long outstanding = outstandingWriteBytes.addAndGet(length);
    Consumer<Throwable> finish = err -> {
      outstandingWriteBytes.addAndGet(-length);
      done.accept(err);
    };
    // An atomic write is one OpLog record whatever its size: a record is all or nothing after a crash.
    boolean sequential = !atomic && outstanding > sequentialThreshold && !storage.oplog().hasUndrained(vdiskId, offset, length);
    if (!sequential) {
      CompletableFuture<Void> appended;
      try {
        appended = storage.oplog().append(vdiskId, offset, data);
      } finally {
        data.release();
      }
      appended.whenComplete((v, err) -> finish.accept(err));
      return Effect().noReply();
    }
    // Sequential: the SUPERSEDE record must be durable (and no older drain of the range in flight)
    // before the bytes reach the extent store; otherwise an older OpLog record could be drained
    // over them, now or at replay after a crash. Mapping the vBlocks proceeds meanwhile.
    CompletableFuture<Void> superseded = storage.oplog().supersede(vdiskId, offset, length);
    writeToExtents(s, offset, data, superseded).whenComplete((v, err) -> {
      data.release();
      finish.accept(err);
    });
    return Effect().noReply();
  }

  /** Counts a mutation in flight until {@code done} runs. */
  private Consumer<Throwable> tracked(Consumer<Throwable> done) {
    inFlight.incrementAndGet();
    return err -> {
      try {
        done.accept(err);
      } finally {
        inFlight.decrementAndGet();
      }
    };
  }

  private BiConsumer<Long, Throwable> tracked(BiConsumer<Long, Throwable> done) {
    inFlight.incrementAndGet();
    return (at, err) -> {
      try {
        done.accept(at, err);
      } finally {
        inFlight.decrementAndGet();
      }
    };
  }

  /**
   * The hand-off (see {@link HandOff}): leaves the fast path at once, then stops once every
   * mutation in flight has finished, checking again every 10 ms.
   */
  private ReplyEffect<Event, State> onHandOff() {
    if (!handingOff) {
      handingOff = true;
      // Before the drainer can see the controller gone (and drop this node's records of the
      // vDisk): this node must no longer trim the peers' copies, which the next owner takes over.
      if (storage.oplog() instanceof ReplicatedOpLog replicated) replicated.release(vdiskId);
      storage.localControllers().unregister(vdiskId, ctx.getSelf());
      ctx.getLog().info("vDisk {}: controller handing off ({} mutation(s) in flight)", vdiskId, inFlight.get());
    }
    if (inFlight.get() == 0) return Effect().stop().thenNoReply();
    ctx.scheduleOnce(Duration.ofMillis(10), ctx.getSelf(), new HandOff());
    return Effect().noReply();
  }

  private static IoResult ioResult(Throwable err) {
    if (err == null) return IoResult.OK;
    VDiskIoException e = VDiskIoException.of(err);
    return new IoResult(e.kind(), e.getMessage());
  }

  private static void complete(CompletableFuture<Void> result, Throwable err) {
    if (err == null) result.complete(null);
    else result.completeExceptionally(VDiskIoException.of(err));
  }

  private ReplyEffect<Event, State> onDrain(Active s, Drain d) {
    int length = d.data().readableBytes();
    if (!inRange(s, d.offset(), length)) {
      return Effect().reply(d.replyTo(), new DrainResult(false, false, rangeMessage(s, d.offset(), length)));
    }
    Consumer<Throwable> reply = tracked(err -> d.replyTo().tell(err == null
        ? new DrainResult(true, false, null)
        : new DrainResult(false, false, VDiskIoException.of(err).getMessage())));
    writeToExtents(s, d.offset(), d.data(), CompletableFuture.completedFuture(null)).whenComplete((v, err) -> reply.accept(err));
    return Effect().noReply();
  }

  /**
   * Maps the vBlocks of the range (allocating as needed) and, once {@code before} has completed,
   * writes {@code data} to their extents. The caller keeps ownership of {@code data}; it must stay
   * valid until the future completes.
   */
  private CompletableFuture<Void> writeToExtents(Active s, long offset, ByteBuf data, CompletableFuture<Void> before) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long first = offset / extentSize;
    long last = (offset + data.readableBytes() - 1) / extentSize;
    long[] vblocks = new long[(int) (last - first + 1)];
    for (int i = 0; i < vblocks.length; i++) vblocks[i] = first + i;
    ensureMapped(s, vblocks, () -> {
      // Locations are read on the actor thread, now that every vBlock is mapped.
      List<Segment> segments = segments(s, offset, data.readableBytes());
      before.thenCompose(x -> {
        List<CompletableFuture<Void>> writes = new ArrayList<>(segments.size());
        for (Segment seg : segments) {
          ByteBuf slice = data.slice(data.readerIndex() + (int) (seg.offset - offset), seg.length);
          writes.add(storage.extentStore().write(BlockMap.egroupOf(seg.location), egroupOffset(seg), slice));
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
      }).whenComplete((v, err) -> {
        if (err != null) done.completeExceptionally(err);
        else done.complete(null);
      });
    }, done::completeExceptionally);
    return done;
  }

  // --- unmap ----------------------------------------------------------------------------------

  /**
   * Deallocates {@code [offset, offset+length)} under an exclusive hold of the range, then calls
   * {@code done}. The parts of a slice at either end that the range covers only partly get a zero
   * write through the OpLog (so they read zeros and stay allocated). The slice-aligned middle goes:
   *
   * <ol>
   *   <li>extent level first ({@link UnmapRange}): vBlocks it covers whole leave the block map
   *       ({@link BlocksUnmapped}) and their slots are released; the slices it covers in other
   *       mapped vBlocks are deallocated in the extent store;
   *   <li>then a SUPERSEDE record for it in the OpLog: durable, and complete only when no older
   *       drain of the range is in flight. From then on no older OpLog byte of the range can be
   *       drained, now or after a replay;
   *   <li>when the range had undrained OpLog bytes when the unmap began, the extent-level pass runs
   *       again: a drain that was in flight during step 1 may have written into the range.
   * </ol>
   *
   * The order is what makes a crash harmless: before the SUPERSEDE is durable, undrained bytes of
   * the range still replay and win over the deallocation; after it, they are dead, and the extent
   * store holds zeros or bytes a drain wrote (acknowledged data, newest first). Either way every
   * byte is its last acknowledged value or zero, never older data. Writes that bypass the OpLog
   * cannot race this: they take shared holds, which the exclusive hold waits for and excludes.
   */
  private ReplyEffect<Event, State> onUnmap(Active s, long offset, long length, Consumer<Throwable> done) {
    if (length < 0 || !inRange(s, offset, length)) {
      done.accept(new VDiskIoException(Kind.LBA_OUT_OF_RANGE, rangeMessage(s, offset, length)));
      return Effect().noReply();
    }
    if (length == 0) {
      done.accept(null);
      return Effect().noReply();
    }
    withRange(offset, offset + length, true, hold -> {
      CompletableFuture<Void> unmapped;
      try {
        unmapped = runUnmap(offset, length);
      } catch (RuntimeException e) {
        unmapped = CompletableFuture.failedFuture(e);
      }
      unmapped.whenComplete((v, err) -> {
        ranges.release(hold);
        done.accept(err);
      });
    }, done);
    return Effect().noReply();
  }

  /** The steps of {@link #onUnmap}; actor thread, exclusive hold of the range held. */
  private CompletableFuture<Void> runUnmap(long offset, long length) {
    long end = offset + length;
    long g = sliceSize;
    long a = Math.min(end, offset + (g - offset % g) % g); // first slice boundary at or after offset
    long b = Math.max(a, end - end % g);                    // last slice boundary at or before end
    List<CompletableFuture<?>> parts = new ArrayList<>(3);
    if (offset < a) parts.add(zeroWrite(offset, (int) (a - offset)));
    if (b < end) parts.add(zeroWrite(b, (int) (end - b)));
    if (a < b) {
      boolean hadUndrained = storage.oplog().hasUndrained(vdiskId, a, b - a);
      ActorRef<Command> self = ctx.getSelf();
      CompletableFuture<long[]> first = new CompletableFuture<>();
      self.tell(new UnmapRange(a, b, new long[0], first));
      parts.add(first
          .thenCompose(released -> storage.oplog().supersede(vdiskId, a, b - a).thenApply(v -> released))
          .thenCompose(released -> {
            if (!hadUndrained) return CompletableFuture.completedFuture(null);
            CompletableFuture<long[]> again = new CompletableFuture<>();
            self.tell(new UnmapRange(a, b, released, again));
            return again;
          }));
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
  }

  /** Appends {@code length} (less than a slice) zero bytes at {@code offset} to the OpLog. */
  private CompletableFuture<Void> zeroWrite(long offset, int length) {
    ByteBuf zeros = Unpooled.wrappedBuffer(new byte[length]);
    try {
      return storage.oplog().append(vdiskId, offset, zeros);
    } finally {
      zeros.release();
    }
  }

  /**
   * One extent-level pass of an unmap over the slice-aligned {@code [start, end)}: deallocates the
   * covered slices of partly covered mapped vBlocks, persists {@link BlocksUnmapped} for the mapped
   * vBlocks covered whole (in batches, one atomic write), then releases their slots in the egroups
   * and deallocates the slots' slices where the egroup lives on. Completes {@code done} with the
   * locations released and kept, once all of it is durable.
   */
  private ReplyEffect<Event, State> onUnmapRange(Active s, UnmapRange u) {
    long e = extentSize;
    long firstWhole = u.start() / e + (u.start() % e == 0 ? 0 : 1);
    long endWhole = u.end() / e;
    List<CompletableFuture<Void>> work = new ArrayList<>();
    if (firstWhole > endWhole) {
      work.add(deallocateInBlock(s, u.start(), u.end())); // both ends inside one vBlock
    } else {
      if (u.start() % e != 0) work.add(deallocateInBlock(s, u.start(), firstWhole * e));
      if (u.end() % e != 0) work.add(deallocateInBlock(s, endWhole * e, u.end()));
    }
    for (long loc : u.alsoDeallocate()) work.add(deallocateReleased(loc));
    CompletableFuture<Void> partial = CompletableFuture.allOf(work.toArray(CompletableFuture[]::new));
    long[] whole = s.map.mappedIn(firstWhole, endWhole);
    if (whole.length == 0) {
      partial.whenComplete((v, err) -> {
        if (err != null) u.done().completeExceptionally(err);
        else u.done().complete(new long[0]);
      });
      return Effect().noReply();
    }
    long[] locations = new long[whole.length];
    for (int i = 0; i < whole.length; i++) locations[i] = s.map.location(whole[i]);
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < whole.length; i += UNMAP_EVENT_BLOCKS) {
      events.add(new BlocksUnmapped(java.util.Arrays.copyOfRange(whole, i, Math.min(whole.length, i + UNMAP_EVENT_BLOCKS))));
    }
    return Effect().persist(events).thenRun(after -> {
      CompletableFuture<long[]> released = releaseExtents(locations);
      CompletableFuture.allOf(partial, released).whenComplete((v, err) -> {
        if (err != null) u.done().completeExceptionally(err);
        else u.done().complete(released.join());
      });
    }).thenNoReply();
  }

  /** Most vBlocks per {@link BlocksUnmapped} event (a large unmap persists several, atomically). */
  static final int UNMAP_EVENT_BLOCKS = 4096;

  /** Deallocates {@code [from, to)}, slice-aligned and inside one vBlock, if the vBlock is mapped. */
  private CompletableFuture<Void> deallocateInBlock(Active s, long from, long to) {
    long vblock = from / extentSize;
    long loc = s.map.location(vblock);
    if (loc == BlockMap.UNMAPPED) return CompletableFuture.completedFuture(null);
    long at = (long) BlockMap.slotOf(loc) * extentSize + (from - vblock * extentSize);
    return storage.extentStore().deallocate(BlockMap.egroupOf(loc), at, to - from);
  }

  /**
   * Deallocates the slices of a released extent. Only the disk's accounting depends on it (nothing
   * reads a released slot, and it is never handed out again), so a failure is logged, not returned.
   */
  private CompletableFuture<Void> deallocateReleased(long loc) {
    return storage.extentStore()
        .deallocate(BlockMap.egroupOf(loc), (long) BlockMap.slotOf(loc) * extentSize, extentSize)
        .exceptionally(err -> {
          VDiskIoException e = VDiskIoException.of(err);
          if (e.kind() != Kind.NOT_READY) { // NOT_READY: the egroup is gone, and its space with it
            ctx.getLog().warn("vDisk {}: released extent {} of egroup {} keeps its space: {}", vdiskId,
                BlockMap.slotOf(loc), BlockMap.egroupOf(loc), e.getMessage());
          }
          return null;
        });
  }

  /**
   * Releases the slots at {@code locations} in their egroups (one {@link ExtentGroup.ReleaseExtents}
   * per egroup) and deallocates the slices of those whose egroup lives on. Completes with the
   * locations kept that way; never fails: a slot whose release failed stays an orphan (the block
   * map no longer points at it) and is logged.
   */
  private CompletableFuture<long[]> releaseExtents(long[] locations) {
    Long2ObjectHashMap<List<Long>> byEgroup = new Long2ObjectHashMap<>();
    for (long loc : locations) {
      List<Long> l = byEgroup.get(BlockMap.egroupOf(loc));
      if (l == null) {
        l = new ArrayList<>(4);
        byEgroup.put(BlockMap.egroupOf(loc), l);
      }
      l.add(loc);
    }
    List<CompletableFuture<long[]>> perEgroup = new ArrayList<>(byEgroup.size());
    byEgroup.forEach((egroupId, locs) -> {
      int[] slots = locs.stream().mapToInt(BlockMap::slotOf).toArray();
      perEgroup.add(sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(egroupId))
          .<ExtentGroup.Released>ask(replyTo -> new ExtentGroup.ReleaseExtents(vdiskId, slots, replyTo), askTimeout)
          .toCompletableFuture()
          .thenCompose(r -> {
            if (r.deleted()) return CompletableFuture.completedFuture(new long[0]);
            CompletableFuture<?>[] deallocs = locs.stream().map(this::deallocateReleased).toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(deallocs).thenApply(v -> locs.stream().mapToLong(Long::longValue).toArray());
          })
          .exceptionally(err -> {
            ctx.getLog().warn("vDisk {}: releasing {} extents of egroup {} failed; they stay orphans: {}", vdiskId,
                slots.length, egroupId, String.valueOf(err));
            return new long[0];
          }));
    });
    return CompletableFuture.allOf(perEgroup.toArray(CompletableFuture[]::new))
        .thenApply(v -> perEgroup.stream().flatMapToLong(f -> java.util.Arrays.stream(f.join())).toArray());
  }

  // --- provisioning status --------------------------------------------------------------------

  /** Undrained OpLog ranges fetched per range asked for: enough to find that many transitions. */
  private static final int OPLOG_RANGES_PER_RANGE = 2;

  /** The provisioning status from {@code offset} (see {@link ProvisioningScan}); actor thread. */
  private Provisioning provisioning(Active s, long offset, int maxRanges) {
    long size = s.spec.sizeBytes();
    if (offset < 0 || offset >= size) {
      throw new VDiskIoException(Kind.LBA_OUT_OF_RANGE, "offset " + offset + " beyond vDisk size " + size);
    }
    int max = Math.max(1, maxRanges);
    int oplogLimit = OPLOG_RANGES_PER_RANGE * max + 2;
    long[] oplog = storage.oplog().undrainedRanges(vdiskId, offset, size - offset, oplogLimit);
    boolean complete = oplog.length / 2 < oplogLimit;
    long[] vblocks = s.map.mappedIn(offset / extentSize, (size - 1) / extentSize + 1);
    long[] locations = new long[vblocks.length];
    for (int i = 0; i < vblocks.length; i++) locations[i] = s.map.location(vblocks[i]);
    return ProvisioningScan.scan(offset, size, oplog, complete, vblocks, locations, extentSize, sliceSize,
        loc -> storage.extentStore().written(BlockMap.egroupOf(loc), (long) BlockMap.slotOf(loc) * extentSize, extentSize),
        max);
  }

  // --- block-map allocation -------------------------------------------------------------------

  /** An I/O waiting for some vBlocks to be mapped; runs or fails once. Actor thread only. */
  private static final class MappingWaiter {
    int remaining;
    final Runnable onMapped;
    final Consumer<Throwable> onFailed;
    boolean done;

    MappingWaiter(int remaining, Runnable onMapped, Consumer<Throwable> onFailed) {
      this.remaining = remaining;
      this.onMapped = onMapped;
      this.onFailed = onFailed;
    }

    void mapped() {
      if (!done && --remaining == 0) {
        done = true;
        onMapped.run();
      }
    }

    void failed(Throwable t) {
      if (!done) {
        done = true;
        onFailed.accept(t);
      }
    }
  }

  private void ensureMapped(Active s, long[] vblocks, Runnable onMapped, Consumer<Throwable> onFailed) {
    int missing = 0;
    for (long v : vblocks) if (!s.map.isMapped(v)) missing++;
    if (missing == 0) {
      onMapped.run();
      return;
    }
    MappingWaiter waiter = new MappingWaiter(missing, onMapped, onFailed);
    for (long v : vblocks) {
      if (s.map.isMapped(v)) continue;
      List<MappingWaiter> list = waiting.get(v);
      if (list == null) {
        list = new ArrayList<>(2);
        waiting.put(v, list);
        queue.add(v);
      }
      list.add(waiter);
    }
    if (!roundActive) {
      roundActive = true;
      ctx.getSelf().tell(new RoundStep());
    }
  }

  private ReplyEffect<Event, State> onRoundStep(Active s, RoundStep step) {
    while (!queue.isEmpty() && s.map.isMapped(queue.peek())) queue.poll();
    if (queue.isEmpty()) {
      roundActive = false;
      return Effect().noReply();
    }
    int capacity = storage.extentsPerEgroup();
    if (s.openEgroup == 0 || openFull || s.openUsed >= capacity) {
      if (s.nextEgroupId >= s.endEgroupId) {
        ctx.pipeToSelf(
            org.apache.pekko.actor.typed.javadsl.AskPattern.<ClusterConfig.Command, ClusterConfig.Reply>ask(
                config, ClusterConfig.ReserveEgroupIds::new, askTimeout, ctx.getSystem().scheduler()),
            IdsReplied::new);
        return Effect().noReply();
      }
      return Effect().persist(new EgroupOpened(s.nextEgroupId)).thenRun(after -> {
        openFull = false;
        ctx.getSelf().tell(new RoundStep());
      }).thenNoReply();
    }
    int n = Math.min(queue.size(), capacity - s.openUsed);
    long[] batch = new long[n];
    for (int i = 0; i < n; i++) batch[i] = queue.poll();
    long egroupId = s.openEgroup;
    ActorRef<Command> self = ctx.getSelf();
    ReplicatedExtentStore replicated = storage.replicatedStore();
    if (replicated != null) {
      allocateReplicated(replicated, s.spec, egroupId, batch, capacity);
      return Effect().noReply();
    }
    CompletableFuture
        .supplyAsync(() -> storage.extentStore().create(egroupId, null), storage.blockingExecutor())
        .thenCompose(disk -> sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(egroupId))
            .<ExtentGroup.Allocated>ask(replyTo -> new ExtentGroup.Allocate(vdiskId, batch,
                List.of(new Replica(storage.nodeId(), disk)), capacity, replyTo), askTimeout))
        .whenComplete((allocated, err) -> self.tell(new Allocation(batch, allocated, err)));
    return Effect().noReply();
  }

  /**
   * Allocation in an egroup of a replicated store: the egroup's replicas as its entity knows them,
   * or, for a new egroup, RF replicas (the vDisk's container RF) created on distinct nodes first
   * (on the blocking executor: the local replica's files are created on the calling thread). The
   * entity confirms the replicas in its reply, which the store remembers. Actor thread; the rest
   * runs on future threads.
   */
  private void allocateReplicated(ReplicatedExtentStore store, VDiskSpec spec, long egroupId, long[] batch, int capacity) {
    ActorRef<Command> self = ctx.getSelf();
    org.apache.pekko.actor.typed.Scheduler scheduler = ctx.getSystem().scheduler();
    store.replicas(egroupId)
        .thenCompose(known -> known.isEmpty()
            ? replicationFactor(spec, scheduler).thenComposeAsync(rf -> store.createReplicas(egroupId, rf), storage.blockingExecutor())
            : CompletableFuture.completedFuture(known))
        .thenCompose(locations -> sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(egroupId))
            .<ExtentGroup.Allocated>ask(replyTo -> new ExtentGroup.Allocate(vdiskId, batch,
                locations.stream().map(l -> new Replica(l.nodeId(), l.diskId())).toList(), capacity, replyTo), askTimeout))
        .thenApply(allocated -> {
          if (!allocated.replicas().isEmpty()) {
            store.remember(egroupId, allocated.replicas().stream()
                .map(r -> new ReplicaLocation(r.nodeId(), r.diskId())).toList());
          }
          return allocated;
        })
        .whenComplete((allocated, err) -> self.tell(new Allocation(batch, allocated, err)));
  }

  /**
   * The replication factor of the vDisk's container, asked of the cluster configuration once per
   * controller incarnation (a container's RF does not change). Any thread.
   */
  private CompletableFuture<Integer> replicationFactor(VDiskSpec spec, org.apache.pekko.actor.typed.Scheduler scheduler) {
    int known = replicationFactor;
    if (known > 0) return CompletableFuture.completedFuture(known);
    return org.apache.pekko.actor.typed.javadsl.AskPattern.<ClusterConfig.Command, ClusterConfig.Reply>ask(
            config, ClusterConfig.Get::new, askTimeout, scheduler)
        .toCompletableFuture()
        .thenApply(reply -> {
          if (!(reply instanceof ClusterConfig.Done done)) {
            throw new VDiskIoException(Kind.NOT_READY, "cannot read the cluster configuration: " + reply);
          }
          int rf = done.view().container(spec.container())
              .orElseThrow(() -> new VDiskIoException(Kind.NOT_READY,
                  "container '" + spec.container() + "' of vDisk " + vdiskId + " does not exist"))
              .replicationFactor();
          replicationFactor = rf;
          return rf;
        });
  }

  private ReplyEffect<Event, State> onIdsReplied(Active s, IdsReplied r) {
    if (r.reply() instanceof ClusterConfig.IdRange range) {
      return Effect().persist(new EgroupIdsReserved(range.start(), range.end()))
          .thenRun(after -> ctx.getSelf().tell(new RoundStep())).thenNoReply();
    }
    String why = r.failure() != null ? String.valueOf(r.failure()) : String.valueOf(r.reply());
    failAllWaiting(new VDiskIoException(Kind.WRITE_ERROR, "cannot reserve extent group ids: " + why));
    roundActive = false;
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onAllocation(Active s, Allocation a) {
    if (a.failure() != null) {
      VDiskIoException e = VDiskIoException.of(a.failure());
      ctx.getLog().warn("vDisk {}: allocation in egroup {} failed: {}", vdiskId, s.openEgroup, e.getMessage());
      for (long v : a.requested()) failWaiting(v, e);
      ctx.getSelf().tell(new RoundStep());
      return Effect().noReply();
    }
    int[] slots = a.allocated().slots();
    for (int i = a.requested().length - 1; i >= slots.length; i--) queue.addFirst(a.requested()[i]);
    if (slots.length == 0) {
      openFull = true;
      ctx.getSelf().tell(new RoundStep());
      return Effect().noReply();
    }
    long[] mapped = java.util.Arrays.copyOf(a.requested(), slots.length);
    return Effect().persist(new BlocksMapped(a.allocated().egroupId(), mapped, slots)).thenRun(after -> {
      for (long v : mapped) {
        List<MappingWaiter> list = waiting.remove(v);
        if (list != null) list.forEach(MappingWaiter::mapped);
      }
      ctx.getSelf().tell(new RoundStep());
    }).thenNoReply();
  }

  private void failWaiting(long vblock, Throwable t) {
    List<MappingWaiter> list = waiting.remove(vblock);
    if (list != null) list.forEach(w -> w.failed(t));
  }

  private void failAllWaiting(Throwable t) {
    while (!queue.isEmpty()) failWaiting(queue.poll(), t);
    for (List<MappingWaiter> list : waiting.values()) list.forEach(w -> w.failed(t));
    waiting.clear();
  }

  // --- deletion -------------------------------------------------------------------------------

  private ReplyEffect<Event, State> onDestroy(Active s, Destroy d) {
    long[] egroups = s.map.egroups();
    return Effect().persist(new Destroyed()).thenRun(after -> {
      failAllWaiting(new VDiskIoException(Kind.NOT_READY, "vDisk " + vdiskId + " was deleted"));
      storage.oplog().discard(vdiskId);
      for (long eg : egroups) {
        sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(eg))
            .<ExtentGroup.Released>ask(replyTo -> new ExtentGroup.Release(vdiskId, replyTo), askTimeout);
      }
    }).thenReply(d.replyTo(), after -> new Ack(true, null));
  }

  // --- geometry -------------------------------------------------------------------------------

  /** A piece of a byte range inside one vBlock, with the vBlock's location. */
  private record Segment(long offset, int length, long vblock, long location) {}

  private List<Segment> segments(Active s, long offset, int length) {
    List<Segment> out = new ArrayList<>(2);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      long vblock = pos / extentSize;
      // pos + the room left in its vBlock, bounded by end: never overflows, even next to 2^63.
      long blockEnd = pos + Math.min(end - pos, extentSize - (pos - vblock * extentSize));
      out.add(new Segment(pos, (int) (blockEnd - pos), vblock, s.map.location(vblock)));
      pos = blockEnd;
    }
    return out;
  }

  private long egroupOffset(Segment seg) {
    return (long) BlockMap.slotOf(seg.location) * extentSize + (seg.offset - seg.vblock * extentSize);
  }

  private static boolean inRange(Active s, long offset, long length) {
    return offset >= 0 && length >= 0 && offset <= s.spec.sizeBytes() - length;
  }

  private static String rangeMessage(Active s, long offset, long length) {
    return "range [" + offset + ", +" + length + ") beyond vDisk size " + s.spec.sizeBytes();
  }

}
