package io.cairn.actors.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
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
 * The membership events of this node (system actor {@code cairn-membership-log}, one per node):
 * Pekko Cluster's membership events as this node sees them, turned by a {@link MembershipTracker}
 * into {@code member.*} events and added to this node's own event buffer
 * ({@link ClusterEvents#recordLocal}, not the topic), each with this node as its {@code node} (the
 * observer) and the time this node saw the change.
 *
 * <p>Every node learns every membership change through gossip, so every node's stream reports
 * each change once, by construction: no node depends on another to publish it, and a node that
 * joined or was unreachable a moment ago misses nothing of what it observes itself. Nodes see a
 * change at slightly different times, so the same change has a different {@code node} and
 * {@code timeMs} on each node's stream.
 *
 * <p>The log subscribes with Pekko's initial state as a snapshot, so what follows the snapshot is
 * a consistent sequence of changes. It is supervised ({@link #start}): after a failure it starts
 * again with a fresh subscription, whose snapshot is its new silent baseline (a change in the
 * moment between is not reported). Messages are node-local.
 */
public final class MembershipLog extends AbstractBehavior<MembershipLog.Command> {

  /** Role every Cairn node has in the cluster: {@code node-id:<its node id>}. */
  static final String NODE_ROLE_PREFIX = "node-id:";

  sealed interface Command {}

  /** A message of Pekko's cluster event publisher (a snapshot or a change). */
  private record Pekko(Object event) implements Command {}

  private final ClusterEvents events;
  private final Cluster cluster;
  private final org.apache.pekko.actor.ActorRef subscriber;
  private final MembershipTracker tracker;

  /**
   * Starts this node's membership log, supervised (restarted, with backoff, after a failure). Call
   * it before the node joins the cluster, so the log sees this node become Up: that change is the
   * first event it reports.
   */
  public static void start(ActorSystem<?> system) {
    system.systemActorOf(Behaviors.supervise(create(ClusterEvents.get(system)))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)),
        "cairn-membership-log", Props.empty());
  }

  /** The cluster role of the node {@code nodeId}: how membership events name a member by its node id. */
  public static String nodeRole(String nodeId) {
    return NODE_ROLE_PREFIX + nodeId;
  }

  static Behavior<Command> create(ClusterEvents events) {
    return Behaviors.setup(ctx -> new MembershipLog(ctx, events));
  }

  private MembershipLog(ActorContext<Command> ctx, ClusterEvents events) {
    super(ctx);
    this.events = events;
    this.cluster = Cluster.get(Adapter.toClassic(ctx.getSystem()));
    this.tracker = new MembershipTracker(cluster.selfAddress().toString(), cluster.selfUniqueAddress().longUid());
    ActorRef<Object> adapter = ctx.messageAdapter(Object.class, Pekko::new);
    this.subscriber = Adapter.toClassic(adapter);
    cluster.subscribe(subscriber, org.apache.pekko.cluster.ClusterEvent.initialStateAsSnapshot(),
        MemberEvent.class, ReachabilityEvent.class);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Pekko.class, m -> {
          for (ClusterEvent e : observe(m.event())) events.recordLocal(e);
          return this;
        })
        // A restart subscribes again (with a new snapshot): end this subscription first.
        .onSignal(PreRestart.class, s -> unsubscribed())
        .onSignal(PostStop.class, s -> unsubscribed())
        .build();
  }

  private Behavior<Command> unsubscribed() {
    cluster.unsubscribe(subscriber);
    return this;
  }

  private List<ClusterEvent> observe(Object event) {
    if (event instanceof CurrentClusterState s) {
      List<MembershipTracker.Seen> seen = new ArrayList<>();
      for (Member m : s.getMembers()) {
        MembershipTracker.Status status = MembershipTracker.Status.of(m.status());
        if (status != null) seen.add(new MembershipTracker.Seen(member(m), status, !s.getUnreachable().contains(m)));
      }
      tracker.snapshot(seen);
      return List.of();
    }
    if (event instanceof MemberRemoved r) {
      return tracker.removed(member(r.member()), MembershipTracker.Status.of(r.previousStatus()));
    }
    if (event instanceof UnreachableMember u) return tracker.reachability(member(u.member()), false);
    if (event instanceof ReachableMember r) return tracker.reachability(member(r.member()), true);
    if (event instanceof MemberEvent e) {
      MembershipTracker.Status status = MembershipTracker.Status.of(e.member().status());
      return status == null ? List.of() : tracker.status(member(e.member()), status);
    }
    return List.of();
  }

  /** A Pekko member as the tracker knows it: its Cairn node id from its {@code node-id:} role. */
  static MembershipTracker.Member member(Member m) {
    return new MembershipTracker.Member(m.address().toString(), m.uniqueAddress().longUid(), nodeIdOf(m.getRoles(),
        m.address().toString()));
  }

  static String nodeIdOf(Set<String> roles, String fallback) {
    for (String r : roles) {
      if (r.startsWith(NODE_ROLE_PREFIX) && r.length() > NODE_ROLE_PREFIX.length()) return r.substring(NODE_ROLE_PREFIX.length());
    }
    return fallback;
  }
}
