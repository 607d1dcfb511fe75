package io.cairn.actors.events;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Publishes membership events once per cluster change: a cluster singleton
 * ({@code cairn-membership-events}) that follows its own node's {@link MembershipLog} and
 * publishes each change on the {@link ClusterEvents} topic.
 *
 * <p><b>When the singleton moves</b> (its node left or failed), the new instance does not
 * announce the members it finds as new: the current state is its baseline. But the changes that
 * happened while no singleton ran (above all the loss of the previous singleton's node: it was
 * unreachable, downed and removed before the new one could start) were published by nobody. So
 * the new instance asks its log for the changes of the last {@link #TAKEOVER_WINDOW} and its
 * node's event buffer for the membership events it received, and publishes only the changes that
 * no published event reports (same kind, same member incarnation). A {@code member.up} is one of
 * them only if it happened after the first change of a member that is gone now (the loss that
 * moved the singleton), or, when no member is gone, if it is this node's own (the founding node's
 * first singleton): a node's buffer misses the events published in the second after it joined,
 * so its own and its fellow joiners' ups would otherwise be announced twice. Each published event
 * keeps the time its node saw the change. A change older than the window, or whose event has left
 * the buffer, is not published again.
 *
 * <p>Messages are node-local (the singleton only ever talks to actors of its own node).
 */
public final class MembershipEvents {

  /** How far back a new singleton looks for changes nobody published (a move takes well under a minute). */
  public static final Duration TAKEOVER_WINDOW = Duration.ofMinutes(5);
  private static final Duration RECENT_TIMEOUT = Duration.ofSeconds(10);

  private MembershipEvents() {}

  /**
   * Starts this node's membership log and the singleton (call before the node joins the cluster,
   * so the log sees this node become Up). The node must carry the role {@link #nodeRole}.
   */
  public static void start(ActorSystem<?> system) {
    ClusterEvents events = ClusterEvents.get(system);
    ActorRef<MembershipLog.Command> log = system.systemActorOf(
        MembershipLog.create(events.nodeId(), Clock.systemUTC(), TAKEOVER_WINDOW), "cairn-membership-log", Props.empty());
    ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(create(events, log))
            .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)),
        "cairn-membership-events"));
  }

  /** The cluster role of the node {@code nodeId}: how membership events name a member by its node id. */
  public static String nodeRole(String nodeId) {
    return MembershipLog.NODE_ROLE_PREFIX + nodeId;
  }

  sealed interface Command {}

  private record Observed(MembershipLog.Observed observed) implements Command {}

  private record Published(List<SequencedEvent> events, Throwable error) implements Command {}

  static Behavior<Command> create(ClusterEvents events, ActorRef<MembershipLog.Command> log) {
    return Behaviors.withStash(1024, stash -> Behaviors.setup(ctx -> {
      ActorRef<MembershipLog.Observed> adapter = ctx.messageAdapter(MembershipLog.Observed.class, Observed::new);
      log.tell(new MembershipLog.Follow(adapter, System.currentTimeMillis() - TAKEOVER_WINDOW.toMillis()));
      return awaitingBacklog(ctx, stash, events);
    }));
  }

  private static Behavior<Command> awaitingBacklog(ActorContext<Command> ctx, StashBuffer<Command> stash,
      ClusterEvents events) {
    return Behaviors.receive(Command.class)
        .onMessage(Observed.class, m -> {
          if (!(m.observed() instanceof MembershipLog.Backlog b)) {
            stash.stash(m);
            return Behaviors.same();
          }
          if (b.events().isEmpty()) return stash.unstashAll(live(events));
          ctx.pipeToSelf(events.recent(events.settings().bufferSize(), "member.", RECENT_TIMEOUT), Published::new);
          return awaitingPublished(ctx, stash, events, b.events());
        })
        .build();
  }

  private static Behavior<Command> awaitingPublished(ActorContext<Command> ctx, StashBuffer<Command> stash,
      ClusterEvents events, List<ClusterEvent> backlog) {
    return Behaviors.receive(Command.class)
        .onMessage(Published.class, m -> {
          List<ClusterEvent> published = new ArrayList<>();
          if (m.events() != null) m.events().forEach(s -> published.add(s.event()));
          else ctx.getLog().warn("membership events: no answer from the event buffer ({}); publishing the recent changes", m.error());
          Cluster cluster = Cluster.get(ctx.getSystem());
          Set<String> members = new HashSet<>();
          cluster.state().getMembers().forEach(mm -> members.add(Long.toString(mm.uniqueAddress().longUid())));
          List<ClusterEvent> missed = unpublished(backlog, published,
              Long.toString(cluster.selfMember().uniqueAddress().longUid()), members);
          if (!missed.isEmpty()) {
            ctx.getLog().info("membership events: publishing {} change(s) seen while no publisher ran", missed.size());
          }
          missed.forEach(events::publish);
          return stash.unstashAll(live(events));
        })
        .onMessage(Observed.class, m -> {
          stash.stash(m);
          return Behaviors.same();
        })
        .build();
  }

  private static Behavior<Command> live(ClusterEvents events) {
    return Behaviors.receive(Command.class)
        .onMessage(Observed.class, m -> {
          if (m.observed() instanceof MembershipLog.Change c) events.publish(c.event());
          return Behaviors.same();
        })
        .build();
  }

  /**
   * The changes of {@code backlog} a new singleton publishes: those that no event of
   * {@code published} reports (same kind, same member uid), ups only after the first change of a
   * member not among {@code memberUids} (or, when none is gone, only the up of {@code selfUid}).
   */
  static List<ClusterEvent> unpublished(List<ClusterEvent> backlog, List<ClusterEvent> published, String selfUid,
      Set<String> memberUids) {
    long lossMs = Long.MAX_VALUE;
    for (ClusterEvent e : backlog) {
      if (!memberUids.contains(e.detail("uid"))) lossMs = Math.min(lossMs, e.timeMs());
    }
    Set<String> seen = new HashSet<>();
    for (ClusterEvent e : published) seen.add(e.kind() + " " + e.detail("uid"));
    List<ClusterEvent> out = new ArrayList<>();
    for (ClusterEvent e : backlog) {
      boolean up = e.kind().equals(ClusterEvent.MEMBER_UP);
      if (up && !(lossMs == Long.MAX_VALUE ? e.detail("uid").equals(selfUid) : e.timeMs() >= lossMs)) continue;
      if (seen.add(e.kind() + " " + e.detail("uid"))) out.add(e);
    }
    return out;
  }
}
