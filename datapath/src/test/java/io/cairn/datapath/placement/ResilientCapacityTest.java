package io.cairn.datapath.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResilientCapacityTest {

  private static final long TIB = 1L << 40;

  /** Block i holds the nodes given for it (each node's capacity in TiB), all in rack r1. */
  private static List<Candidate> blocks(long usedTib, long[]... nodeTibPerBlock) {
    List<Candidate> out = new ArrayList<>();
    int n = 0;
    long nodes = 0;
    for (long[] b : nodeTibPerBlock) nodes += b.length;
    for (int b = 0; b < nodeTibPerBlock.length; b++) {
      for (long tib : nodeTibPerBlock[b]) {
        out.add(new Candidate("n" + n++, "b" + (b + 1), "r1", tib * TIB, usedTib * TIB / nodes, 0));
      }
    }
    return out;
  }

  @Test
  void shouldPlanForTheLargestBlockWhenBlocksDifferInSize() {
    // The AOS example: blocks of 40, 20, 20 and 20 TiB, RF2 (one failure): 100 - 40 = 60 TiB.
    List<Candidate> nodes = blocks(30, new long[] {10, 10, 10, 10}, new long[] {10, 10}, new long[] {10, 10},
        new long[] {20});
    ResilientCapacity.Summary s = ResilientCapacity.compute(nodes, 2, 0.75);
    ResilientCapacity.Level block = s.levels().get(Awareness.BLOCK);
    assertEquals(Awareness.BLOCK, s.awareness(), "4 blocks >= 3: block awareness");
    assertEquals(100 * TIB, block.totalBytes());
    assertEquals(List.of("b1"), block.worst());
    assertEquals(40 * TIB, block.worstBytes());
    assertEquals(60 * TIB, block.resilientBytes());
    assertEquals(0.5, block.ratio(), 1e-9);
    assertFalse(block.overThreshold());
    assertEquals(block, s.headline());
    // At node level the worst case is the 20 TiB node.
    ResilientCapacity.Level node = s.levels().get(Awareness.NODE);
    assertEquals(List.of("n8"), node.worst());
    assertEquals(80 * TIB, node.resilientBytes());
  }

  @Test
  void shouldTakeTheWorstDomainLossNotTheLargest() {
    // The reviewer's counter-example: blocks A={a1}, B={b1}, C={c1..c4}, every node 100 TiB, RF2.
    // Losing a1 (or b1) leaves 2 blocks (node awareness: 500 TiB); losing c1 keeps 3 blocks, block
    // awareness: C can only mirror what A and B hold, usableRaw([300, 100, 100]) = 400 TiB.
    List<Candidate> nodes = blocks(0, new long[] {100}, new long[] {100}, new long[] {100, 100, 100, 100});
    assertEquals(400 * TIB, ResilientCapacity.usableRaw(List.of(300 * TIB, 100 * TIB, 100 * TIB), 2));
    ResilientCapacity.Level node = ResilientCapacity.level(nodes, Awareness.NODE, 1, 2, 0.75);
    assertEquals(400 * TIB, node.resilientBytes(), node.reason());
    assertEquals(List.of("n2"), node.worst(), "the first node of block C (c1)");
    assertTrue(node.reason().contains("block"), node.reason());
  }

  @Test
  void shouldLoseOneEqualNodeOfAHomogeneousCluster() {
    List<Candidate> nodes = blocks(0, new long[] {8}, new long[] {8}, new long[] {8}, new long[] {8});
    ResilientCapacity.Level node = ResilientCapacity.compute(nodes, 2, 0.75).levels().get(Awareness.NODE);
    assertEquals(24 * TIB, node.resilientBytes());
    assertEquals(1, node.failures());
    // RF3 plans for two failures: on four nodes the two left cannot hold three copies, on five they can.
    assertEquals(2, ResilientCapacity.compute(nodes, 3, 0.75).levels().get(Awareness.NODE).failures());
    assertEquals(0, ResilientCapacity.compute(nodes, 3, 0.75).levels().get(Awareness.NODE).resilientBytes());
    List<Candidate> five = blocks(0, new long[] {8}, new long[] {8}, new long[] {8}, new long[] {8}, new long[] {8});
    assertEquals(24 * TIB, ResilientCapacity.compute(five, 3, 0.75).levels().get(Awareness.NODE).resilientBytes());
  }

  @Test
  void shouldWarnWhenUsageIsOverTheThresholdOfResilientCapacity() {
    // 3 x 10 TiB, RF2: resilient 20 TiB; 16 TiB used is 80% of it.
    List<Candidate> nodes = blocks(16, new long[] {10}, new long[] {10}, new long[] {10});
    ResilientCapacity.Summary s = ResilientCapacity.compute(nodes, 2, 0.75);
    assertEquals(20 * TIB, s.headline().resilientBytes());
    assertEquals(0.8, s.headline().ratio(), 1e-9);
    assertTrue(s.headline().overThreshold());
    assertFalse(ResilientCapacity.compute(nodes, 2, 0.85).headline().overThreshold(), "under an 85% threshold");
  }

  @Test
  void shouldNotCountWhatASurvivorCannotMirror() {
    // Nodes of 50, 10, 10, 10 TiB: losing the 50 leaves 30; losing a 10 leaves 70, but RF2 copies
    // on distinct nodes can use only 40 of it (the 50 TiB node mirrors what the two others hold).
    List<Candidate> nodes = blocks(0, new long[] {50}, new long[] {10}, new long[] {10}, new long[] {10});
    assertEquals(30 * TIB, ResilientCapacity.resilientBytes(nodes, Awareness.NODE, 1, 2));
    List<Candidate> withoutSmall = nodes.subList(0, 3);
    assertEquals(40 * TIB, ResilientCapacity.level(withoutSmall, Awareness.NODE, 0, 2, 0.75).resilientBytes());
    assertEquals(40 * TIB, ResilientCapacity.usableRaw(List.of(50 * TIB, 10 * TIB, 10 * TIB), 2));
    assertEquals(60 * TIB, ResilientCapacity.usableRaw(List.of(20 * TIB, 20 * TIB, 20 * TIB), 2));
    assertEquals(0, ResilientCapacity.usableRaw(List.of(20 * TIB), 2));
  }

  @Test
  void shouldHaveNoResilientCapacityWhenTooFewNodesWouldRemain() {
    List<Candidate> two = blocks(1, new long[] {10}, new long[] {10});
    ResilientCapacity.Level node = ResilientCapacity.compute(two, 2, 0.75).levels().get(Awareness.NODE);
    assertEquals(0, node.resilientBytes());
    assertTrue(Double.isNaN(node.ratio()));
    assertTrue(node.overThreshold(), "any use cannot be rebuilt");
    assertTrue(node.reason().contains("cannot be rebuilt"), node.reason());
    // One rack: losing it loses everything, but placement does not keep copies apart by rack, so
    // that failure is not planned for and raises no warning.
    ResilientCapacity.Level rack = ResilientCapacity.compute(two, 2, 0.75).levels().get(Awareness.RACK);
    assertEquals(0, rack.resilientBytes());
    assertFalse(rack.planned());
    assertFalse(rack.overThreshold());
    assertTrue(node.planned());
  }

  @Test
  void shouldUseTheWholePoolForRf1() {
    List<Candidate> nodes = blocks(3, new long[] {10}, new long[] {5});
    ResilientCapacity.Summary s = ResilientCapacity.compute(nodes, 1, 0.75);
    assertEquals(Awareness.NODE, s.awareness());
    assertEquals(0, s.headline().failures());
    assertEquals(15 * TIB, s.headline().resilientBytes());
  }
}
