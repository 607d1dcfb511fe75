package io.cairn.actors.curator;

import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.egroup.Replica;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.ReplicaSpread;
import io.cairn.datapath.replication.ReplicatedOpLog;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The replica spreads a Chronos map reports for the fault-tolerance status, built from what the map
 * read: its share's extent groups, and this node's open OpLog episodes. A replica counts as live
 * when its node is an Up, reachable member in the node directory's view. Pure; any thread.
 */
final class ReplicaSpreads {
  private ReplicaSpreads() {}

  /** Extent groups with live extents (the ones a scan protects), keyed and named by id. */
  static ReplicaSpread ofEgroups(List<ExtentGroup.Info> infos, NodeDirectory.View view) {
    ReplicaSpread.Builder b = builder(view);
    for (ExtentGroup.Info i : infos) {
      if (!i.exists() || i.ownerVdisk() == 0) continue;
      List<String> nodes = new ArrayList<>(i.replicas().size());
      for (Replica r : i.replicas()) nodes.add(r.nodeId());
      b.add(i.egroupId(), "egroup " + i.egroupId(), nodes.size(), nodes);
    }
    return b.build();
  }

  /**
   * The OpLog episodes of a scan, from every map's report (by node): each writer's copy sets of its
   * open episodes (one item per peer set still holding records, the writer first) and the episodes
   * each node's replica log holds for other writers. An episode its writer reported is judged by
   * the writer's sets; a held episode of a vDisk some reporting node writes is that writer's (open,
   * or drained and about to be trimmed); any other held episode (a dead writer's, undrained) has
   * the nodes that hold it as its copies. Keyed by (vDisk, episode).
   */
  static ReplicaSpread ofEpisodes(Map<String, ReplicatedOpLog.OpLogReport> reports, NodeDirectory.View view) {
    List<ReplicatedOpLog.EpisodeCopies> written = new ArrayList<>();
    Set<Long> writing = new HashSet<>();
    for (ReplicatedOpLog.OpLogReport r : reports.values()) {
      written.addAll(r.open());
      writing.addAll(r.writing());
    }
    ReplicaSpread.Builder b = builder(view);
    Map<List<Long>, Integer> sets = new HashMap<>();
    for (ReplicatedOpLog.EpisodeCopies e : written) sets.merge(List.of(e.vdiskId(), e.episode()), 1, Integer::sum);
    Set<List<Long>> byWriter = new HashSet<>(sets.keySet());
    for (ReplicatedOpLog.EpisodeCopies e : written) {
      boolean several = sets.get(List.of(e.vdiskId(), e.episode())) > 1;
      b.add(key(e.vdiskId(), e.episode()), "vDisk " + e.vdiskId() + " episode " + e.episode()
          + (several ? " (records sent to " + String.join(", ", e.nodes()) + " before or after a peer was replaced)" : ""),
          e.rf(), e.nodes());
    }
    Map<List<Long>, Set<String>> holders = new TreeMap<>(Comparator.<List<Long>>comparingLong(k -> k.get(0))
        .thenComparingLong(k -> k.get(1)));
    Map<List<Long>, Integer> rfs = new HashMap<>();
    reports.forEach((node, r) -> {
      for (ReplicatedOpLog.HeldEpisode h : r.held()) {
        List<Long> k = List.of(h.vdiskId(), h.episode());
        if (byWriter.contains(k) || writing.contains(h.vdiskId())) continue;
        holders.computeIfAbsent(k, x -> new TreeSet<>()).add(node);
        rfs.merge(k, h.rf(), Math::max);
      }
    });
    holders.forEach((k, nodes) -> b.add(key(k.get(0), k.get(1)), "vDisk " + k.get(0) + " episode " + k.get(1)
        + " (no writer reported it; held by " + String.join(", ", nodes) + ")", rfs.get(k), List.copyOf(nodes)));
    return b.build();
  }

  private static long key(long vdiskId, long episode) {
    return (vdiskId << 24) ^ episode;
  }

  private static ReplicaSpread.Builder builder(NodeDirectory.View view) {
    Map<String, Candidate> live = new HashMap<>();
    for (NodeInfo n : view.members()) live.put(n.nodeId(), n.asCandidate());
    Map<String, Candidate> known = new HashMap<>();
    view.published().forEach((id, n) -> known.put(id, n.asCandidate()));
    return new ReplicaSpread.Builder(live, known);
  }
}
