package io.cairn.actors.events;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.ClusterEvent.MemberEvent;
import org.apache.pekko.cluster.ClusterEvent.MemberRemoved;
import org.apache.pekko.cluster.ClusterEvent.ReachabilityEvent;
import org.apache.pekko.cluster.ClusterEvent.ReachableMember;
import org.apache.pekko.cluster.ClusterEvent.UnreachableMember;
import org.apache.pekko.cluster.Member;

/**
 * What this node saw of cluster membership (system actor {@code cairn-membership-log}, one per
 * node): Pekko's membership events run through a {@link MembershipTracker}, each resulting event
 * stamped with this node and the time it was seen, kept for {@link MembershipEvents#TAKEOVER_WINDOW}
 * and passed to the follower, the {@link MembershipEvents} singleton when it runs on this node.
 *
 * <p>The log runs on every node so that a singleton starting here after a move can publish what
 * happened while no singleton ran (typically the loss of the node the previous one ran on), see
 * {@link MembershipEvents}. It subscribes with Pekko's initial state as a snapshot, so what follows
 * the snapshot is a consistent sequence of changes. Messages are node-local.
 */
final class MembershipLog extends AbstractBehavior<MembershipLog.Command> {

  /** Role every Cairn node has in the cluster: {@code node-id:<its node id>}. */
  static final String NODE_ROLE_PREFIX = "node-id:";
  /** Changes kept at most (within the window). */
  static final int MAX_CHANGES = 512;

  sealed interface Command {}

  /** Sends {@code follower} a {@link Backlog} of the changes seen at or after {@code sinceMs}, then each new {@link Change}. */
  record Follow(ActorRef<Observed> follower, long sinceMs) implements Command {}

  /** What a follower receives. */
  sealed interface Observed {}

  record Backlog(List<ClusterEvent> events) implements Observed {}

  record Change(ClusterEvent event) implements Observed {}

  private record Pekko(Object event) implements Command {}

  private record FollowerStopped(ActorRef<Observed> follower) implements Command {}

  private final MembershipTracker tracker;
  private final String nodeId;
  private final Clock clock;
  private final Duration window;
  private final Deque<ClusterEvent> changes = new ArrayDeque<>();
  private ActorRef<Observed> follower;

  static Behavior<Command> create(String nodeId, Clock clock, Duration window) {
    return Behaviors.setup(ctx -> new MembershipLog(ctx, nodeId, clock, window));
  }

  private MembershipLog(ActorContext<Command> ctx, String nodeId, Clock clock, Duration window) {
    super(ctx);
    this.nodeId = nodeId;
    this.clock = clock;
    this.window = window;
    Cluster cluster = Cluster.get(Adapter.toClassic(ctx.getSystem()));
    this.tracker = new MembershipTracker(cluster.selfAddress().toString(), cluster.selfUniqueAddress().longUid());
    ActorRef<Object> adapter = ctx.messageAdapter(Object.class, Pekko::new);
    cluster.subscribe(Adapter.toClassic(adapter), org.apache.pekko.cluster.ClusterEvent.initialStateAsSnapshot(),
        MemberEvent.class, ReachabilityEvent.class);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Pekko.class, m -> {
          record(observe(m.event()));
          return this;
        })
        .onMessage(Follow.class, m -> {
          if (follower != null) getContext().unwatch(follower);
          follower = m.follower();
          getContext().watchWith(follower, new FollowerStopped(follower));
          prune();
          follower.tell(new Backlog(changes.stream().filter(e -> e.timeMs() >= m.sinceMs()).toList()));
          return this;
        })
        .onMessage(FollowerStopped.class, m -> {
          if (m.follower().equals(follower)) follower = null;
          return this;
        })
        .build();
  }

  private List<ClusterEvent> observe(Object event) {
    if (event instanceof CurrentClusterState s) {
      List<MembershipTracker.Seen> seen = new ArrayList<>();
      for (Member m : s.getMembers()) {
        MembershipTracker.Status status = MembershipTracker.Status.ofPekko(m.status().toString());
        if (status != null) seen.add(new MembershipTracker.Seen(member(m), status, !s.getUnreachable().contains(m)));
      }
      tracker.snapshot(seen);
      return List.of();
    }
    if (event instanceof MemberRemoved r) {
      return tracker.removed(member(r.member()), MembershipTracker.Status.ofPekko(r.previousStatus().toString()));
    }
    if (event instanceof UnreachableMember u) return tracker.reachability(member(u.member()), false);
    if (event instanceof ReachableMember r) return tracker.reachability(member(r.member()), true);
    if (event instanceof MemberEvent e) {
      MembershipTracker.Status status = MembershipTracker.Status.ofPekko(e.member().status().toString());
      return status == null ? List.of() : tracker.status(member(e.member()), status);
    }
    return List.of();
  }

  private void record(List<ClusterEvent> events) {
    for (ClusterEvent e : events) {
      ClusterEvent seen = e.withOrigin(nodeId, clock.millis());
      changes.addLast(seen);
      if (follower != null) follower.tell(new Change(seen));
    }
    prune();
  }

  private void prune() {
    long oldest = clock.millis() - window.toMillis();
    while (!changes.isEmpty() && (changes.size() > MAX_CHANGES || changes.peekFirst().timeMs() < oldest)) changes.removeFirst();
  }

  /** A Pekko member as the tracker knows it: its Cairn node id from its {@code node-id:} role. */
  static MembershipTracker.Member member(Member m) {
    return new MembershipTracker.Member(m.address().toString(), m.uniqueAddress().longUid(), nodeIdOf(m.getRoles(),
        m.address().toString()));
  }

  static String nodeIdOf(java.util.Set<String> roles, String fallback) {
    for (String r : roles) {
      if (r.startsWith(NODE_ROLE_PREFIX) && r.length() > NODE_ROLE_PREFIX.length()) return r.substring(NODE_ROLE_PREFIX.length());
    }
    return fallback;
  }
}
