package io.cairn.actors.reservation;

import io.cairn.datapath.scsi.reservation.PersistentReservations;
import io.cairn.serialization.CairnSerializable;
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
 * The persistent reservations (SPC-4 5.12) of one vDisk's logical unit: registrations, reservation,
 * PR generation, APTPL. A sharded persistent entity keyed by vDisk id, so one writer holds the
 * state for the whole cluster and the journal makes it durable; the SCSI layer reaches it through
 * {@link ShardedReservationStore}.
 *
 * <p>The state is saved whole, with a version that counts the saves: a {@link Save} names the
 * version it was computed from and is refused ({@link Stale}, nothing persisted) when another save
 * came first. {@link Saved} is replied only after the event is in the journal, which is when the
 * SCSI layer may answer the PERSISTENT RESERVE OUT.
 *
 * <p>Every state is kept whatever its APTPL: a Cairn logical unit is the cluster's vDisk, not a
 * node's memory, so a node restart is not the loss of power SPC-4 lets an APTPL = 0 device forget
 * its reservations on (see docs/architecture.md).
 */
public final class LunReservations
    extends EventSourcedBehaviorWithEnforcedReplies<LunReservations.Command, LunReservations.Event, LunReservations.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "LunReservations");

  /** Registers the entity type with sharding on this node. */
  public static void init(ActorSystem<?> system, int snapshotEveryEvents) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
        ctx -> create(Long.parseLong(ctx.getEntityId()), snapshotEveryEvents)));
  }

  public static Behavior<Command> create(long vdiskId, int snapshotEveryEvents) {
    return new LunReservations(vdiskId, snapshotEveryEvents);
  }

  // --- commands -------------------------------------------------------------------------------

  public sealed interface Command extends CairnSerializable {}

  /** Replied with {@link Loaded}. */
  public record Load(ActorRef<Loaded> replyTo) implements Command {}

  /** Replaces the state if it is still at {@code expectedVersion}; replied with {@link Saved} or {@link Stale}. */
  public record Save(long expectedVersion, PersistentReservations state, ActorRef<SaveReply> replyTo) implements Command {}

  // --- replies --------------------------------------------------------------------------------

  /** The stored state; version 0 and {@link PersistentReservations#EMPTY} when never saved. */
  public record Loaded(long version, PersistentReservations state) implements CairnSerializable {}

  public sealed interface SaveReply extends CairnSerializable {}

  /** The state is in the journal, at {@code version}. */
  public record Saved(long version) implements SaveReply {}

  /** Refused: the stored state is at {@code version}, not the expected one; nothing was written. */
  public record Stale(long version, PersistentReservations state) implements SaveReply {}

  // --- events ---------------------------------------------------------------------------------

  public sealed interface Event extends CairnSerializable {}

  /** The logical unit's whole persistent reservation state after a PERSISTENT RESERVE OUT. */
  public record ReservationsSaved(PersistentReservations state) implements Event {}

  // --- state ----------------------------------------------------------------------------------

  public sealed interface State extends CairnSerializable {}

  /** Never saved: version 0, nothing registered. */
  public record Unsaved() implements State {}

  /** Saved {@code version} times; {@code state} is the last one. */
  public record Stored(long version, PersistentReservations state) implements State {}

  // --- behaviour ------------------------------------------------------------------------------

  private final int snapshotEveryEvents;

  private LunReservations(long vdiskId, int snapshotEveryEvents) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), Long.toString(vdiskId)));
    this.snapshotEveryEvents = snapshotEveryEvents;
  }

  @Override
  public State emptyState() {
    return new Unsaved();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEveryEvents, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var b = newCommandHandlerWithReplyBuilder();
    b.forStateType(Unsaved.class)
        .onCommand(Load.class, (s, c) -> Effect().reply(c.replyTo(), new Loaded(0, PersistentReservations.EMPTY)))
        .onCommand(Save.class, (s, c) -> save(0, PersistentReservations.EMPTY, c));
    b.forStateType(Stored.class)
        .onCommand(Load.class, (s, c) -> Effect().reply(c.replyTo(), new Loaded(s.version(), s.state())))
        .onCommand(Save.class, (s, c) -> save(s.version(), s.state(), c));
    return b.build();
  }

  private ReplyEffect<Event, State> save(long version, PersistentReservations stored, Save c) {
    if (c.expectedVersion() != version) return Effect().reply(c.replyTo(), new Stale(version, stored));
    return Effect().persist(new ReservationsSaved(c.state()))
        .thenReply(c.replyTo(), after -> new Saved(((Stored) after).version()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var b = newEventHandlerBuilder();
    b.forStateType(Unsaved.class)
        .onEvent(ReservationsSaved.class, (s, e) -> new Stored(1, e.state()));
    b.forStateType(Stored.class)
        .onEvent(ReservationsSaved.class, (s, e) -> new Stored(s.version() + 1, e.state()));
    return b.build();
  }
}
