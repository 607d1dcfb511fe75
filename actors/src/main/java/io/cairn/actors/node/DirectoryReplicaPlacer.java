package io.cairn.actors.node;

import io.cairn.datapath.extentstore.replicated.ReplicaPlacer;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.Placement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The {@link ReplicaPlacer} of a node: {@link Placement} over the node directory's members (Up and
 * reachable), this node preferred, keyed by the egroup id. A member whose disks have less than
 * {@code minFreeBytes} free (room for one extent group) is not eligible; a member's undrained
 * OpLog bytes are its load. A member on probation after a return ({@link NodeDirectory.View#probation})
 * is skipped while enough others are eligible. When fewer than RF members are eligible it returns
 * those it has, so the replicated store's error names them. Any thread; reads the directory's
 * current view.
 */
public final class DirectoryReplicaPlacer implements ReplicaPlacer {
  private final String localNodeId;
  private final Supplier<NodeDirectory.View> view;
  private final long minFreeBytes;

  /**
   * @param localNodeId this node, placed first when it is eligible
   * @param view the current directory view (e.g. {@code directory::view})
   * @param minFreeBytes free bytes a member needs to be eligible (the extent group size)
   */
  public DirectoryReplicaPlacer(String localNodeId, Supplier<NodeDirectory.View> view, long minFreeBytes) {
    this.localNodeId = localNodeId;
    this.view = view;
    this.minFreeBytes = minFreeBytes;
  }

  @Override
  public List<String> place(long egroupId, int rf) {
    List<Candidate> candidates = new ArrayList<>();
    Set<String> full = new HashSet<>();
    List<String> eligible = new ArrayList<>();
    for (NodeInfo n : view.get().placeable(rf)) {
      candidates.add(new Candidate(n.nodeId(), n.block(), n.rack(), n.capacityBytes(), Math.max(0, n.usedBytes()),
          Math.max(0, n.oplogBytes())));
      if (n.capacityBytes() - n.usedBytes() < minFreeBytes) {
        full.add(n.nodeId());
      } else {
        eligible.add(n.nodeId());
      }
    }
    if (eligible.size() < rf) return List.copyOf(eligible);
    return Placement.place(candidates, rf, egroupId, localNodeId, full).nodeIds();
  }

  /**
   * One more node for an egroup that keeps its replicas on {@code existing} and must not use
   * {@code excluded} (nodes of lost replicas): the placement of {@code existing.size() + 1}
   * replicas that keeps {@code existing}, honouring availability domains as {@link #place} does,
   * with {@code preferred} chosen when it qualifies (null: none). Empty when no eligible member is
   * left.
   */
  public java.util.Optional<String> placeOneMore(long egroupId, List<String> existing, Set<String> excluded,
      String preferred) {
    List<Candidate> candidates = new ArrayList<>();
    Set<String> full = new HashSet<>(excluded);
    int eligible = 0;
    NodeDirectory.View v = view.get();
    long stableNew = v.members().stream().filter(n -> !v.probation().contains(n.nodeId()) && !excluded.contains(n.nodeId())
        && !existing.contains(n.nodeId()) && n.capacityBytes() - n.usedBytes() >= minFreeBytes).count();
    for (NodeInfo n : v.members()) {
      // a member on probation is no candidate for the new replica while a stable one is
      if (stableNew > 0 && v.probation().contains(n.nodeId()) && !existing.contains(n.nodeId())) continue;
      candidates.add(new Candidate(n.nodeId(), n.block(), n.rack(), n.capacityBytes(), Math.max(0, n.usedBytes()),
          Math.max(0, n.oplogBytes())));
      if (n.capacityBytes() - n.usedBytes() < minFreeBytes) {
        full.add(n.nodeId());
      } else if (!excluded.contains(n.nodeId()) && !existing.contains(n.nodeId())) {
        eligible++;
      }
    }
    List<String> kept = existing.stream().filter(id -> candidates.stream().anyMatch(c -> c.nodeId().equals(id))).toList();
    full.removeAll(kept);
    if (eligible == 0) return java.util.Optional.empty();
    List<String> placed = Placement.place(candidates, kept.size() + 1, egroupId, preferred, full, kept).nodeIds();
    return placed.stream().filter(id -> !kept.contains(id)).findFirst();
  }
}
