package io.cairn.datapath.extentstore.replicated;

import static io.cairn.datapath.extentstore.replicated.ReplicatedStoreFixture.EGROUP;
import static io.cairn.datapath.extentstore.replicated.ReplicatedStoreFixture.SLICE;
import static io.cairn.datapath.extentstore.replicated.ReplicatedStoreFixture.bytes;
import static io.cairn.datapath.extentstore.replicated.ReplicatedStoreFixture.flipByte;
import static io.cairn.datapath.extentstore.replicated.ReplicatedStoreFixture.read;
import static io.cairn.datapath.extentstore.replicated.ReplicatedStoreFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.extentstore.replicated.ReplicatedStoreFixture.Node;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.datapath.vdisk.VDiskIoException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class ReplicatedExtentStoreTest {

  private ReplicatedStoreFixture fx;

  @BeforeEach
  void setUp() throws Exception {
    fx = new ReplicatedStoreFixture();
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static VDiskIoException failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> {
      Object v = f.get(20, TimeUnit.SECONDS);
      if (v instanceof ByteBuf b) b.release();
    });
    return assertInstanceOf(VDiskIoException.class, e.getCause());
  }

  @Test
  void shouldPlaceReplicasOnDistinctNodesWithTheLocalNodeFirst() throws Exception {
    fx.start("a", "b", "c");
    List<ReplicaLocation> rs = fx.createReplicas("b", 7, 3);
    assertEquals(List.of(new ReplicaLocation("b", "d0"), new ReplicaLocation("a", "d0"), new ReplicaLocation("c", "d0")), rs);
    for (String id : List.of("a", "b", "c")) assertTrue(fx.node(id).local.contains(7), id + " holds a replica");
    List<ReplicaLocation> two = fx.createReplicas("c", 8, 2);
    assertEquals(List.of(new ReplicaLocation("c", "d0"), new ReplicaLocation("a", "d0")), two);
    assertFalse(fx.node("b").local.contains(8), "only RF nodes get a replica");
  }

  @Test
  void shouldFailCreateReplicasNamingTheNodesWhenTooFewExist() throws Exception {
    fx.start("a", "b");
    VDiskIoException e = failure(fx.node("a").store.createReplicas(9, 3));
    assertEquals(Kind.NOT_READY, e.kind());
    assertTrue(e.getMessage().contains("needs 3 replicas") && e.getMessage().contains("[a, b]"), e.getMessage());
    assertFalse(fx.node("a").local.contains(9), "nothing created when placement falls short");
    assertFalse(fx.node("b").local.contains(9));
  }

  @Test
  void shouldFailCreateReplicasNamingTheNodeWhoseCreationFailed() throws Exception {
    fx.start("a", "b");
    fx.members.add("ghost"); // a member placement may choose, unknown to the peer directory
    VDiskIoException e = failure(fx.node("a").store.createReplicas(10, 3));
    assertEquals(Kind.WRITE_ERROR, e.kind());
    assertTrue(e.getMessage().contains("ghost: UNKNOWN_PEER"), e.getMessage());
    assertFalse(e.getMessage().contains("b: "), "b's creation succeeded: " + e.getMessage());
  }

  @Test
  void shouldWriteByteIdenticalDataToEveryReplica() throws Exception {
    fx.start("a", "b", "c");
    fx.createReplicas("a", 11, 3);
    byte[] first = bytes(1, 3 * SLICE);
    byte[] second = bytes(2, 100_000); // partial slices at both ends, LZ4 threshold crossed
    write(fx.node("a").store, 11, SLICE, first);
    write(fx.node("a").store, 11, 5 * SLICE + 123, second);
    byte[] expected = new byte[EGROUP];
    System.arraycopy(first, 0, expected, SLICE, first.length);
    System.arraycopy(second, 0, expected, 5 * SLICE + 123, second.length);
    for (String id : List.of("a", "b", "c")) {
      assertArrayEquals(expected, read(fx.node(id).local, 11, 0, EGROUP), "replica on " + id);
    }
  }

  @Test
  void shouldFailAndNeverAcknowledgeAWriteWhoseReplicaTrafficIsDropped() throws Exception {
    fx.start("a", "b", "c");
    fx.createReplicas("a", 12, 3);
    write(fx.node("a").store, 12, 0, bytes(3, SLICE)); // connections up
    fx.node("a").endpoint.faults().dropTo(Set.of("b"));
    ByteBuf data = Unpooled.wrappedBuffer(bytes(4, 2 * SLICE));
    try {
      CompletableFuture<Void> w = fx.node("a").store.write(12, 0, data);
      Thread.sleep(1000); // the other replicas are durable long before this
      assertFalse(w.isDone(), "not acknowledged while b has not answered");
      VDiskIoException e = failure(w);
      assertEquals(Kind.WRITE_ERROR, e.kind());
      assertTrue(e.getMessage().contains("replica b/d0: TIMEOUT"), e.getMessage());
      assertFalse(e.getMessage().contains("replica a/") || e.getMessage().contains("replica c/"), e.getMessage());
    } finally {
      data.release();
    }
    assertEquals(1, fx.node("a").store.stats().failedWrites());
  }

  @Test
  void shouldServeAReadRemotelyOnANodeWithoutALocalReplica() throws Exception {
    fx.start("a", "b", "c");
    fx.createReplicas("a", 13, 2);
    byte[] data = bytes(5, 5 * SLICE);
    write(fx.node("b").store, 13, 2 * SLICE, data); // replicas on a and b
    assertFalse(fx.node("c").local.contains(13));
    assertFalse(fx.node("c").store.contains(13), "c has not asked yet");
    assertArrayEquals(data, read(fx.node("c").store, 13, 2 * SLICE, data.length));
    assertEquals(1, fx.node("c").store.stats().remoteReads());
    assertTrue(fx.node("c").store.contains(13), "known once resolved");
    assertFalse(fx.node("c").local.contains(13), "reading created no replica on c");
  }

  @Test
  void shouldAnswerFromAnotherReplicaAndRepairALocalCopyWithAFlippedByte() throws Exception {
    fx.start("a", "b", "c");
    fx.createReplicas("a", 14, 3);
    byte[] data = bytes(6, 4 * SLICE);
    write(fx.node("a").store, 14, 0, data);
    flipByte(fx.node("a").dataFile(14), SLICE + 7); // slice 1 of a's replica
    VDiskIoException local = failure(fx.node("a").local.read(14, 5000, 3000));
    assertEquals(Kind.UNRECOVERED_READ_ERROR, local.kind(), "the local copy is bad");

    byte[] got = read(fx.node("a").store, 14, 5000, 3000);
    assertArrayEquals(java.util.Arrays.copyOfRange(data, 5000, 8000), got);
    ReplicatedExtentStore.Stats s = fx.node("a").store.stats();
    assertEquals(1, s.checksumFailures());
    assertEquals(1, s.repairs());
    assertEquals(1, s.readFailovers());
    assertArrayEquals(data, read(fx.node("a").local, 14, 0, data.length), "a's copy repaired");
  }

  @Test
  void shouldRepairARemoteReplicaThatAnswersWithAChecksumError() throws Exception {
    fx.start("a", "b", "c");
    List<ReplicaLocation> rs = fx.createReplicas("b", 15, 2);
    assertEquals("b", rs.get(0).nodeId(), "b is asked first");
    byte[] data = bytes(7, 8 * SLICE);
    write(fx.node("b").store, 15, 0, data);
    flipByte(fx.node("b").dataFile(15), 6 * SLICE + 1);

    assertArrayEquals(data, read(fx.node("c").store, 15, 0, data.length), "c reads b (bad), then a");
    assertEquals(1, fx.node("c").store.stats().repairs());
    assertArrayEquals(data, read(fx.node("b").local, 15, 0, data.length), "b's copy repaired over EGROUP_WRITE");
  }

  @Test
  void shouldFailTheReadOnlyWhenEveryReplicaIsBad() throws Exception {
    fx.start("a", "b");
    fx.createReplicas("a", 16, 2);
    byte[] data = bytes(8, 2 * SLICE);
    write(fx.node("a").store, 16, 0, data);
    flipByte(fx.node("a").dataFile(16), 10);
    flipByte(fx.node("b").dataFile(16), 20);
    VDiskIoException e = failure(fx.node("a").store.read(16, 0, SLICE));
    assertEquals(Kind.UNRECOVERED_READ_ERROR, e.kind());
    assertTrue(e.getMessage().contains("no replica holds a good copy"), e.getMessage());
    assertEquals(0, fx.node("a").store.stats().repairs());
    assertArrayEquals(java.util.Arrays.copyOfRange(data, SLICE, 2 * SLICE), read(fx.node("a").store, 16, SLICE, SLICE),
        "the good slice still reads");
  }

  @Test
  void shouldDeallocateAndDeleteOnEveryReplica() throws Exception {
    fx.start("a", "b", "c");
    fx.createReplicas("a", 17, 2);
    write(fx.node("a").store, 17, 0, bytes(9, 2 * SLICE));
    write(fx.node("a").store, 17, 9 * SLICE, bytes(10, SLICE));
    BitSet expected = new BitSet();
    expected.set(0, 2);
    expected.set(9);
    assertEquals(expected, fx.node("c").store.written(17, 0, EGROUP), "c asks a peer (EGROUP_WRITTEN)");

    fx.node("c").store.deallocate(17, 0, SLICE).get(20, TimeUnit.SECONDS);
    for (String id : List.of("a", "b")) {
      BitSet w = fx.node(id).local.written(17, 0, EGROUP);
      assertEquals(BitSet.valueOf(new long[] {(1L << 1) | (1L << 9)}), w, id);
      assertArrayEquals(new byte[SLICE], read(fx.node(id).local, 17, 0, SLICE), id + " reads zeros");
    }
    assertEquals(new BitSet(), fx.node("c").store.written(17, 10 * SLICE, 4 * SLICE), "an empty bitmap travels too");

    fx.node("c").store.delete(17).get(20, TimeUnit.SECONDS);
    for (String id : List.of("a", "b", "c")) assertFalse(fx.node(id).local.contains(17), id);
    assertFalse(fx.node("c").store.contains(17), "the cached replicas are forgotten");
  }

  @Test
  void shouldRejectAMisalignedDeallocateBeforeTouchingAnyReplica() throws Exception {
    fx.start("a", "b");
    fx.createReplicas("a", 18, 2);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> fx.node("a").store.deallocate(18, 100, SLICE).get(20, TimeUnit.SECONDS));
    assertInstanceOf(IllegalArgumentException.class, e.getCause());
  }
}
