package io.cairn.actors.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The cluster's node directory: every node's {@link NodeInfo}, in a Pekko Distributed Data
 * {@code LWWMap} keyed by node id. Each node writes only its own entry (when it differs from what
 * the map holds, checked every refresh interval and on {@link #publishNow()}) and removes the
 * entries of members that left the cluster; the map reaches the other nodes by ddata gossip
 * (within a few seconds), never through the journal.
 *
 * <p>{@link #view()} is the local picture placement and the API work from: the entries of members
 * that are {@code Up} and reachable from here, matched by address and incarnation (an entry left by
 * an older incarnation of a restarted node does not count), plus every published entry for status
 * displays.
 *
 * <p>Threading: one system actor ({@code node-directory}) owns the replicator conversation and
 * computes each view; it publishes the view through a volatile field, so {@link #view()} is
 * lock-free from any thread. Listeners run on the actor's thread, after the view changed, and must
 * not block.
 */
public final class NodeDirectory {

  /** The ddata key of the directory. */
  public static final Key<LWWMap<String, NodeInfo>> KEY = LWWMapKey.create("cairn-node-directory");

  /**
   * The directory as this node sees it.
   *
   * @param members NodeInfo of every member that is Up and reachable from this node, by node id
   * @param published every entry of the map, by node id (also nodes that are joining, unreachable,
   *     leaving or not yet pruned)
   * @param probation members that came back after this node saw them leave or become unreachable,
   *     and have not yet been members for {@code cluster.rejoin-stable-after}: placement skips them
   *     while enough others remain (never this node itself)
   */
  public record View(List<NodeInfo> members, Map<String, NodeInfo> published, Set<String> probation) {
    public static final View EMPTY = new View(List.of(), Map.of());

    public View {
      members = List.copyOf(members);
      published = Collections.unmodifiableMap(new TreeMap<>(published));
      probation = Set.copyOf(probation);
    }

    /** A view with no member on probation. */
    public View(List<NodeInfo> members, Map<String, NodeInfo> published) {
      this(members, published, Set.of());
    }

    /**
     * The members placement may use: those not on probation, or every member when fewer than
     * {@code needed} would be left (availability comes first).
     */
    public List<NodeInfo> placeable(int needed) {
      if (probation.isEmpty()) return members;
      List<NodeInfo> stable = members.stream().filter(n -> !probation.contains(n.nodeId())).toList();
      return stable.size() >= needed ? stable : members;
    }

    /** The entry of an Up, reachable member. */
    public Optional<NodeInfo> member(String nodeId) {
      return members.stream().filter(n -> n.nodeId().equals(nodeId)).findFirst();
    }

    /** The published entry of the node at this Artery address (as {@code Address.toString()}), if any. */
    public Optional<NodeInfo> publishedAt(String address) {
      return published.values().stream().filter(n -> n.address().equals(address)).findFirst();
    }
  }

  private final ActorRef<Command> actor;
  private final List<Consumer<View>> listeners = new CopyOnWriteArrayList<>();
  private volatile View view = View.EMPTY;

  private NodeDirectory(ActorSystem<?> system, Supplier<NodeInfo> local, Duration refreshInterval,
      Duration rejoinStableAfter) {
    this.actor = system.systemActorOf(Behaviors.setup(ctx -> DistributedData.<Command, LWWMap<String, NodeInfo>>withReplicatorMessageAdapter(
        replicator -> Behaviors.withTimers(timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, refreshInterval);
          return new Directory(ctx, replicator, local, rejoinStableAfter).start();
        }))), "node-directory", Props.empty());
  }

  /**
   * Starts this node's directory actor. {@code local} is called on the actor's thread once per
   * refresh interval and must be cheap; its {@link NodeInfo#address()} and {@link NodeInfo#uid()}
   * must be this node's ({@code Cluster.selfMember()}).
   */
  public static NodeDirectory start(ActorSystem<?> system, Supplier<NodeInfo> local, Duration refreshInterval) {
    return new NodeDirectory(system, local, refreshInterval, Duration.ZERO);
  }

  /** As above, with members that come back on probation for {@code rejoinStableAfter} ({@link View#probation}). */
  public static NodeDirectory start(ActorSystem<?> system, Supplier<NodeInfo> local, Duration refreshInterval,
      Duration rejoinStableAfter) {
    return new NodeDirectory(system, local, refreshInterval, rejoinStableAfter);
  }

  /** The current view (never null). */
  public View view() {
    return view;
  }

  /** Calls {@code listener} with every new view (on the directory actor's thread). */
  public void addListener(Consumer<View> listener) {
    listeners.add(listener);
  }

  public void removeListener(Consumer<View> listener) {
    listeners.remove(listener);
  }

  /**
   * Completes when the view lists {@code nodeId} as an Up, reachable member (at once if it does
   * already): a node waits for its own entry before it serves I/O, since placement works from the view.
   */
  public CompletableFuture<View> awaitMember(String nodeId) {
    CompletableFuture<View> f = new CompletableFuture<>();
    Consumer<View> listener = v -> {
      if (v.member(nodeId).isPresent()) f.complete(v);
    };
    addListener(listener);
    listener.accept(view);
    f.whenComplete((v, t) -> removeListener(listener));
    return f;
  }

  /** Asks the directory to check this node's entry now rather than at the next refresh. */
  public void publishNow() {
    actor.tell(Tick.INSTANCE);
  }

  private void setView(View v) {
    if (v.equals(view)) return;
    view = v;
    for (Consumer<View> l : listeners) l.accept(v);
  }

  // --- the actor ----------------------------------------------------------------------------

  interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record MapChanged(LWWMap<String, NodeInfo> map) implements Command {}

  private record Written(NodeInfo info, boolean success) implements Command {}

  private record Removed(String nodeId, boolean success) implements Command {}

  private record MembershipChanged(ClusterEvent.ClusterDomainEvent event) implements Command {}

  private final class Directory {
    private final ActorContext<Command> ctx;
    private final ReplicatorMessageAdapter<Command, LWWMap<String, NodeInfo>> replicator;
    private final Supplier<NodeInfo> local;
    private final Cluster cluster;
    private final SelfUniqueAddress self;
    private LWWMap<String, NodeInfo> map = LWWMap.empty();
    /** The entry of the write in flight (null: none), so a tick before its Changed does not write it again. */
    private NodeInfo writing;
    /**
     * This node's entry as last written to the local replica: the view shows it at once, without
     * waiting for the replicator's next change notification (up to its notify interval later).
     */
    private NodeInfo own;
    /** Entries of no current member seen at the previous leader sweep: removed if still orphaned at the next. */
    private Set<String> orphans = Set.of();
    private boolean duplicateReported;
    private final Duration rejoinStableAfter;
    private final RejoinProbation probation;

    Directory(ActorContext<Command> ctx, ReplicatorMessageAdapter<Command, LWWMap<String, NodeInfo>> replicator,
        Supplier<NodeInfo> local, Duration rejoinStableAfter) {
      this.rejoinStableAfter = rejoinStableAfter;
      this.probation = new RejoinProbation(rejoinStableAfter);
      this.ctx = ctx;
      this.replicator = replicator;
      this.local = local;
      this.cluster = Cluster.get(ctx.getSystem());
      this.self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    }

    Behavior<Command> start() {
      replicator.subscribe(KEY, r -> r instanceof Replicator.Changed<?> c ? new MapChanged(c.get(KEY)) : new MapChanged(LWWMap.empty()));
      ActorRef<ClusterEvent.ClusterDomainEvent> events = ctx.messageAdapter(ClusterEvent.ClusterDomainEvent.class, MembershipChanged::new);
      cluster.subscriptions().tell(Subscribe.create(events, ClusterEvent.ClusterDomainEvent.class));
      ctx.getSelf().tell(Tick.INSTANCE);
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, () -> {
            publishOwnEntry();
            sweepOrphans();
            recompute();
            return Behaviors.same();
          })
          .onMessage(MapChanged.class, m -> {
            map = m.map();
            recompute();
            return Behaviors.same();
          })
          .onMessage(Written.class, w -> {
            if (!w.success() && up()) ctx.getLog().warn("node directory: writing this node's entry failed; retrying at the next refresh");
            if (w.info().equals(writing)) writing = null;
            if (w.success()) {
              own = w.info();
              recompute();
            }
            return Behaviors.same();
          })
          .onMessage(Removed.class, r -> {
            if (!r.success() && up()) ctx.getLog().warn("node directory: removing the entry of {} failed", r.nodeId());
            return Behaviors.same();
          })
          .onMessage(MembershipChanged.class, m -> {
            if (m.event() instanceof ClusterEvent.MemberRemoved removed) prune(removed.member());
            if (m.event() instanceof ClusterEvent.MemberUp upEvent && upEvent.member().uniqueAddress().equals(self.uniqueAddress())) {
              publishOwnEntry(); // placement needs this node's entry as soon as it is Up
            }
            recompute();
            return Behaviors.same();
          })
          .build();
    }

    /** Writes this node's entry when the map does not hold exactly what the node would publish. */
    private void publishOwnEntry() {
      MemberStatus status = cluster.selfMember().status();
      if (status != MemberStatus.up() && status != MemberStatus.weaklyUp()) return; // ddata gossips among members only
      NodeInfo info;
      try {
        info = local.get();
      } catch (RuntimeException e) {
        ctx.getLog().warn("node directory: cannot describe this node: {}", e.toString());
        return;
      }
      NodeInfo current = map.getEntries().get(info.nodeId());
      if (info.equals(current) || info.equals(writing)) return;
      if (current != null && current.uid() != info.uid() && isMember(current.uid()) && !duplicateReported) {
        duplicateReported = true;
        ctx.getLog().error("node id {} is also used by the member at {}: every node needs its own cairn.node.id",
            info.nodeId(), current.address());
      }
      writing = info;
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo, m -> m.put(self, info.nodeId(), info)),
          r -> new Written(info, r instanceof Replicator.UpdateSuccess));
    }

    /** Whether this node is Up (while it leaves or stops, a failed ddata update is expected). */
    private boolean up() {
      return cluster.selfMember().status() == MemberStatus.up();
    }

    private boolean isMember(long uid) {
      for (Member m : cluster.state().getMembers()) {
        if (m.uniqueAddress().longUid() == uid) return true;
      }
      return false;
    }

    /** Removes the entries the removed member (that incarnation) wrote; a node on its way out leaves that to the others. */
    private void prune(Member removed) {
      if (cluster.selfMember().status() != MemberStatus.up()) return;
      String address = removed.address().toString();
      long uid = removed.uniqueAddress().longUid();
      for (NodeInfo n : map.getEntries().values()) {
        if (n.address().equals(address) && n.uid() == uid) remove(n.nodeId(), "member " + address + " was removed");
      }
    }

    /**
     * The leader removes entries that match no member for two consecutive sweeps (entries whose
     * removal this node never saw, e.g. it joined after the member left). Two sweeps, because an
     * entry can arrive by gossip slightly before the membership that explains it.
     */
    private void sweepOrphans() {
      if (!self.uniqueAddress().address().equals(cluster.state().getLeader())) {
        orphans = Set.of();
        return;
      }
      Set<Long> uids = new HashSet<>();
      for (Member m : cluster.state().getMembers()) uids.add(m.uniqueAddress().longUid());
      Set<String> now = new HashSet<>();
      for (NodeInfo n : map.getEntries().values()) {
        if (uids.contains(n.uid())) continue;
        if (orphans.contains(n.nodeId())) {
          remove(n.nodeId(), "no member wrote it");
        } else {
          now.add(n.nodeId());
        }
      }
      orphans = now;
    }

    private Set<String> probation(List<NodeInfo> members) {
      Set<String> ids = new java.util.HashSet<>();
      for (NodeInfo n : members) ids.add(n.nodeId());
      Set<String> before = probation.onProbation();
      Set<String> now = probation.update(ids, own != null ? own.nodeId() : local.get().nodeId(), System.nanoTime());
      for (String id : before) {
        if (!now.contains(id) && ids.contains(id)) {
          ctx.getLog().info("node directory: {} has been a member for {} since it came back: it takes new replicas again",
              id, rejoinStableAfter);
        }
      }
      return now;
    }

    private void remove(String nodeId, String why) {
      ctx.getLog().info("node directory: removing the entry of {} ({})", nodeId, why);
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo, m -> m.remove(self, nodeId)),
          r -> new Removed(nodeId, r instanceof Replicator.UpdateSuccess));
    }

    private void recompute() {
      Map<String, NodeInfo> entries = new TreeMap<>(map.getEntries());
      if (own != null) entries.put(own.nodeId(), own);
      Map<Long, NodeInfo> byUid = new LinkedHashMap<>();
      for (NodeInfo n : entries.values()) byUid.put(n.uid(), n);
      Set<Member> unreachable = cluster.state().getUnreachable();
      List<NodeInfo> members = new ArrayList<>();
      for (Member m : cluster.state().getMembers()) {
        if (m.status() != MemberStatus.up() || unreachable.contains(m)) continue;
        NodeInfo n = byUid.get(m.uniqueAddress().longUid());
        if (n != null && n.address().equals(m.address().toString())) members.add(n);
      }
      members.sort(Comparator.comparing(NodeInfo::nodeId));
      setView(new View(members, entries, probation(members)));
    }
  }
}
