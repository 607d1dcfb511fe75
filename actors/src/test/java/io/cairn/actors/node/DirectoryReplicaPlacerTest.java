package io.cairn.actors.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.HostPort;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DirectoryReplicaPlacerTest {
  private static final long GIB = 1L << 30;
  private static final long EGROUP = 4L << 20;

  private static NodeInfo node(String id, String block, long capacity, long used) {
    return new NodeInfo(id, block, "rack-1", "pekko://cairn@h:" + id.hashCode(), 1, new HostPort("h", 2), List.of(),
        new HostPort("h", 3), List.of(new NodeInfo.Disk("d0", "SSD", capacity, used)), 0);
  }

  private static NodeDirectory.View view(NodeInfo... members) {
    return new NodeDirectory.View(List.of(members), Map.of());
  }

  @Test
  void shouldPlaceRfDistinctMembersWithTheLocalNodeFirst() {
    NodeDirectory.View v = view(node("n1", "b1", GIB, 0), node("n2", "b2", GIB, 0), node("n3", "b3", GIB, 0),
        node("n4", "b4", GIB, 0));
    DirectoryReplicaPlacer placer = new DirectoryReplicaPlacer("n3", () -> v, EGROUP);
    for (long eg = 1; eg <= 50; eg++) {
      List<String> ids = placer.place(eg, 3);
      assertEquals(3, ids.size());
      assertEquals(3, new HashSet<>(ids).size(), "distinct nodes");
      assertEquals("n3", ids.get(0), "local node first");
    }
  }

  @Test
  void shouldNeverChooseAMemberWithoutRoomForAnEgroup() {
    NodeDirectory.View v = view(node("n1", "b1", GIB, 0), node("n2", "b2", GIB, GIB - EGROUP + 1), node("n3", "b3", GIB, 0));
    DirectoryReplicaPlacer placer = new DirectoryReplicaPlacer("n2", () -> v, EGROUP);
    List<String> seen = new ArrayList<>();
    for (long eg = 1; eg <= 20; eg++) seen.addAll(placer.place(eg, 2));
    assertFalse(seen.contains("n2"), "the full local node is skipped: " + seen);
    assertTrue(seen.contains("n1") && seen.contains("n3"));
  }

  @Test
  void shouldReturnTheEligibleMembersWhenFewerThanRfExist() {
    NodeDirectory.View v = view(node("n1", "b1", GIB, 0), node("n2", "b2", GIB, GIB));
    assertEquals(List.of("n1"), new DirectoryReplicaPlacer("n1", () -> v, EGROUP).place(9, 2));
  }

  @Test
  void shouldPlaceOneMoreReplicaInADomainTheSurvivorsDoNotUse() {
    // n1 and n2 share block b1: a new replica beside n1 must go to another block.
    NodeDirectory.View v = view(node("n1", "b1", GIB, 0), node("n2", "b1", GIB, 0), node("n3", "b2", GIB, 0),
        node("n5", "b3", GIB, 0));
    DirectoryReplicaPlacer placer = new DirectoryReplicaPlacer("n1", () -> v, EGROUP);
    java.util.Set<String> chosen = new HashSet<>();
    for (long eg = 1; eg <= 40; eg++) {
      String n = placer.placeOneMore(eg, List.of("n1"), java.util.Set.of("n4"), null).orElseThrow();
      assertTrue(n.equals("n3") || n.equals("n5"), "egroup " + eg + " placed on " + n);
      chosen.add(n);
    }
    assertEquals(java.util.Set.of("n3", "n5"), chosen, "new replicas spread over the eligible nodes");
  }

  @Test
  void shouldPlaceNoMoreReplicaWhenOnlyExcludedOrHoldingNodesRemain() {
    NodeDirectory.View v = view(node("n1", "b1", GIB, 0), node("n2", "b2", GIB, 0), node("n3", "b3", GIB, GIB));
    DirectoryReplicaPlacer placer = new DirectoryReplicaPlacer("n1", () -> v, EGROUP);
    assertTrue(placer.placeOneMore(7, List.of("n1"), java.util.Set.of("n2"), null).isEmpty(),
        "n2 is excluded and n3 is full");
    assertEquals("n2", placer.placeOneMore(7, List.of("n1"), java.util.Set.of("n4"), null).orElseThrow());
  }

  @Test
  void shouldPlaceTheNewReplicaOnThePreferredNodeOnlyWhenItsDomainIsFree() {
    NodeDirectory.View v = view(node("n1", "b1", GIB, 0), node("n2", "b1", GIB, 0), node("n3", "b2", GIB, 0),
        node("n5", "b3", GIB, 0));
    DirectoryReplicaPlacer placer = new DirectoryReplicaPlacer("n1", () -> v, EGROUP);
    for (long eg = 1; eg <= 20; eg++) {
      assertEquals("n5", placer.placeOneMore(eg, List.of("n1"), java.util.Set.of(), "n5").orElseThrow());
      String n = placer.placeOneMore(eg, List.of("n1"), java.util.Set.of(), "n2").orElseThrow();
      assertTrue(n.equals("n3") || n.equals("n5"), "n2 shares n1's block; placed on " + n);
    }
  }
}
