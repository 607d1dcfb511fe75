package io.cairn.actors.curator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.actors.config.ConfigView;
import io.cairn.actors.config.ContainerSpec;
import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.egroup.Replica;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.actors.node.ReplicationFactors;
import io.cairn.config.HostPort;
import io.cairn.datapath.placement.ReplicaSpread;
import io.cairn.datapath.replication.ReplicatedOpLog;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaSpreadsTest {

  private static NodeInfo node(String id, String block) {
    return new NodeInfo(id, block, "rack-1", "pekko://cairn@127.0.0.1:" + id.length(), 1, new HostPort("127.0.0.1", 1),
        List.of(), new HostPort("127.0.0.1", 2), List.of(new NodeInfo.Disk("disk-0", "SSD", 1L << 30, 0)), 0);
  }

  private static ExtentGroup.Info egroup(long id, long owner, String... nodes) {
    return new ExtentGroup.Info(id, true, java.util.Arrays.stream(nodes).map(n -> new Replica(n, "disk-0")).toList(), 4, 4096,
        new long[] {owner, 0, 0, 0}, new long[] {1, 0, 0, 0});
  }

  /** n1, n2 members; n3 published (gone, not yet pruned) in block b3. */
  private static final NodeDirectory.View VIEW = new NodeDirectory.View(List.of(node("n1", "b1"), node("n2", "b2")),
      Map.of("n1", node("n1", "b1"), "n2", node("n2", "b2"), "n3", node("n3", "b3")));

  @Test
  void shouldCountOnlyLiveReplicasOfExtentGroupsWithLiveExtents() {
    ReplicaSpread s = ReplicaSpreads.ofEgroups(List.of(
        egroup(10, 7, "n1", "n2"),
        egroup(11, 7, "n2", "n3"), // n3 is not a member: one live replica
        egroup(12, 0, "n1"), // no live extents: not protected, not counted
        new ExtentGroup.Info(13, false, List.of(), 0, 4096, new long[0], new long[0])), VIEW);
    assertEquals(2, s.items());
    ReplicaSpread.Bucket rf2 = s.buckets().get(0);
    assertEquals(2, rf2.copies());
    assertEquals(1, rf2.node().distinct());
    assertEquals("egroup 11", rf2.node().item());
    assertEquals(1, rf2.node().live());
    assertEquals(List.of("b2"), rf2.block().domains());
    ReplicaSpread.Holder n3 = s.holders().get(2);
    assertEquals("n3", n3.nodeId());
    assertEquals("b3", n3.block(), "known from its published entry");
    assertFalse(n3.live());
    assertTrue(s.holders().get(0).live());
  }

  @Test
  void shouldNameOpLogEpisodesByVDiskAndEpisode() {
    ReplicaSpread s = ReplicaSpreads.ofEpisodes(Map.of("n1", written(List.of(new ReplicatedOpLog.EpisodeCopies(7, 0, 2,
        List.of("n1", "n2")), new ReplicatedOpLog.EpisodeCopies(7, 3, 2, List.of("n1", "n9"))))), VIEW);
    assertEquals("vDisk 7 episode 3", s.buckets().get(0).node().item());
    assertEquals("?", s.holders().stream().filter(h -> h.nodeId().equals("n9")).findFirst().orElseThrow().block());
  }

  @Test
  void shouldCountADeadWritersEpisodeByTheNodesHoldingIt() {
    // n9 (not a member) wrote vDisk 8 episode 2 and died: only its peers' replica logs hold it.
    ReplicaSpread s = ReplicaSpreads.ofEpisodes(Map.of(
        "n1", written(List.of(new ReplicatedOpLog.EpisodeCopies(7, 0, 2, List.of("n1", "n2")))),
        "n2", new ReplicatedOpLog.OpLogReport(List.of(), List.of(), List.of(new ReplicatedOpLog.HeldEpisode(8, 2, 2),
            new ReplicatedOpLog.HeldEpisode(7, 0, 2), new ReplicatedOpLog.HeldEpisode(7, 5, 2)))), VIEW);
    ReplicaSpread.Least least = s.buckets().get(0).node();
    assertEquals(2, s.items(), "the writer's episode once (its holder adds nothing; episode 5 of the vDisk n1 writes is"
        + " drained, not yet trimmed), the dead writer's once");
    assertEquals(1, least.live());
    assertEquals("vDisk 8 episode 2 (no writer reported it; held by n2)", least.item());
  }

  @Test
  void shouldReportEachPeerSetOfAnEpisodeWhosePeerWasReplaced() {
    // Records before the replacement are on {n1, n3} (n3 is not live), after it on {n1, n2}.
    ReplicaSpread s = ReplicaSpreads.ofEpisodes(Map.of("n1", written(List.of(new ReplicatedOpLog.EpisodeCopies(7, 0, 2,
        List.of("n1", "n3")), new ReplicatedOpLog.EpisodeCopies(7, 0, 2, List.of("n1", "n2"))))), VIEW);
    ReplicaSpread.Least least = s.buckets().get(0).node();
    assertEquals(1, least.live(), "the older records have one live copy");
    assertEquals(0, least.distinct() - 1);
    assertTrue(least.item().contains("records sent to n1, n3"), least.item());
  }

  @Test
  void shouldKnowTheLargestContainerRf() {
    ReplicationFactors f = new ReplicationFactors();
    assertEquals(ReplicationFactors.UNKNOWN, f.maxContainerRf(), "nothing seen yet");
    f.update(new ConfigView(List.of(new ContainerSpec(1, "default", 1), new ContainerSpec(2, "gold", 3),
        new ContainerSpec(3, "silver", 2)), List.of(), List.of()));
    assertEquals(3, f.maxContainerRf());
  }

  /** A writer's report: its open episodes, and the vDisks they are of as the ones it writes. */
  private static ReplicatedOpLog.OpLogReport written(List<ReplicatedOpLog.EpisodeCopies> open) {
    return new ReplicatedOpLog.OpLogReport(open, open.stream().map(ReplicatedOpLog.EpisodeCopies::vdiskId).distinct().toList(),
        List.of());
  }
}
