package io.cairn.datapath.target;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node-local view of the targets this node's portal exports. Written by the actor that
 * mirrors the cluster configuration, read by portal threads on every login and command; reads
 * are lock-free, each {@link TargetInfo} is immutable and replaced whole.
 */
public final class TargetCatalog {

  private final Map<String, TargetInfo> byIqn = new ConcurrentHashMap<>();

  /** The target with this IQN, if exported. */
  public Optional<TargetInfo> target(String iqn) {
    return Optional.ofNullable(byIqn.get(iqn));
  }

  /** Every exported target, ordered by IQN (the SendTargets answer). */
  public List<TargetInfo> targets() {
    return byIqn.values().stream().sorted(Comparator.comparing(TargetInfo::iqn)).toList();
  }

  /** Adds or replaces a target. */
  public void put(TargetInfo target) {
    byIqn.put(target.iqn(), target);
  }

  /** Stops exporting a target; existing sessions see its LUNs disappear. */
  public void remove(String iqn) {
    byIqn.remove(iqn);
  }

  /** Replaces the whole set of targets. */
  public void replaceAll(List<TargetInfo> targets) {
    Map<String, TargetInfo> next = new ConcurrentHashMap<>();
    for (TargetInfo t : targets) next.put(t.iqn(), t);
    byIqn.keySet().retainAll(next.keySet());
    byIqn.putAll(next);
  }
}
