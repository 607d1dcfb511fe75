package io.cairn.actors.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one node's view of Pekko Cluster membership (a snapshot, then changes in order) into
 * membership events, each once per change: {@code member.up}, {@code member.unreachable},
 * {@code member.reachable}, {@code member.downed}, {@code member.removed}.
 *
 * <p>Until this node itself is Up, it only learns (a joining node is told about members that were
 * Up long before: not news). The change that makes this node Up is its own {@code member.up}; a
 * node whose first snapshot already shows itself Up takes it all as its silent baseline. Statuses
 * only move forward (Joining, WeaklyUp, Up, ..., Down): an old report never undoes a newer one,
 * and a member removed is never reported again (an incarnation is its address and uid).
 *
 * <p>Pure and single-threaded (owned by {@link MembershipLog}); the events it returns carry no
 * node or time yet.
 */
final class MembershipTracker {

  /** A member incarnation: its Artery address, its uid, and its Cairn node id (the address when it has none). */
  record Member(String address, long uid, String nodeId) {}

  /** Pekko's member statuses in lifecycle order (a status only ever moves to a later one). */
  enum Status {
    JOINING, WEAKLY_UP, UP, PREPARING_FOR_SHUTDOWN, READY_FOR_SHUTDOWN, LEAVING, EXITING, DOWN;

    /** Pekko's {@code MemberStatus.toString()} ("Up", "WeaklyUp", ...), null for one not listed (e.g. Removed). */
    static Status ofPekko(String name) {
      return switch (name) {
        case "Joining" -> JOINING;
        case "WeaklyUp" -> WEAKLY_UP;
        case "Up" -> UP;
        case "PreparingForShutdown" -> PREPARING_FOR_SHUTDOWN;
        case "ReadyForShutdown" -> READY_FOR_SHUTDOWN;
        case "Leaving" -> LEAVING;
        case "Exiting" -> EXITING;
        case "Down" -> DOWN;
        default -> null;
      };
    }

    boolean upOrLater() {
      return compareTo(UP) >= 0;
    }
  }

  /** One member in a snapshot: its status and whether this node sees it reachable. */
  record Seen(Member member, Status status, boolean reachable) {}

  private record Key(String address, long uid) {
    static Key of(Member m) {
      return new Key(m.address(), m.uid());
    }
  }

  private static final class Tracked {
    final Member member;
    Status status;
    boolean reachable = true;

    Tracked(Member member, Status status) {
      this.member = member;
      this.status = status;
    }
  }

  /** Incarnations removed, remembered so late reports about them are ignored (bounded: oldest forgotten first). */
  private static final int REMEMBERED_REMOVALS = 1024;

  private final Key self;
  private final Map<Key, Tracked> members = new HashMap<>();
  private final Map<Key, Boolean> removed = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
      return size() > REMEMBERED_REMOVALS;
    }
  };
  private boolean baselined;

  MembershipTracker(String selfAddress, long selfUid) {
    this.self = new Key(selfAddress, selfUid);
  }

  /** Whether this node has been Up (events are reported from then on). */
  boolean baselined() {
    return baselined;
  }

  /** The first state this node is told (Pekko's initial snapshot): never reported. */
  void snapshot(List<Seen> seen) {
    for (Seen s : seen) {
      if (removed.containsKey(Key.of(s.member()))) continue;
      Tracked t = members.computeIfAbsent(Key.of(s.member()), k -> new Tracked(s.member(), s.status()));
      if (s.status().compareTo(t.status) > 0) t.status = s.status();
      t.reachable = s.reachable();
      if (Key.of(s.member()).equals(self) && s.status().upOrLater()) baselined = true;
    }
  }

  /** A member reached {@code status} (any membership change but removal). */
  List<ClusterEvent> status(Member m, Status status) {
    Key k = Key.of(m);
    if (removed.containsKey(k)) return List.of();
    Tracked t = members.get(k);
    if (t == null) {
      t = new Tracked(m, Status.JOINING);
      members.put(k, t);
    }
    Status before = t.status;
    if (status.compareTo(before) <= 0) return List.of();
    t.status = status;
    List<ClusterEvent> out = new ArrayList<>();
    if (!before.upOrLater() && status.upOrLater()) {
      if (!baselined && k.equals(self)) baselined = true;
      if (baselined) out.add(event(ClusterEvent.MEMBER_UP, ClusterEvent.Severity.INFO, m, "node " + m.nodeId() + " is up"));
    }
    if (status == Status.DOWN && baselined && before.upOrLater()) {
      out.add(event(ClusterEvent.MEMBER_DOWNED, ClusterEvent.Severity.WARNING, m,
          "node " + m.nodeId() + " was downed (it will be removed from the cluster)"));
    }
    return out;
  }

  /** A member left the membership; {@code previous} is its last status (Down: it failed or was downed; Exiting: it left). */
  List<ClusterEvent> removed(Member m, Status previous) {
    Key k = Key.of(m);
    if (removed.containsKey(k)) return List.of();
    removed.put(k, Boolean.TRUE);
    Tracked t = members.remove(k);
    if (!baselined || t == null || !t.status.upOrLater()) return List.of();
    boolean failed = previous == Status.DOWN;
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("previousStatus", previous == null ? "unknown" : previous.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    return List.of(event(ClusterEvent.MEMBER_REMOVED, failed ? ClusterEvent.Severity.WARNING : ClusterEvent.Severity.INFO, m,
        "node " + m.nodeId() + (failed ? " was removed from the cluster after it was downed" : " left the cluster"), extra));
  }

  /** This node now sees {@code m} (un)reachable. */
  List<ClusterEvent> reachability(Member m, boolean reachable) {
    Tracked t = members.get(Key.of(m));
    if (t == null || t.reachable == reachable) return List.of();
    t.reachable = reachable;
    if (!baselined || !t.status.upOrLater()) return List.of();
    return List.of(reachable
        ? event(ClusterEvent.MEMBER_REACHABLE, ClusterEvent.Severity.INFO, m, "node " + m.nodeId() + " is reachable again")
        : event(ClusterEvent.MEMBER_UNREACHABLE, ClusterEvent.Severity.WARNING, m,
            "node " + m.nodeId() + " is unreachable (the failure detector lost it)"));
  }

  private static ClusterEvent event(String kind, ClusterEvent.Severity severity, Member m, String message) {
    return event(kind, severity, m, message, Map.of());
  }

  private static ClusterEvent event(String kind, ClusterEvent.Severity severity, Member m, String message,
      Map<String, Object> extra) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("member", m.nodeId());
    details.put("address", m.address());
    // A string: a 64-bit uid does not survive JSON consumers that read numbers as doubles.
    details.put("uid", Long.toString(m.uid()));
    details.putAll(extra);
    return ClusterEvent.of(kind, severity, message, details);
  }
}
