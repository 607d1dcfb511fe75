package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
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
  /** iSCSI names (RFC 7143 section 4.2.7): iqn., eui. or naa. forms, at most 223 bytes. */
  private static final Pattern ISCSI_NAME = Pattern.compile(
      "iqn\\.\\d{4}-\\d{2}\\.[a-z0-9][a-z0-9.-]*(:[^\\s\\x00]*)?|eui\\.[0-9a-f]{16}|naa\\.([0-9a-f]{16}|[0-9a-f]{32})");
  /** Most initiators one allow-list may hold. */
  public static final int MAX_INITIATORS = 1024;
  /** CHAP secrets of 12 to 255 bytes: RFC 7143 section 12.1.3 asks for at least 96 bits. */
  public static final int MIN_CHAP_SECRET_BYTES = 12;
  public static final int MAX_CHAP_BYTES = 255;

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

  /**
   * Creates a volume group, optionally with its access policy in the same atomic change.
   *
   * @param initiators allowed initiator names (empty = any)
   * @param chap CHAP credentials initiators must present, or null
   * @param mutualChap the target's credentials for mutual CHAP, or null
   */
  public record CreateVolumeGroup(String name, List<String> initiators, ChapSecret chap, ChapSecret mutualChap,
      ActorRef<Reply> replyTo) implements Command {
    public CreateVolumeGroup(String name, ActorRef<Reply> replyTo) {
      this(name, List.of(), null, null, replyTo);
    }
  }

  /** Replaces the initiator allow-list of a volume group (empty: any initiator). */
  public record SetVolumeGroupInitiators(String volumeGroup, List<String> initiators, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Adds and removes initiators of a volume group's allow-list in one atomic change (removing the
   * last one opens the group to every initiator); names compare case-insensitively.
   */
  public record ChangeVolumeGroupInitiators(String volumeGroup, List<String> add, List<String> remove,
      ActorRef<Reply> replyTo) implements Command {}

  /** Sets the CHAP credentials of a volume group; {@code mutualChap} may be null (one-way CHAP). */
  public record SetVolumeGroupChap(String volumeGroup, ChapSecret chap, ChapSecret mutualChap, ActorRef<Reply> replyTo)
      implements Command {}

  /** Removes the CHAP credentials of a volume group: logins no longer authenticate. */
  public record ClearVolumeGroupChap(String volumeGroup, ActorRef<Reply> replyTo) implements Command {}

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

  /** The allow-list of the volume group is now exactly {@code initiators} (lower case; empty = any). */
  public record VolumeGroupInitiatorsSet(long volumeGroupId, List<String> initiators) implements Event {}

  /** The volume group requires CHAP with {@code chap}; {@code mutualChap} is null for one-way CHAP. */
  public record VolumeGroupChapSet(long volumeGroupId, ChapSecret chap, ChapSecret mutualChap) implements Event {}

  /** The volume group no longer requires CHAP. */
  public record VolumeGroupChapCleared(long volumeGroupId) implements Event {}

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
      } else if (e instanceof VolumeGroupInitiatorsSet a) {
        return withGroup(a.volumeGroupId(), g -> g.withInitiators(a.initiators()));
      } else if (e instanceof VolumeGroupChapSet c) {
        return withGroup(c.volumeGroupId(), g -> g.withChap(c.chap(), c.mutualChap()));
      } else if (e instanceof VolumeGroupChapCleared c) {
        return withGroup(c.volumeGroupId(), g -> g.withChap(null, null));
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

    private State withGroup(long id, UnaryOperator<VolumeGroupSpec> change) {
      List<VolumeGroupSpec> groups = volumeGroups.stream().map(g -> g.id() == id ? change.apply(g) : g).toList();
      return new State(containers, groups, vdisks, nextId, nextEgroupId, demoCreated);
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
        .onCommand(SetVolumeGroupInitiators.class, this::onSetVolumeGroupInitiators)
        .onCommand(ChangeVolumeGroupInitiators.class, this::onChangeVolumeGroupInitiators)
        .onCommand(SetVolumeGroupChap.class, this::onSetVolumeGroupChap)
        .onCommand(ClearVolumeGroupChap.class, this::onClearVolumeGroupChap)
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
    String invalid = validateInitiators(c.initiators());
    if (invalid == null && (c.chap() != null || c.mutualChap() != null)) invalid = validateChap(c.chap(), c.mutualChap());
    if (invalid != null) return reject(c.replyTo(), Error.INVALID, invalid);
    long id = s.nextId();
    List<Event> events = new ArrayList<>();
    events.add(new VolumeGroupCreated(volumeGroup(id, c.name())));
    if (!c.initiators().isEmpty()) events.add(new VolumeGroupInitiatorsSet(id, normalize(c.initiators())));
    if (c.chap() != null) events.add(new VolumeGroupChapSet(id, c.chap(), c.mutualChap()));
    return Effect().persist(events).thenRun(this::publish).thenReply(c.replyTo(), after -> new Done(after.view()));
  }

  private ReplyEffect<Event, State> onSetVolumeGroupInitiators(State s, SetVolumeGroupInitiators c) {
    VolumeGroupSpec g = s.view().volumeGroup(c.volumeGroup()).orElse(null);
    if (g == null) return reject(c.replyTo(), Error.NOT_FOUND, "volume group '" + c.volumeGroup() + "' does not exist");
    String invalid = validateInitiators(c.initiators());
    if (invalid != null) return reject(c.replyTo(), Error.INVALID, invalid);
    return persistAndReply(new VolumeGroupInitiatorsSet(g.id(), normalize(c.initiators())), c.replyTo());
  }

  private ReplyEffect<Event, State> onChangeVolumeGroupInitiators(State s, ChangeVolumeGroupInitiators c) {
    VolumeGroupSpec g = s.view().volumeGroup(c.volumeGroup()).orElse(null);
    if (g == null) return reject(c.replyTo(), Error.NOT_FOUND, "volume group '" + c.volumeGroup() + "' does not exist");
    String invalid = validateInitiators(c.add());
    if (invalid != null) return reject(c.replyTo(), Error.INVALID, invalid);
    Set<String> remove = new HashSet<>(normalize(c.remove()));
    List<String> next = new ArrayList<>();
    for (String n : g.initiators()) if (!remove.contains(n)) next.add(n);
    for (String n : normalize(c.add())) if (!next.contains(n)) next.add(n);
    if (next.size() > MAX_INITIATORS) return reject(c.replyTo(), Error.INVALID, "at most " + MAX_INITIATORS + " initiators per volume group");
    if (next.equals(g.initiators())) return Effect().reply(c.replyTo(), new Done(s.view()));
    return persistAndReply(new VolumeGroupInitiatorsSet(g.id(), next), c.replyTo());
  }

  private ReplyEffect<Event, State> onSetVolumeGroupChap(State s, SetVolumeGroupChap c) {
    VolumeGroupSpec g = s.view().volumeGroup(c.volumeGroup()).orElse(null);
    if (g == null) return reject(c.replyTo(), Error.NOT_FOUND, "volume group '" + c.volumeGroup() + "' does not exist");
    String invalid = validateChap(c.chap(), c.mutualChap());
    if (invalid != null) return reject(c.replyTo(), Error.INVALID, invalid);
    return persistAndReply(new VolumeGroupChapSet(g.id(), c.chap(), c.mutualChap()), c.replyTo());
  }

  private ReplyEffect<Event, State> onClearVolumeGroupChap(State s, ClearVolumeGroupChap c) {
    VolumeGroupSpec g = s.view().volumeGroup(c.volumeGroup()).orElse(null);
    if (g == null) return reject(c.replyTo(), Error.NOT_FOUND, "volume group '" + c.volumeGroup() + "' does not exist");
    if (g.chap() == null) return Effect().reply(c.replyTo(), new Done(s.view()));
    return persistAndReply(new VolumeGroupChapCleared(g.id()), c.replyTo());
  }

  /** The first problem with an allow-list, or null. Names compare lower-cased (RFC 3722). */
  private static String validateInitiators(List<String> initiators) {
    if (initiators.size() > MAX_INITIATORS) return "at most " + MAX_INITIATORS + " initiators per volume group";
    Set<String> seen = new HashSet<>();
    for (String n : initiators) {
      String lower = n == null ? "" : n.toLowerCase(Locale.ROOT);
      if (lower.getBytes(StandardCharsets.UTF_8).length > 223 || !ISCSI_NAME.matcher(lower).matches()) {
        return "'" + n + "' is not an iSCSI name (iqn.YYYY-MM.domain[:id], eui.<16 hex>, naa.<16 or 32 hex>)";
      }
      if (!seen.add(lower)) return "initiator '" + n + "' is listed twice";
    }
    return null;
  }

  private static List<String> normalize(List<String> initiators) {
    return initiators.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
  }

  /** The first problem with CHAP credentials, or null. The message never contains a secret. */
  private static String validateChap(ChapSecret chap, ChapSecret mutual) {
    if (chap == null) return "mutual CHAP needs initiator CHAP credentials";
    String bad = validateChap("CHAP", chap);
    if (bad == null && mutual != null) bad = validateChap("mutual CHAP", mutual);
    if (bad == null && mutual != null && mutual.secret().equals(chap.secret())) {
      bad = "the mutual CHAP secret must differ from the initiator CHAP secret";
    }
    return bad;
  }

  private static String validateChap(String what, ChapSecret c) {
    int user = c.user().getBytes(StandardCharsets.UTF_8).length;
    int secret = c.secret().getBytes(StandardCharsets.UTF_8).length;
    if (user == 0 || user > MAX_CHAP_BYTES || c.user().indexOf('\0') >= 0) {
      return what + " user must be 1 to " + MAX_CHAP_BYTES + " bytes";
    }
    if (secret < MIN_CHAP_SECRET_BYTES || secret > MAX_CHAP_BYTES || c.secret().indexOf('\0') >= 0) {
      return what + " secret must be " + MIN_CHAP_SECRET_BYTES + " to " + MAX_CHAP_BYTES + " bytes";
    }
    return null;
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
