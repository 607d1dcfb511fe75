package io.cairn.datapath.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PlacementTest {

  private static final long TIB = 1L << 40;

  /** n nodes n0..n(n-1), node i in block "b" + (i % blocks) and rack "r" + (i % racks), 10% full. */
  private static List<Candidate> cluster(int n, int blocks, int racks) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Candidate("n" + i, "b" + (i % blocks), "r" + (i % racks), TIB, TIB / 10, 1.0));
    }
    return out;
  }

  private static Set<String> domains(Placement.Result r, Function<Candidate, String> domain) {
    Set<String> s = new HashSet<>();
    for (Candidate c : r.replicas()) s.add(domain.apply(c));
    return s;
  }

  @Test
  void shouldNeedThreeDomainsForRf2AndFiveForRf3() {
    assertEquals(1, Placement.minDomains(1));
    assertEquals(3, Placement.minDomains(2));
    assertEquals(5, Placement.minDomains(3));
    assertThrows(IllegalArgumentException.class, () -> Placement.minDomains(0));
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void shouldPlaceInDistinctRacksWhenThereAreEnoughRacks(int rf) {
    int racks = Placement.minDomains(rf);
    List<Candidate> nodes = cluster(racks * 2, racks * 2, racks); // two nodes, two blocks per rack
    for (long key = 0; key < 200; key++) {
      Placement.Result r = Placement.place(nodes, rf, key, null, Set.of());
      assertEquals(Awareness.RACK, r.awareness());
      assertEquals(rf, r.replicas().size());
      assertEquals(rf, domains(r, Candidate::rack).size(), "racks of " + r.nodeIds());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void shouldFallBackToBlockAwarenessWhenRacksAreTooFew(int rf) {
    int blocks = Placement.minDomains(rf);
    List<Candidate> nodes = cluster(blocks * 2, blocks, Placement.minDomains(rf) - 1);
    for (long key = 0; key < 200; key++) {
      Placement.Result r = Placement.place(nodes, rf, key, null, Set.of());
      assertEquals(Awareness.BLOCK, r.awareness(), r.reason());
      assertEquals(rf, domains(r, Candidate::block).size(), "blocks of " + r.nodeIds());
    }
  }

  @Test
  void shouldFallBackToNodeAwarenessWithTwoBlocksForRf2() {
    List<Candidate> nodes = cluster(4, 2, 1);
    Placement.Result r = Placement.place(nodes, 2, 42, null, Set.of());
    assertEquals(Awareness.NODE, r.awareness());
    assertEquals(2, new HashSet<>(r.nodeIds()).size());
    assertTrue(r.reason().contains("1 rack(s) and 2 block(s) < 3 needed for RF2"), r.reason());
  }

  @Test
  void shouldUseBlockAwarenessForRf2WithThreeBlocksButNotForRf3() {
    List<Candidate> nodes = cluster(6, 3, 1);
    assertEquals(Awareness.BLOCK, Placement.awareness(nodes, 2).awareness());
    assertEquals(Awareness.NODE, Placement.awareness(nodes, 3).awareness());
  }

  @Test
  void shouldFailClearlyWhenFewerNodesThanRf() {
    List<Candidate> nodes = cluster(3, 3, 3);
    PlacementException e = assertThrows(PlacementException.class,
        () -> Placement.place(nodes, 3, 1, null, Set.of("n1")));
    assertTrue(e.getMessage().contains("RF3 needs 3 distinct nodes but only 2 of 3"), e.getMessage());
    assertTrue(e.getMessage().contains("n1"), e.getMessage());
  }

  @Test
  void shouldNeverChooseExcludedNodes() {
    List<Candidate> nodes = cluster(5, 5, 1);
    for (long key = 0; key < 100; key++) {
      Placement.Result r = Placement.place(nodes, 3, key, "n0", Set.of("n0", "n3"));
      assertFalse(r.nodeIds().contains("n0"));
      assertFalse(r.nodeIds().contains("n3"));
      assertEquals(3, new HashSet<>(r.nodeIds()).size());
      assertTrue(r.reason().contains("preferred node n0 is excluded"), r.reason());
    }
  }

  @Test
  void shouldPutThePreferredNodeFirst() {
    List<Candidate> nodes = cluster(6, 6, 1);
    for (long key = 0; key < 100; key++) {
      Placement.Result r = Placement.place(nodes, 2, key, "n4", Set.of());
      assertEquals("n4", r.nodeIds().get(0));
      assertEquals(Awareness.BLOCK, r.awareness());
      assertNotEquals("b4", r.replicas().get(1).block(), "the second replica avoids the preferred node's block");
    }
  }

  @Test
  void shouldSkipAPreferredNodeWithoutFreeSpace() {
    List<Candidate> nodes = new ArrayList<>(cluster(4, 4, 1));
    nodes.set(0, new Candidate("n0", "b0", "r0", TIB, TIB, 0));
    Placement.Result r = Placement.place(nodes, 2, 9, "n0", Set.of());
    assertFalse(r.nodeIds().contains("n0"));
    assertTrue(r.reason().contains("preferred node n0 has no free space"), r.reason());
  }

  @Test
  void shouldSpreadManyKeysOverEqualNodes() {
    List<Candidate> nodes = cluster(5, 5, 1);
    Map<String, Integer> share = new HashMap<>();
    Map<String, Integer> first = new HashMap<>();
    int keys = 5000;
    for (long key = 0; key < keys; key++) {
      Placement.Result r = Placement.place(nodes, 2, key * 4096, null, Set.of());
      for (String id : r.nodeIds()) share.merge(id, 1, Integer::sum);
      first.merge(r.nodeIds().get(0), 1, Integer::sum);
    }
    int expected = keys * 2 / 5;
    for (Candidate c : nodes) {
      int s = share.getOrDefault(c.nodeId(), 0);
      assertTrue(Math.abs(s - expected) < expected / 10, c.nodeId() + " got " + s + " of ~" + expected + ": " + share);
      int f = first.getOrDefault(c.nodeId(), 0);
      assertTrue(Math.abs(f - keys / 5) < keys / 50, c.nodeId() + " first " + f + ": " + first);
    }
  }

  @Test
  void shouldBeDeterministicForAKey() {
    List<Candidate> nodes = cluster(7, 7, 7);
    List<Candidate> reversed = new ArrayList<>(nodes);
    java.util.Collections.reverse(reversed);
    for (long key = 0; key < 50; key++) {
      assertEquals(Placement.place(nodes, 3, key, null, Set.of()).nodeIds(),
          Placement.place(reversed, 3, key, null, Set.of()).nodeIds(), "order of candidates must not matter");
    }
  }

  @Test
  void shouldPreferLessFullNodes() {
    List<Candidate> nodes = new ArrayList<>();
    nodes.add(new Candidate("full1", "b0", "r0", TIB, TIB * 9 / 10, 0));
    nodes.add(new Candidate("full2", "b1", "r0", TIB, TIB * 8 / 10, 0));
    nodes.add(new Candidate("empty1", "b2", "r0", TIB, TIB / 10, 0));
    nodes.add(new Candidate("empty2", "b3", "r0", TIB, 0, 0));
    for (long key = 0; key < 200; key++) {
      Placement.Result r = Placement.place(nodes, 2, key, null, Set.of());
      assertEquals(Set.of("empty1", "empty2"), new HashSet<>(r.nodeIds()), "key " + key);
    }
    // RF3 must take one full node: the less full one
    for (long key = 0; key < 200; key++) {
      Placement.Result r = Placement.place(nodes, 3, key, null, Set.of());
      assertEquals(Set.of("empty1", "empty2", "full2"), new HashSet<>(r.nodeIds()), "key " + key);
    }
  }

  @Test
  void shouldPreferLessLoadedNodesOfEqualFullness() {
    List<Candidate> nodes = new ArrayList<>();
    nodes.add(new Candidate("busy", "b0", "r0", TIB, TIB / 2, 100));
    nodes.add(new Candidate("idle1", "b1", "r0", TIB, TIB / 2, 1));
    nodes.add(new Candidate("idle2", "b2", "r0", TIB, TIB / 2, 2));
    for (long key = 0; key < 200; key++) {
      assertEquals(Set.of("idle1", "idle2"),
          new HashSet<>(Placement.place(nodes, 2, key, null, Set.of()).nodeIds()), "key " + key);
    }
  }

  @Test
  void shouldKeepExistingReplicasAndAvoidTheirDomains() {
    List<Candidate> nodes = cluster(10, 5, 1); // blocks b0..b4, two nodes each
    for (long key = 0; key < 100; key++) {
      Placement.Result r = Placement.place(nodes, 3, key, null, Set.of("n2"), List.of("n0", "n1"));
      assertEquals(List.of("n0", "n1"), r.nodeIds().subList(0, 2));
      assertEquals(Awareness.BLOCK, r.awareness());
      assertEquals(3, domains(r, Candidate::block).size());
      assertFalse(r.nodeIds().contains("n2"));
    }
  }

  @Test
  void shouldFallBackToNodeAwarenessWhenExistingReplicasShareABlock() {
    List<Candidate> nodes = cluster(10, 5, 1); // n0 and n5 share b0
    Placement.Result r = Placement.place(nodes, 3, 7, null, Set.of(), List.of("n0", "n5"));
    assertEquals(Awareness.NODE, r.awareness());
    assertEquals(3, new HashSet<>(r.nodeIds()).size());
    assertTrue(r.reason().contains("share a block"), r.reason());
  }
}
