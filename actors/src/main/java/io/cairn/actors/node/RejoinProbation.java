package io.cairn.actors.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which members are on probation after a return: a node seen as a member, then not (it left,
 * failed or became unreachable), then a member again, is on probation until it has been one
 * without a break for {@code stableAfter}. A node seen for the first time (a new node, or every
 * node when this one starts) is not: only a return has to prove itself. This node itself never is.
 * Not thread-safe (the node directory's actor owns it).
 */
final class RejoinProbation {
  private final Duration stableAfter;
  /** Since when (nanoTime) each current member has been one without a break. */
  private final Map<String, Long> memberSinceNs = new HashMap<>();
  /** Members that came back and are not yet stable, and nodes gone that were members. */
  private final Set<String> returned = new HashSet<>();
  private Set<String> last = Set.of();

  RejoinProbation(Duration stableAfter) {
    this.stableAfter = stableAfter;
  }

  /** The members now ({@code memberIds}, at {@code nowNs}); returns those on probation. */
  Set<String> update(Set<String> memberIds, String self, long nowNs) {
    for (String gone : new ArrayList<>(memberSinceNs.keySet())) {
      if (memberIds.contains(gone)) continue;
      memberSinceNs.remove(gone);
      if (!stableAfter.isZero() && !gone.equals(self)) returned.add(gone);
    }
    Set<String> out = new TreeSet<>();
    for (String id : memberIds) {
      long since = memberSinceNs.computeIfAbsent(id, k -> nowNs);
      if (!returned.contains(id)) continue;
      if (nowNs - since >= stableAfter.toNanos()) {
        returned.remove(id);
      } else {
        out.add(id);
      }
    }
    last = Set.copyOf(out);
    return last;
  }

  /** Those on probation at the last update. */
  Set<String> onProbation() {
    return last;
  }
}
