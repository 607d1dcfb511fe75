package io.cairn.actors.egroup;

import io.cairn.actors.node.NodeStorage;
import io.cairn.datapath.extentstore.replicated.ReplicaLocation;
import io.cairn.datapath.extentstore.replicated.ReplicatedExtentStore;
import io.cairn.serialization.CairnSerializable;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The global metadata of one extent group: where its replicas are, which extent slots hold which
 * vDisk block. A sharded persistent entity (one writer per egroup, the journal for durability);
 * the bytes themselves live in the extent store of each replica's node, never in the journal.
 *
 * <p>Slots are handed out once and never reused: a slot allocated by a controller that crashed
 * before recording it in its block map stays an orphan (reclaimed by garbage collection), so stale
 * bytes can never appear inside another block.
 */
public final class ExtentGroup
    extends EventSourcedBehaviorWithEnforcedReplies<ExtentGroup.Command, ExtentGroup.Event, ExtentGroup.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "ExtentGroup");

  /** Registers the entity type with sharding on this node. */
  public static void init(ActorSystem<?> system, NodeStorage storage) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
        ctx -> create(Long.parseLong(ctx.getEntityId()), storage)));
  }

  public static Behavior<Command> create(long egroupId, NodeStorage storage) {
    return new ExtentGroup(egroupId, storage);
  }

  // --- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CairnSerializable {}

  /**
   * Allocates a slot for each of {@code vblocks} of {@code ownerVdisk}, in order, as far as free
   * slots go. On an egroup that does not exist yet, creates it first with {@code replicas} and
   * {@code capacitySlots} slots. Replied with {@link Allocated}; its slots may be fewer than asked
   * (none when the egroup is full).
   */
  public record Allocate(long ownerVdisk, long[] vblocks, List<Replica> replicas, int capacitySlots,
      ActorRef<Allocated> replyTo) implements Command {}

  /** Releases every extent of {@code ownerVdisk}; an egroup left without extents deletes its replicas. */
  public record Release(long ownerVdisk, ActorRef<Released> replyTo) implements Command {}

  /**
   * Releases {@code slots} of {@code ownerVdisk} (its unmapped vBlocks); slots it does not own are
   * left alone. Once every slot has been handed out and none is live any more, the egroup is
   * deleted with its replicas; an egroup with slots still to hand out stays, so that its owner can
   * keep allocating from it. Replied with {@link Released} ({@code deleted} when the egroup is gone).
   */
  public record ReleaseExtents(long ownerVdisk, int[] slots, ActorRef<Released> replyTo) implements Command {}

  public record Get(ActorRef<Info> replyTo) implements Command {}

  /**
   * Replaces replica {@code lost} with {@code added}, whose bytes have been copied from a surviving
   * replica (re-replication). Conditional: applied only while {@code lost} is a replica and
   * {@code added}'s node holds none, so a repeated or stale request changes nothing. Replied with
   * {@link Replaced}.
   */
  public record ReplaceReplica(Replica lost, Replica added, ActorRef<Replaced> replyTo) implements Command {}

  // --- replies --------------------------------------------------------------------------------

  /** Slots given, one per leading vblock of the request. */
  public record Allocated(long egroupId, int[] slots, List<Replica> replicas) implements CairnSerializable {}

  public record Released(long egroupId, boolean deleted) implements CairnSerializable {}

  /** Whether a {@link ReplaceReplica} was applied, and the replicas after it. */
  public record Replaced(long egroupId, boolean applied, List<Replica> replicas) implements CairnSerializable {}

  /**
   * What the egroup knows.
   *
   * @param exists whether the egroup was created (and not deleted)
   * @param owners owning vDisk per slot (0 = free or released)
   * @param vblocks vDisk block per slot
   */
  public record Info(long egroupId, boolean exists, List<Replica> replicas, int capacitySlots, int sliceSize,
      long[] owners, long[] vblocks) implements CairnSerializable {

    /** The vDisk that owns live extents here (the egroup's only writer), or 0 when none is live. */
    public long ownerVdisk() {
      for (long o : owners) if (o != 0) return o;
      return 0;
    }
  }

  // --- events ---------------------------------------------------------------------------------

  public sealed interface Event extends CairnSerializable {}

  public record Created(List<Replica> replicas, int capacitySlots, int sliceSize) implements Event {}

  public record ExtentsAllocated(long ownerVdisk, long[] vblocks, int[] slots) implements Event {}

  public record ExtentsReleased(int[] slots) implements Event {}

  public record Deleted() implements Event {}

  /** Replica {@code lost} was replaced by {@code added} (at the same position in the list). */
  public record ReplicaReplaced(Replica lost, Replica added) implements Event {}

  // --- state ----------------------------------------------------------------------------------

  public sealed interface State extends CairnSerializable {}

  /** Never created. */
  public record Absent() implements State {}

  /**
   * Live egroup. {@code owners[slot] == 0} means the slot is free (if {@code slot >= nextSlot}) or
   * released; a slot below {@code nextSlot} is never given again.
   */
  public record Active(List<Replica> replicas, int sliceSize, long[] owners, long[] vblocks, int nextSlot)
      implements State {

    int liveExtents() {
      int n = 0;
      for (long o : owners) if (o != 0) n++;
      return n;
    }

    Active allocated(ExtentsAllocated e) {
      long[] o = owners.clone();
      long[] b = vblocks.clone();
      int next = nextSlot;
      for (int i = 0; i < e.slots().length; i++) {
        o[e.slots()[i]] = e.ownerVdisk();
        b[e.slots()[i]] = e.vblocks()[i];
        next = Math.max(next, e.slots()[i] + 1);
      }
      return new Active(replicas, sliceSize, o, b, next);
    }

    Active released(ExtentsReleased e) {
      long[] o = owners.clone();
      for (int s : e.slots()) o[s] = 0;
      return new Active(replicas, sliceSize, o, vblocks, nextSlot);
    }

    Active replaced(ReplicaReplaced e) {
      List<Replica> r = new java.util.ArrayList<>(replicas);
      r.set(r.indexOf(e.lost()), e.added());
      return new Active(List.copyOf(r), sliceSize, owners, vblocks, nextSlot);
    }
  }

  /** Deleted: every extent released, replicas gone. */
  public record Gone() implements State {}

  // --- behaviour ------------------------------------------------------------------------------

  private final long egroupId;
  private final NodeStorage storage;

  private ExtentGroup(long egroupId, NodeStorage storage) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), Long.toString(egroupId)));
    this.egroupId = egroupId;
    this.storage = storage;
  }

  @Override
  public State emptyState() {
    return new Absent();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(storage.settings().vdisk().snapshotEveryEvents(), 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(Absent.class)
        .onCommand(Allocate.class, this::onAllocateNew)
        .onCommand(Release.class, (s, c) -> Effect().reply(c.replyTo(), new Released(egroupId, true)))
        .onCommand(ReleaseExtents.class, (s, c) -> Effect().reply(c.replyTo(), new Released(egroupId, true)))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), absentInfo()))
        .onCommand(ReplaceReplica.class, (s, c) -> Effect().reply(c.replyTo(), new Replaced(egroupId, false, List.of())));
    b.forStateType(Active.class)
        .onCommand(Allocate.class, this::onAllocate)
        .onCommand(Release.class, this::onRelease)
        .onCommand(ReleaseExtents.class, this::onReleaseExtents)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(),
            new Info(egroupId, true, s.replicas(), s.owners().length, s.sliceSize(), s.owners(), s.vblocks())))
        .onCommand(ReplaceReplica.class, this::onReplaceReplica);
    b.forStateType(Gone.class)
        .onCommand(Allocate.class, (s, c) -> Effect().reply(c.replyTo(), new Allocated(egroupId, new int[0], List.of())))
        .onCommand(Release.class, (s, c) -> Effect().reply(c.replyTo(), new Released(egroupId, true)))
        .onCommand(ReleaseExtents.class, (s, c) -> Effect().reply(c.replyTo(), new Released(egroupId, true)))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), absentInfo()))
        .onCommand(ReplaceReplica.class, (s, c) -> Effect().reply(c.replyTo(), new Replaced(egroupId, false, List.of())));
    return b.build();
  }

  private Info absentInfo() {
    return new Info(egroupId, false, List.of(), 0, 0, new long[0], new long[0]);
  }

  private ReplyEffect<Event, State> onAllocateNew(Absent s, Allocate c) {
    Active created = new Active(c.replicas(), storage.settings().extentStore().sliceSizeBytes(),
        new long[c.capacitySlots()], new long[c.capacitySlots()], 0);
    ExtentsAllocated allocation = allocation(created, c);
    return Effect()
        .persist(List.of(new Created(c.replicas(), c.capacitySlots(), created.sliceSize()), allocation))
        .thenReply(c.replyTo(), after -> new Allocated(egroupId, allocation.slots(), c.replicas()));
  }

  private ReplyEffect<Event, State> onAllocate(Active s, Allocate c) {
    ExtentsAllocated allocation = allocation(s, c);
    if (allocation.slots().length == 0) {
      return Effect().reply(c.replyTo(), new Allocated(egroupId, new int[0], s.replicas()));
    }
    return Effect().persist(allocation).thenReply(c.replyTo(), after -> new Allocated(egroupId, allocation.slots(), s.replicas()));
  }

  private static ExtentsAllocated allocation(Active s, Allocate c) {
    int n = Math.max(0, Math.min(c.vblocks().length, s.owners().length - s.nextSlot()));
    int[] slots = new int[n];
    for (int i = 0; i < n; i++) slots[i] = s.nextSlot() + i;
    return new ExtentsAllocated(c.ownerVdisk(), Arrays.copyOf(c.vblocks(), n), slots);
  }

  private ReplyEffect<Event, State> onReplaceReplica(Active s, ReplaceReplica c) {
    boolean applicable = s.replicas().contains(c.lost())
        && s.replicas().stream().noneMatch(r -> r.nodeId().equals(c.added().nodeId()));
    if (!applicable) return Effect().reply(c.replyTo(), new Replaced(egroupId, false, s.replicas()));
    return Effect().persist(new ReplicaReplaced(c.lost(), c.added()))
        .thenReply(c.replyTo(), after -> new Replaced(egroupId, true, ((Active) after).replicas()));
  }

  private ReplyEffect<Event, State> onRelease(Active s, Release c) {
    int[] slots = java.util.stream.IntStream.range(0, s.owners().length)
        .filter(i -> s.owners()[i] == c.ownerVdisk()).toArray();
    boolean empty = s.liveExtents() == slots.length;
    if (slots.length == 0 && !empty) return Effect().reply(c.replyTo(), new Released(egroupId, false));
    List<Event> events = empty
        ? List.of(new ExtentsReleased(slots), new Deleted())
        : List.of(new ExtentsReleased(slots));
    return Effect().persist(events)
        .thenRun(after -> {
          // The metadata is gone first: a crash before the files are removed leaves an orphan
          // replica for garbage collection, never metadata pointing at missing data.
          if (after instanceof Gone) deleteReplicas(s.replicas());
        })
        .thenReply(c.replyTo(), after -> new Released(egroupId, after instanceof Gone));
  }

  private ReplyEffect<Event, State> onReleaseExtents(Active s, ReleaseExtents c) {
    int[] slots = Arrays.stream(c.slots())
        .filter(i -> i >= 0 && i < s.owners().length && s.owners()[i] == c.ownerVdisk())
        .distinct().sorted().toArray();
    if (slots.length == 0) return Effect().reply(c.replyTo(), new Released(egroupId, false));
    boolean drained = s.liveExtents() == slots.length && s.nextSlot() >= s.owners().length;
    List<Event> events = drained
        ? List.of(new ExtentsReleased(slots), new Deleted())
        : List.of(new ExtentsReleased(slots));
    return Effect().persist(events)
        .thenRun(after -> {
          // metadata first, files second (as in onRelease)
          if (after instanceof Gone) deleteReplicas(s.replicas());
        })
        .thenReply(c.replyTo(), after -> new Released(egroupId, after instanceof Gone));
  }

  /**
   * Deletes the egroup's replicas (fire and forget: a replica that cannot be deleted now is an
   * orphan for garbage collection; the replicated store logs it). With a replicated store every
   * replica's node is told, from the list this entity held; otherwise the single replica is this
   * node's.
   */
  private void deleteReplicas(List<Replica> replicas) {
    ReplicatedExtentStore replicated = storage.replicatedStore();
    if (replicated == null) {
      storage.extentStore().delete(egroupId);
    } else {
      replicated.delete(egroupId, replicas.stream().map(r -> new ReplicaLocation(r.nodeId(), r.diskId())).toList());
    }
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var b = newEventHandlerBuilder();
    b.forStateType(Absent.class)
        .onEvent(Created.class, (s, e) -> new Active(e.replicas(), e.sliceSize(), new long[e.capacitySlots()],
            new long[e.capacitySlots()], 0));
    b.forStateType(Active.class)
        .onEvent(ExtentsAllocated.class, Active::allocated)
        .onEvent(ExtentsReleased.class, Active::released)
        .onEvent(ReplicaReplaced.class, Active::replaced)
        .onEvent(Deleted.class, (s, e) -> new Gone());
    return b.build();
  }
}
