package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The cluster configuration (the Zookeeper role of AOS): containers, volume groups and vDisks,
 * and the allocator of cluster-unique ids. A persistent actor run as a cluster singleton, so it
 * has exactly one writer; every change is published on the {@link #TOPIC} so that every node's
 * portal catalog follows it.
 */
public final class ClusterConfig
    extends EventSourcedBehaviorWithEnforcedReplies<ClusterConfig.Command, ClusterConfig.Event, ClusterConfig.State> {

  /** Persistence id of the one configuration. */
  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("cluster-config");

  /** Name of the topic on which {@link ConfigChanged} is published. */
  public static final String TOPIC = "cairn-config";

  /** Egroup ids handed out per reservation. */
  public static final long EGROUP_ID_BATCH = 1 << 16;

  private static final String VDISK_NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";
  private static final String GROUP_NAME = "[a-z0-9][a-z0-9.-]{0,62}";

  public static Behavior<Command> create(String iqnPrefix, Supplier<UUID> uuids) {
    return Behaviors.setup(ctx -> {
      ActorRef<Topic.Command<ConfigChanged>> topic = ctx.spawn(Topic.create(ConfigChanged.class, TOPIC), "topic");
      return new ClusterConfig(iqnPrefix, uuids, topic);
    });
  }

  // --- commands -------------------------------------------------------------------------------

  /** Messages the configuration accepts. */
  public sealed interface Command extends CairnSerializable {}

  public record CreateContainer(String name, int replicationFactor, ActorRef<Reply> replyTo) implements Command {}

  public record CreateVolumeGroup(String name, ActorRef<Reply> replyTo) implements Command {}

  /** Creates a vDisk; {@code volumeGroup} and {@code container} must exist. */
  public record CreateVDisk(String name, long sizeBytes, int logicalBlockSize, int physicalBlockSize,
      String volumeGroup, String container, boolean readOnly, ActorRef<Reply> replyTo) implements Command {}

  public record DeleteVDisk(String name, ActorRef<Reply> replyTo) implements Command {}

  /** Write-protects a vDisk (or lifts the protection). */
  public record SetVDiskReadOnly(String name, boolean readOnly, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** Reserves {@link #EGROUP_ID_BATCH} extent-group ids; replied with {@link IdRange}. */
  public record ReserveEgroupIds(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Creates the demo container, volume group and vDisk on a fresh cluster; once done (even if the
   * operator later deletes them) it does nothing.
   */
  public record EnsureDemo(String container, String volumeGroup, String vdisk, long sizeBytes,
      int logicalBlockSize, int physicalBlockSize, ActorRef<Reply> replyTo) implements Command {}

  // --- replies --------------------------------------------------------------------------------

  /** Replies of the configuration. */
  public sealed interface Reply extends CairnSerializable {}

  /** The command was applied (or was a read); the configuration as it now stands. */
  public record Done(ConfigView view) implements Reply {}

  /** The command was refused; nothing was persisted. */
  public record Rejected(Error error, String message) implements Reply {}

  /** Ids {@code [start, end)} are reserved for the requester. */
  public record IdRange(long start, long end) implements Reply {}

  /** Why a command was refused. */
  public enum Error { INVALID, NOT_FOUND, ALREADY_EXISTS }

  /** Published on {@link #TOPIC} after every change. */
  public record ConfigChanged(ConfigView view) implements CairnSerializable {}

  // --- events ---------------------------------------------------------------------------------

  /** Persisted facts. Hand-written serializers: {@link ConfigEventSerializers}. */
  public sealed interface Event extends CairnSerializable {}

  public record ContainerCreated(ContainerSpec container) implements Event {}

  public record VolumeGroupCreated(VolumeGroupSpec volumeGroup) implements Event {}

  public record VDiskCreated(VDiskSpec vdisk) implements Event {}

  public record VDiskDeleted(long vdiskId) implements Event {}

  public record VDiskReadOnlyChanged(long vdiskId, boolean readOnly) implements Event {}

  /** Every egroup id below {@code next} has been handed out. */
  public record EgroupIdsReserved(long next) implements Event {}

  public record DemoCreated() implements Event {}

  // --- state ----------------------------------------------------------------------------------

  /**
   * The configuration. Immutable: each event yields a new state.
   *
   * @param containers every container
   * @param volumeGroups every volume group
   * @param vdisks every live vDisk
   * @param nextId next object id (containers, groups and vDisks share the sequence)
   * @param nextEgroupId next unreserved extent-group id
   * @param demoCreated whether the demo objects were ever created
   */
  public record State(List<ContainerSpec> containers, List<VolumeGroupSpec> volumeGroups, List<VDiskSpec> vdisks,
      long nextId, long nextEgroupId, boolean demoCreated) implements CairnSerializable {

    static State empty() {
      return new State(List.of(), List.of(), List.of(), 1, 1, false);
    }

    ConfigView view() {
      return new ConfigView(containers, volumeGroups, vdisks);
    }

    State apply(Event e) {
      if (e instanceof ContainerCreated c) {
        return new State(sorted(containers, c.container(), Comparator.comparing(ContainerSpec::name)),
            volumeGroups, vdisks, Math.max(nextId, c.container().id() + 1), nextEgroupId, demoCreated);
      } else if (e instanceof VolumeGroupCreated g) {
        return new State(containers, sorted(volumeGroups, g.volumeGroup(), Comparator.comparing(VolumeGroupSpec::name)),
            vdisks, Math.max(nextId, g.volumeGroup().id() + 1), nextEgroupId, demoCreated);
      } else if (e instanceof VDiskCreated v) {
        return new State(containers, volumeGroups, sorted(vdisks, v.vdisk(), Comparator.comparingLong(VDiskSpec::id)),
            Math.max(nextId, v.vdisk().id() + 1), nextEgroupId, demoCreated);
      } else if (e instanceof VDiskDeleted d) {
        return new State(containers, volumeGroups,
            vdisks.stream().filter(v -> v.id() != d.vdiskId()).toList(), nextId, nextEgroupId, demoCreated);
      } else if (e instanceof VDiskReadOnlyChanged c) {
        return new State(containers, volumeGroups,
            vdisks.stream().map(v -> v.id() == c.vdiskId() ? v.withReadOnly(c.readOnly()) : v).toList(),
            nextId, nextEgroupId, demoCreated);
      } else if (e instanceof EgroupIdsReserved r) {
        return new State(containers, volumeGroups, vdisks, nextId, Math.max(nextEgroupId, r.next()), demoCreated);
      } else if (e instanceof DemoCreated) {
        return new State(containers, volumeGroups, vdisks, nextId, nextEgroupId, true);
      }
      throw new IllegalArgumentException("unknown event " + e);
    }

    private static <T> List<T> sorted(List<T> list, T added, Comparator<T> order) {
      List<T> out = new ArrayList<>(list);
      out.add(added);
      out.sort(order);
      return List.copyOf(out);
    }
  }

  // --- behaviour ------------------------------------------------------------------------------

  private final String iqnPrefix;
  private final Supplier<UUID> uuids;
  private final ActorRef<Topic.Command<ConfigChanged>> topic;

  private ClusterConfig(String iqnPrefix, Supplier<UUID> uuids, ActorRef<Topic.Command<ConfigChanged>> topic) {
    super(PERSISTENCE_ID);
    this.iqnPrefix = iqnPrefix;
    this.uuids = uuids;
    this.topic = topic;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Done(s.view())))
        .onCommand(CreateContainer.class, this::onCreateContainer)
        .onCommand(CreateVolumeGroup.class, this::onCreateVolumeGroup)
        .onCommand(CreateVDisk.class, this::onCreateVDisk)
        .onCommand(DeleteVDisk.class, this::onDeleteVDisk)
        .onCommand(SetVDiskReadOnly.class, this::onSetVDiskReadOnly)
        .onCommand(ReserveEgroupIds.class, this::onReserveEgroupIds)
        .onCommand(EnsureDemo.class, this::onEnsureDemo)
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private ReplyEffect<Event, State> onCreateContainer(State s, CreateContainer c) {
    if (!c.name().matches(GROUP_NAME)) return reject(c.replyTo(), Error.INVALID, "container name must match " + GROUP_NAME);
    if (c.replicationFactor() < 1 || c.replicationFactor() > 3) {
      return reject(c.replyTo(), Error.INVALID, "replication factor must be 1, 2 or 3");
    }
    if (s.view().container(c.name()).isPresent()) {
      return reject(c.replyTo(), Error.ALREADY_EXISTS, "container '" + c.name() + "' exists");
    }
    return persistAndReply(new ContainerCreated(new ContainerSpec(s.nextId(), c.name(), c.replicationFactor())), c.replyTo());
  }

  private ReplyEffect<Event, State> onCreateVolumeGroup(State s, CreateVolumeGroup c) {
    if (!c.name().matches(GROUP_NAME)) return reject(c.replyTo(), Error.INVALID, "volume group name must match " + GROUP_NAME);
    if (s.view().volumeGroup(c.name()).isPresent()) {
      return reject(c.replyTo(), Error.ALREADY_EXISTS, "volume group '" + c.name() + "' exists");
    }
    return persistAndReply(new VolumeGroupCreated(volumeGroup(s.nextId(), c.name())), c.replyTo());
  }

  private VolumeGroupSpec volumeGroup(long id, String name) {
    return new VolumeGroupSpec(id, name, iqnPrefix + ":" + name.toLowerCase(Locale.ROOT));
  }

  private ReplyEffect<Event, State> onCreateVDisk(State s, CreateVDisk c) {
    Rejected invalid = validateVDisk(s, c.name(), c.sizeBytes(), c.logicalBlockSize(), c.physicalBlockSize());
    if (invalid != null) return Effect().reply(c.replyTo(), invalid);
    if (s.view().volumeGroup(c.volumeGroup()).isEmpty()) {
      return reject(c.replyTo(), Error.NOT_FOUND, "volume group '" + c.volumeGroup() + "' does not exist");
    }
    if (s.view().container(c.container()).isEmpty()) {
      return reject(c.replyTo(), Error.NOT_FOUND, "container '" + c.container() + "' does not exist");
    }
    VDiskSpec spec = new VDiskSpec(s.nextId(), c.name(), uuids.get(), c.sizeBytes(), c.logicalBlockSize(),
        c.physicalBlockSize(), c.container(), c.volumeGroup(), nextLun(s, c.volumeGroup()), c.readOnly());
    return persistAndReply(new VDiskCreated(spec), c.replyTo());
  }

  /** The first problem with a vDisk's parameters, or null. */
  private static Rejected validateVDisk(State s, String name, long size, int lbs, int pbs) {
    if (name == null || !name.matches(VDISK_NAME)) return new Rejected(Error.INVALID, "vDisk name must match " + VDISK_NAME);
    if (s.view().vdisk(name).isPresent()) return new Rejected(Error.ALREADY_EXISTS, "vDisk '" + name + "' exists");
    if (lbs != 512 && lbs != 4096) return new Rejected(Error.INVALID, "logical block size must be 512 or 4096");
    if (pbs < lbs || Integer.bitCount(pbs) != 1 || pbs > 1 << 20) {
      return new Rejected(Error.INVALID, "physical block size must be a power of two >= the logical block size");
    }
    if (size <= 0) return new Rejected(Error.INVALID, "size must be > 0 bytes");
    if (size % pbs != 0) {
      return new Rejected(Error.INVALID, "size must be a multiple of the physical block size (" + pbs + " bytes)");
    }
    return null;
  }

  private static int nextLun(State s, String volumeGroup) {
    int lun = 0;
    List<Integer> used = s.vdisks().stream().filter(v -> v.volumeGroup().equals(volumeGroup)).map(VDiskSpec::lun).sorted().toList();
    for (int u : used) {
      if (u == lun) lun++;
      else if (u > lun) break;
    }
    return lun;
  }

  private ReplyEffect<Event, State> onDeleteVDisk(State s, DeleteVDisk c) {
    return s.view().vdisk(c.name())
        .map(v -> persistAndReply(new VDiskDeleted(v.id()), c.replyTo()))
        .orElseGet(() -> reject(c.replyTo(), Error.NOT_FOUND, "vDisk '" + c.name() + "' does not exist"));
  }

  private ReplyEffect<Event, State> onSetVDiskReadOnly(State s, SetVDiskReadOnly c) {
    return s.view().vdisk(c.name())
        .map(v -> v.readOnly() == c.readOnly()
            ? Effect().reply(c.replyTo(), (Reply) new Done(s.view()))
            : persistAndReply(new VDiskReadOnlyChanged(v.id(), c.readOnly()), c.replyTo()))
        .orElseGet(() -> reject(c.replyTo(), Error.NOT_FOUND, "vDisk '" + c.name() + "' does not exist"));
  }

  private ReplyEffect<Event, State> onReserveEgroupIds(State s, ReserveEgroupIds c) {
    long start = s.nextEgroupId();
    long end = start + EGROUP_ID_BATCH;
    return Effect().persist(new EgroupIdsReserved(end)).thenReply(c.replyTo(), after -> new IdRange(start, end));
  }

  private ReplyEffect<Event, State> onEnsureDemo(State s, EnsureDemo c) {
    if (s.demoCreated()) return Effect().reply(c.replyTo(), new Done(s.view()));
    List<Event> events = new ArrayList<>();
    State next = s;
    if (next.view().container(c.container()).isEmpty()) {
      events.add(new ContainerCreated(new ContainerSpec(next.nextId(), c.container(), 1)));
      next = next.apply(events.get(events.size() - 1));
    }
    if (next.view().volumeGroup(c.volumeGroup()).isEmpty()) {
      events.add(new VolumeGroupCreated(volumeGroup(next.nextId(), c.volumeGroup())));
      next = next.apply(events.get(events.size() - 1));
    }
    if (next.view().vdisk(c.vdisk()).isEmpty()) {
      Rejected invalid = validateVDisk(next, c.vdisk(), c.sizeBytes(), c.logicalBlockSize(), c.physicalBlockSize());
      if (invalid != null) return reject(c.replyTo(), invalid.error(), "demo: " + invalid.message());
      events.add(new VDiskCreated(new VDiskSpec(next.nextId(), c.vdisk(), uuids.get(), c.sizeBytes(),
          c.logicalBlockSize(), c.physicalBlockSize(), c.container(), c.volumeGroup(), nextLun(next, c.volumeGroup()),
          false)));
    }
    events.add(new DemoCreated());
    return Effect().persist(events).thenRun(this::publish).thenReply(c.replyTo(), after -> new Done(after.view()));
  }

  private ReplyEffect<Event, State> persistAndReply(Event e, ActorRef<Reply> replyTo) {
    return Effect().persist(e).thenRun(this::publish).thenReply(replyTo, after -> new Done(after.view()));
  }

  private void publish(State s) {
    topic.tell(Topic.publish(new ConfigChanged(s.view())));
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, Error error, String message) {
    return Effect().reply(replyTo, new Rejected(error, message));
  }
}
