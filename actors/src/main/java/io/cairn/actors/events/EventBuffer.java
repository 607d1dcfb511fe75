package io.cairn.actors.events;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A node's copy of the event stream (system actor {@code cairn-events-buffer}): subscribed to the
 * node's topic actor (by {@link ClusterEvents}, before anything can publish, so it misses no event
 * published on its node), it numbers every event it receives, keeps the last ones in an
 * {@link EventRing}, and passes each on to its followers (the node's HTTP event streams).
 *
 * <p>A follower gets its replay and then the live events from this one actor, so it sees no gap
 * and no duplicate between the two. Followers are watched: one that stops (its HTTP client went
 * away and the stream's source actor ended) is dropped, so no subscription outlives its stream.
 * Messages are node-local: none is ever serialized.
 */
final class EventBuffer extends AbstractBehavior<EventBuffer.Command> {

  sealed interface Command {}

  /** An event from the topic. */
  private record Received(ClusterEvent event) implements Command {}

  /** Sends {@code follower} the last {@code recent} matching events, then every new matching one. */
  record Follow(ActorRef<SequencedEvent> follower, int recent, String kindPrefix) implements Command {}

  record Unfollow(ActorRef<SequencedEvent> follower) implements Command {}

  /** The last {@code n} matching events, oldest first. */
  record GetRecent(int n, String kindPrefix, ActorRef<List<SequencedEvent>> replyTo) implements Command {}

  private record FollowerStopped(ActorRef<SequencedEvent> follower) implements Command {}

  private final EventRing ring;
  /** Each follower's kind prefix ("" for every kind). */
  private final Map<ActorRef<SequencedEvent>, String> followers = new HashMap<>();
  private final AtomicReference<ClusterEvents.Stats> stats;

  /** The buffer's behavior: it takes {@link Command}s and, from the topic, {@link ClusterEvent}s. */
  static Behavior<Object> create(int capacity, AtomicReference<ClusterEvents.Stats> stats) {
    Behavior<Command> buffer = Behaviors.setup(ctx -> new EventBuffer(ctx, capacity, stats));
    return Behaviors.transformMessages(Object.class, buffer, pf -> pf
        .match(ClusterEvent.class, Received::new)
        .match(Command.class, c -> c));
  }

  private EventBuffer(ActorContext<Command> ctx, int capacity, AtomicReference<ClusterEvents.Stats> stats) {
    super(ctx);
    this.ring = new EventRing(capacity);
    this.stats = stats;
    updateStats();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Received.class, m -> {
          SequencedEvent s = ring.append(m.event());
          followers.forEach((f, prefix) -> {
            if (s.event().matches(prefix)) f.tell(s);
          });
          updateStats();
          return this;
        })
        .onMessage(Follow.class, m -> {
          if (followers.containsKey(m.follower())) return this;
          for (SequencedEvent s : ring.last(m.recent(), m.kindPrefix())) m.follower().tell(s);
          followers.put(m.follower(), m.kindPrefix() == null ? "" : m.kindPrefix());
          getContext().watchWith(m.follower(), new FollowerStopped(m.follower()));
          updateStats();
          return this;
        })
        .onMessage(Unfollow.class, m -> {
          if (followers.remove(m.follower()) != null) getContext().unwatch(m.follower());
          updateStats();
          return this;
        })
        .onMessage(FollowerStopped.class, m -> {
          followers.remove(m.follower());
          updateStats();
          return this;
        })
        .onMessage(GetRecent.class, m -> {
          m.replyTo().tell(ring.last(m.n(), m.kindPrefix()));
          return this;
        })
        .build();
  }

  private void updateStats() {
    stats.set(new ClusterEvents.Stats(ring.capacity(), ring.size(), ring.lastSeq(), followers.size()));
  }
}
