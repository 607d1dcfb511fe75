package io.cairn.datapath.placement;

import static io.cairn.datapath.placement.FaultTolerance.Component.DATA;
import static io.cairn.datapath.placement.FaultTolerance.Component.METADATA;
import static io.cairn.datapath.placement.FaultTolerance.Component.OPLOG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultToleranceTest {

  private static final long TIB = 1L << 40;

  /** Node "n" + i in block blocks[i] and rack racks[i], 10 TiB each, {@code usedTib} in all. */
  private static List<Candidate> nodes(String[] blocks, String[] racks, long usedTib) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < blocks.length; i++) {
      out.add(new Candidate("n" + (i + 1), blocks[i], racks[i], 10 * TIB, usedTib * TIB / blocks.length, 0));
    }
    return out;
  }

  private static List<Candidate> threeBlocksOneRack(long usedTib) {
    return nodes(new String[] {"b1", "b2", "b3"}, new String[] {"r1", "r1", "r1"}, usedTib);
  }

  private static Map<String, Candidate> byId(List<Candidate> nodes) {
    Map<String, Candidate> m = new LinkedHashMap<>();
    for (Candidate c : nodes) m.put(c.nodeId(), c);
    return m;
  }

  /** Egroups 1..n: egroup k has its replicas on the nodes of {@code placements[k % placements.length]}. */
  private static ReplicaSpread egroups(List<Candidate> live, List<Candidate> known, int n, List<List<String>> placements) {
    ReplicaSpread.Builder b = new ReplicaSpread.Builder(byId(live), byId(known));
    for (int k = 1; k <= n; k++) {
      List<String> replicas = placements.get(k % placements.size());
      b.add(k, "egroup " + k, replicas.size(), replicas);
    }
    return b.build();
  }

  private static FaultTolerance.Report report(List<Candidate> live, ReplicaSpread data, ReplicaSpread oplog, int rf) {
    return FaultTolerance.compute(new FaultTolerance.Input(live, live.size(), new FaultTolerance.Scan(data, oplog, "scan 1"), rf));
  }

  private static final List<List<String>> SPREAD_RF2 = List.of(List.of("n1", "n2"), List.of("n2", "n3"), List.of("n3", "n1"));

  @Test
  void shouldTolerateOneNodeAndOneBlockForRf2OverThreeBlocks() {
    List<Candidate> live = threeBlocksOneRack(3);
    FaultTolerance.Report r = report(live, egroups(live, live, 30, SPREAD_RF2), ReplicaSpread.EMPTY, 2);
    assertEquals(1, r.of(Awareness.NODE, DATA).failures(), r.of(Awareness.NODE, DATA).toString());
    assertEquals(1, r.of(Awareness.BLOCK, DATA).failures(), r.of(Awareness.BLOCK, DATA).toString());
    assertTrue(r.of(Awareness.NODE, DATA).reason().contains("every extent group (30) of RF2 has its replicas on 2 distinct nodes"),
        r.of(Awareness.NODE, DATA).reason());
    assertEquals(0, r.of(Awareness.RACK, DATA).failures());
    assertEquals("only 1 rack: RF2 rack awareness needs 3, placement fell back to block awareness",
        r.of(Awareness.RACK, DATA).reason());
    assertEquals(1, r.of(Awareness.NODE, METADATA).failures());
    assertTrue(r.of(Awareness.NODE, METADATA).reason().startsWith("keep-majority membership over 3 member(s) tolerates 1"),
        r.of(Awareness.NODE, METADATA).reason());
    assertTrue(r.of(Awareness.NODE, METADATA).reason().contains("journal database is external"));
    assertEquals(1, r.of(Awareness.BLOCK, METADATA).failures());
    assertEquals(0, r.of(Awareness.RACK, METADATA).failures());
  }

  @Test
  void shouldReportZeroAtALevelPlacementFellBackFrom() {
    // Four nodes in two blocks: every egroup happens to span both blocks, but placement does not
    // keep copies apart by block (RF2 needs 3 blocks), so new and rebuilt copies may share one.
    List<Candidate> live = nodes(new String[] {"b1", "b1", "b2", "b2"}, new String[] {"r1", "r1", "r1", "r1"}, 0);
    ReplicaSpread data = egroups(live, live, 20, List.of(List.of("n1", "n3"), List.of("n2", "n4")));
    FaultTolerance.Report r = report(live, data, ReplicaSpread.EMPTY, 2);
    FaultTolerance.Tolerance block = r.of(Awareness.BLOCK, DATA);
    assertEquals(0, block.failures());
    assertEquals("only 2 blocks: RF2 block awareness needs 3, placement fell back to node awareness", block.reason());
    assertTrue(block.limits().stream().anyMatch(l -> l.failures() == 1 && l.reason().startsWith("every extent group (20)")),
        "the spread alone would tolerate a block: " + block.limits());
    assertEquals(1, r.of(Awareness.NODE, DATA).failures());
    assertEquals(0, r.of(Awareness.BLOCK, OPLOG).failures());
  }

  @Test
  void shouldNameTheExtentGroupWhoseReplicasShareABlock() {
    List<Candidate> live = nodes(new String[] {"b1", "b1", "b2", "b3"}, new String[] {"r1", "r1", "r1", "r1"}, 0);
    ReplicaSpread data = egroups(live, live, 12, List.of(List.of("n1", "n3"), List.of("n2", "n4"), List.of("n1", "n2")));
    FaultTolerance.Report r = report(live, data, ReplicaSpread.EMPTY, 2);
    FaultTolerance.Tolerance block = r.of(Awareness.BLOCK, DATA);
    assertEquals(0, block.failures());
    // egroups 2, 5, 8, 11 are on n1 + n2 (both in b1); the lowest id is named.
    assertEquals("egroup 2 has both replicas in block b1; 3 other(s) as close", block.reason());
    assertEquals(1, r.of(Awareness.NODE, DATA).failures());
  }

  @Test
  void shouldDropDataToleranceToZeroForAnUnderReplicatedExtentGroup() {
    List<Candidate> all = threeBlocksOneRack(0);
    List<Candidate> live = all.subList(0, 2); // n3 failed, not yet rebuilt
    ReplicaSpread data = egroups(live, all, 30, SPREAD_RF2);
    FaultTolerance.Report r = report(live, data, ReplicaSpread.EMPTY, 2);
    FaultTolerance.Tolerance node = r.of(Awareness.NODE, DATA);
    assertEquals(0, node.failures());
    // egroups 1, 2, 4, 5, ... hold a replica on n3; egroup 1 (n2 + n3) is the first.
    assertTrue(node.reason().startsWith("egroup 1 has 1 of its 2 replicas on live nodes; 19 other(s) as few"), node.reason());
    assertEquals(0, r.of(Awareness.BLOCK, DATA).failures());
    assertEquals(0, r.of(Awareness.NODE, METADATA).failures(), "keep-majority over 2 nodes tolerates none");
    ReplicaSpread.Holder n3 = data.holders().stream().filter(h -> h.nodeId().equals("n3")).findFirst().orElseThrow();
    assertEquals(20, n3.copies());
    assertEquals("b3", n3.block(), "the gone node's domains come from its last known entry");
  }

  @Test
  void shouldLowerToleranceForANodeGoneSinceTheScan() {
    List<Candidate> all = threeBlocksOneRack(0);
    ReplicaSpread data = egroups(all, all, 30, SPREAD_RF2); // scanned while n3 was up
    FaultTolerance.Report r = report(all.subList(0, 2), data, ReplicaSpread.EMPTY, 2);
    FaultTolerance.Tolerance node = r.of(Awareness.NODE, DATA);
    assertEquals(0, node.failures());
    assertTrue(node.limits().stream().anyMatch(l -> l.failures() == 0
        && l.reason().startsWith("n3 (20 copies) held copies at scan 1 and is not live now")), node.limits().toString());
  }

  @Test
  void shouldCapDataToleranceWhenARebuildWouldNotFit() {
    // 3 x 10 TiB with 25 TiB used: after losing a node, 20 TiB would have to hold 25 TiB.
    List<Candidate> live = threeBlocksOneRack(25);
    FaultTolerance.Tolerance node = report(live, egroups(live, live, 30, SPREAD_RF2), ReplicaSpread.EMPTY, 2)
        .of(Awareness.NODE, DATA);
    assertEquals(0, node.failures());
    assertTrue(node.reason().startsWith("a rebuild after 1 node failure needs 25.0 TiB but losing node n1 (10.0 TiB)"),
        node.reason());
  }

  @Test
  void shouldCapRf3ByTheNodesLeftToRestoreIt() {
    List<Candidate> live = nodes(new String[] {"b1", "b2", "b3", "b4"}, new String[] {"r1", "r1", "r1", "r1"}, 0);
    ReplicaSpread data = egroups(live, live, 8, List.of(List.of("n1", "n2", "n3"), List.of("n2", "n3", "n4")));
    FaultTolerance.Tolerance node = report(live, data, ReplicaSpread.EMPTY, 3).of(Awareness.NODE, DATA);
    assertEquals(1, node.failures());
    assertEquals("only 4 nodes: after 2 node failures fewer than 3 remain to restore RF3 (tolerating 2 needs 5)", node.reason());
  }

  @Test
  void shouldJudgeTheOpLogByItsOpenEpisodesOrElseByPlacement() {
    List<Candidate> live = threeBlocksOneRack(0);
    ReplicaSpread.Builder ep = new ReplicaSpread.Builder(byId(live), byId(live));
    ep.add(7L << 20, "vDisk 7 episode 0", 2, List.of("n1", "n2"));
    ep.add((7L << 20) + 1, "vDisk 7 episode 1", 2, List.of("n1", "n4")); // n4 is no live member
    FaultTolerance.Tolerance withEpisodes = report(live, ReplicaSpread.EMPTY, ep.build(), 2).of(Awareness.NODE, OPLOG);
    assertEquals(0, withEpisodes.failures());
    assertTrue(withEpisodes.reason().startsWith("vDisk 7 episode 1 has 1 of its 2 OpLog copies on live nodes"),
        withEpisodes.reason());
    FaultTolerance.Tolerance none = report(live, ReplicaSpread.EMPTY, ReplicaSpread.EMPTY, 2).of(Awareness.NODE, OPLOG);
    assertEquals(1, none.failures(), none.toString());
    assertTrue(none.limits().get(0).reason().startsWith("no open OpLog episode at scan 1; new ones get up to RF2"), none.toString());
  }

  @Test
  void shouldBeUnknownBeforeTheFirstScan() {
    List<Candidate> live = threeBlocksOneRack(0);
    FaultTolerance.Report r = FaultTolerance.compute(new FaultTolerance.Input(live, 3, null, 2));
    assertEquals(FaultTolerance.UNKNOWN, r.of(Awareness.NODE, DATA).failures());
    assertEquals(FaultTolerance.UNKNOWN, r.of(Awareness.BLOCK, OPLOG).failures());
    assertEquals(1, r.of(Awareness.NODE, METADATA).failures(), "membership is known without a scan");
  }

  @Test
  void shouldGiveNoToleranceFromAnIncompleteScan() {
    List<Candidate> live = threeBlocksOneRack(3);
    FaultTolerance.Scan partial = new FaultTolerance.Scan(egroups(live, live, 30, SPREAD_RF2), ReplicaSpread.EMPTY, "scan 1",
        "1 of 3 shares reported");
    FaultTolerance.Report r = FaultTolerance.compute(new FaultTolerance.Input(live, 3, partial, 2));
    for (FaultTolerance.Component c : List.of(DATA, OPLOG)) {
      FaultTolerance.Tolerance t = r.of(Awareness.NODE, c);
      assertEquals(FaultTolerance.UNKNOWN, t.failures(), t.toString());
      assertTrue(t.reason().startsWith("scan 1 is incomplete (1 of 3 shares reported)"), t.reason());
    }
    assertEquals(1, r.of(Awareness.NODE, METADATA).failures(), "membership does not need a scan");
  }

  @Test
  void shouldCountTheLargestContainerRfEvenWhenItsContainerIsEmpty() {
    // RF2 data over 4 nodes in 4 blocks; an empty RF3 container: placement of RF3 over 4 nodes
    // (fewer than 5 blocks) falls back to node awareness, and 4 nodes restore RF3 after one failure only.
    List<Candidate> live = nodes(new String[] {"b1", "b2", "b3", "b4"}, new String[] {"r1", "r1", "r1", "r1"}, 1);
    List<List<String>> rf2 = List.of(List.of("n1", "n2"), List.of("n3", "n4"));
    FaultTolerance.Report only2 = report(live, egroups(live, live, 10, rf2), ReplicaSpread.EMPTY, 2);
    FaultTolerance.Report with3 = report(live, egroups(live, live, 10, rf2), ReplicaSpread.EMPTY, 3);
    assertEquals(1, only2.of(Awareness.BLOCK, DATA).failures(), only2.of(Awareness.BLOCK, DATA).toString());
    FaultTolerance.Tolerance t = with3.of(Awareness.BLOCK, DATA);
    assertEquals(0, t.failures(), t.toString());
    assertTrue(t.reason().contains("RF3 block awareness needs 5"), t.reason());
  }

  @Test
  void shouldSayRf1DataHasOneCopy() {
    List<Candidate> live = threeBlocksOneRack(3);
    FaultTolerance.Report r = report(live, egroups(live, live, 4, List.of(List.of("n1"))), ReplicaSpread.EMPTY, 1);
    for (Awareness level : Awareness.values()) {
      FaultTolerance.Tolerance t = r.of(level, DATA);
      assertEquals(0, t.failures(), t.toString());
      assertTrue(t.reason().startsWith("RF1 data: one copy (4 extent groups of RF1 containers"), t.reason());
    }
  }

  @Test
  void shouldKeepAMajorityAcrossUnequalBlocks() {
    // 5 nodes in blocks of 2, 2 and 1: losing a 2-node block leaves 3 of 5, losing two leaves 1.
    List<Candidate> live = nodes(new String[] {"b1", "b1", "b2", "b2", "b3"}, new String[] {"r1", "r1", "r2", "r2", "r1"}, 0);
    FaultTolerance.Report r = report(live, ReplicaSpread.EMPTY, ReplicaSpread.EMPTY, 2);
    assertEquals(2, r.of(Awareness.NODE, METADATA).failures());
    assertEquals(1, r.of(Awareness.BLOCK, METADATA).failures());
    assertTrue(r.of(Awareness.BLOCK, METADATA).reason().contains("losing the largest 1 block (2 nodes) keeps a majority, losing 2 does not"),
        r.of(Awareness.BLOCK, METADATA).reason());
    assertEquals(0, r.of(Awareness.RACK, METADATA).failures(), "rack r1 holds 3 of 5");
    // A member that is not reachable still counts in the majority: 4 live of 5 members tolerate 1 more.
    FaultTolerance.Report unreachable = FaultTolerance.compute(new FaultTolerance.Input(live.subList(0, 4), 5, null, 2));
    assertEquals(1, unreachable.of(Awareness.NODE, METADATA).failures());
    assertTrue(unreachable.of(Awareness.NODE, METADATA).reason().contains("(1 not reachable)"));
  }

  @Test
  void shouldMergeSharesIntoTheSameSpreadAsOneMap() {
    List<Candidate> live = threeBlocksOneRack(0);
    List<List<String>> placements = List.of(List.of("n1", "n2"), List.of("n1", "n3"), List.of("n1"));
    ReplicaSpread whole = egroups(live, live, 40, placements);
    ReplicaSpread.Builder even = new ReplicaSpread.Builder(byId(live), byId(live));
    ReplicaSpread.Builder odd = new ReplicaSpread.Builder(byId(live), byId(live));
    for (int k = 40; k >= 1; k--) { // another order: ties still go to the lowest id
      List<String> replicas = placements.get(k % placements.size());
      (k % 2 == 0 ? even : odd).add(k, "egroup " + k, replicas.size(), replicas);
    }
    ReplicaSpread merged = even.build().merge(odd.build());
    assertEquals(whole, merged);
    assertEquals(40, merged.items());
    assertEquals(List.of(1, 2), merged.buckets().stream().map(ReplicaSpread.Bucket::copies).toList());
    ReplicaSpread.Least rf1 = merged.buckets().get(0).node();
    assertEquals(2, rf1.key(), "egroup 2 is the first RF1 egroup");
    assertEquals(13, rf1.items());
  }
}
