package io.cairn.actors.curator;

import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.egroup.Replica;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.ReplicaSpread;
import io.cairn.datapath.replication.ReplicatedOpLog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  /** OpLog episodes with their copies, keyed by (vDisk, episode). */
  static ReplicaSpread ofEpisodes(List<ReplicatedOpLog.EpisodeCopies> episodes, NodeDirectory.View view) {
    ReplicaSpread.Builder b = builder(view);
    for (ReplicatedOpLog.EpisodeCopies e : episodes) {
      b.add((e.vdiskId() << 24) ^ e.episode(), "vDisk " + e.vdiskId() + " episode " + e.episode(), e.rf(), e.nodes());
    }
    return b.build();
  }

  private static ReplicaSpread.Builder builder(NodeDirectory.View view) {
    Map<String, Candidate> live = new HashMap<>();
    for (NodeInfo n : view.members()) live.put(n.nodeId(), n.asCandidate());
    Map<String, Candidate> known = new HashMap<>();
    view.published().forEach((id, n) -> known.put(id, n.asCandidate()));
    return new ReplicaSpread.Builder(live, known);
  }
}
