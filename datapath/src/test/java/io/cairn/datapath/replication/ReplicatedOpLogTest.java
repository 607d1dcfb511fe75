package io.cairn.datapath.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.OpLogSettings;
import io.cairn.datapath.oplog.FileOpLog;
import io.cairn.datapath.oplog.OpLogCapture;
import io.cairn.datapath.oplog.ReplicaLog;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replicated OpLog over three real endpoints (a, b, c) on loopback, each node with a real
 * OpLog and replica log on disk: acknowledged writes are on RF nodes, a failed peer is replaced, a
 * write that cannot get RF copies fails, and another node taking a vDisk over gets every
 * acknowledged byte back.
 */
@Timeout(120)
class ReplicatedOpLogTest {

  @TempDir Path dir;

  private EndpointFixture fx;
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final Map<Long, Integer> rf = new ConcurrentHashMap<>();
  private final Set<String> members = ConcurrentHashMap.newKeySet();

  /** One node: its OpLog (replicated), its replica log, its endpoint. */
  private final class Node implements AutoCloseable {
    final String id;
    final FileOpLog local;
    final ReplicaLog replicas;
    final ReplicationEndpoint endpoint;
    final ReplicatedOpLog oplog;

    Node(String id, int index) throws Exception {
      this.id = id;
      Path d = dir.resolve(id);
      local = FileOpLog.open(new OpLogSettings(d.resolve("oplog"), 1 << 20, 64L << 20, 128L << 20, 256 << 10,
          64L << 20, Duration.ofHours(1), 64 << 10, 4));
      replicas = ReplicaLog.open(new ReplicaLog.Settings(d.resolve("replicas"), 4 << 20, 1 << 20));
      endpoint = fx.start(fx.settings(id, index), new OpLogReplicaService(replicas));
      oplog = new ReplicatedOpLog(id, local, replicas, new ReplicationClient(endpoint), new ReplicatedOpLog.Cluster() {
        @Override
        public List<Candidate> candidates() {
          List<Candidate> out = new ArrayList<>();
          for (String n : members) out.add(new Candidate(n, "block-" + n, "rack-1", 1L << 40, 0, 0));
          return out;
        }

        @Override
        public int replicationFactor(long vdiskId) {
          return rf.getOrDefault(vdiskId, 1);
        }
      });
    }

    @Override
    public void close() {
      oplog.close();
      replicas.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    fx = new EndpointFixture();
    members.addAll(List.of("a", "b", "c"));
    int i = 0;
    for (String id : List.of("a", "b", "c")) nodes.put(id, new Node(id, 20 + i++));
  }

  @AfterEach
  void stop() {
    for (Node n : nodes.values()) n.close();
    fx.close();
  }

  private static byte[] random(int seed, int len) {
    byte[] b = new byte[len];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void write(ReplicatedOpLog log, long vdisk, long offset, byte[] data) throws Exception {
    ByteBuf b = Unpooled.wrappedBuffer(data);
    try {
      log.append(vdisk, offset, b).get(20, TimeUnit.SECONDS);
    } finally {
      b.release();
    }
  }

  private List<String> holders(long vdisk, long offset, byte[] data) {
    List<String> out = new ArrayList<>();
    for (Node n : nodes.values()) {
      for (ReplicaRecord r : n.replicas.fetch(vdisk).records()) {
        if (r.offset() == offset && java.util.Arrays.equals(r.data(), data)) out.add(n.id);
      }
    }
    out.sort(null);
    return out;
  }

  private static byte[] captured(ReplicatedOpLog log, long vdisk, long offset, int length) {
    ByteBuf out = Unpooled.buffer(length).writeZero(length);
    OpLogCapture c = log.capture(vdisk, offset, length);
    c.applyTo(out, 0);
    byte[] b = io.netty.buffer.ByteBufUtil.getBytes(out);
    out.release();
    return b;
  }

  @Test
  void shouldAcknowledgeAWriteOnlyWhenItIsOnRfNodes() throws Exception {
    rf.put(7L, 2);
    rf.put(8L, 3);
    byte[] d7 = random(1, 8192);
    byte[] d8 = random(2, 4096);
    write(nodes.get("a").oplog, 7, 4096, d7);
    write(nodes.get("a").oplog, 8, 0, d8);

    List<String> h7 = holders(7, 4096, d7);
    assertEquals(1, h7.size(), "RF2: one peer copy besides a's OpLog " + h7);
    assertTrue(!h7.contains("a"), "the copy is on another node");
    assertEquals(List.of("b", "c"), holders(8, 0, d8), "RF3: both other nodes");
    assertArrayEquals(d7, captured(nodes.get("a").oplog, 7, 4096, 8192));
  }

  @Test
  void shouldReportTheCopiesOfEveryOpenEpisodeOfAnOwnedVDisk() throws Exception {
    rf.put(7L, 2);
    ReplicatedOpLog a = nodes.get("a").oplog;
    write(a, 7, 4096, random(4, 4096));
    write(a, 7, (1L << 30) + 4096, random(5, 4096)); // episode 1
    write(a, 1, 0, random(6, 4096)); // RF1: not replicated, not reported
    List<ReplicatedOpLog.EpisodeCopies> open = a.openEpisodes();
    assertEquals(List.of(0L, 1L), open.stream().map(ReplicatedOpLog.EpisodeCopies::episode).toList(), open.toString());
    for (ReplicatedOpLog.EpisodeCopies e : open) {
      assertEquals(7, e.vdiskId());
      assertEquals(2, e.rf());
      assertEquals("a", e.nodes().get(0), "the writer first");
      assertEquals(a.episodePeers(7).get(e.episode()), e.nodes().subList(1, 2), "then the episode's peer");
    }
    assertEquals(List.of(), nodes.get("b").oplog.openEpisodes(), "a peer does not report what it holds for others");
    a.release(7);
    assertEquals(List.of(), a.openEpisodes(), "a released vDisk is the next owner's");
  }

  @Test
  void shouldKeepAnRf1VDiskLocal() throws Exception {
    byte[] d = random(3, 4096);
    write(nodes.get("a").oplog, 1, 0, d);
    assertEquals(List.of(), holders(1, 0, d));
    assertArrayEquals(d, captured(nodes.get("a").oplog, 1, 0, 4096));
  }

  @Test
  void shouldResendToAnotherPeerWhenTheChosenOneDropsTraffic() throws Exception {
    rf.put(7L, 2);
    byte[] first = random(4, 4096);
    write(nodes.get("a").oplog, 7, 0, first);
    String peer = holders(7, 0, first).get(0);
    String other = peer.equals("b") ? "c" : "b";
    fx.endpoints.get("a").faults().dropTo(Set.of(peer));

    byte[] second = random(5, 4096);
    write(nodes.get("a").oplog, 7, 8192, second);
    assertEquals(List.of(other), holders(7, 8192, second), "re-sent to the remaining node");
  }

  /** Writes in flight together whose common peer fails: the first failure replaces it, the others follow the replacement. */
  @Test
  void shouldResendConcurrentWritesWhosePeerFailsToItsOneReplacement() throws Exception {
    rf.put(8L, 2);
    byte[] first = random(6, 4096);
    write(nodes.get("a").oplog, 8, 0, first);
    String peer = holders(8, 0, first).get(0);
    String other = peer.equals("b") ? "c" : "b";
    fx.endpoints.get("a").faults().dropTo(Set.of(peer));

    List<java.util.concurrent.CompletableFuture<Void>> inFlight = new ArrayList<>();
    List<byte[]> data = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      byte[] d = random(100 + i, 4096);
      data.add(d);
      ByteBuf b = Unpooled.wrappedBuffer(d);
      inFlight.add(nodes.get("a").oplog.append(8, 8192L * (i + 1), b).whenComplete((v, e) -> b.release()));
    }
    for (int i = 0; i < inFlight.size(); i++) {
      inFlight.get(i).get(30, TimeUnit.SECONDS); // none fails: each is re-sent to the one replacement
      assertEquals(List.of(other), holders(8, 8192L * (i + 1), data.get(i)), "write " + i);
    }
  }

  @Test
  void shouldReportEveryPeerSetOfAnEpisodeWhosePeerWasReplacedAndWhatPeersHold() throws Exception {
    rf.put(7L, 2);
    ReplicatedOpLog a = nodes.get("a").oplog;
    byte[] first = random(4, 4096);
    write(a, 7, 0, first);
    String peer = holders(7, 0, first).get(0);
    String other = peer.equals("b") ? "c" : "b";
    fx.endpoints.get("a").faults().dropTo(Set.of(peer));
    write(a, 7, 8192, random(5, 4096));
    // The first write is on {a, peer} only, the second on {a, other}: both sets are reported.
    List<List<String>> sets = a.openEpisodes().stream().map(ReplicatedOpLog.EpisodeCopies::nodes).toList();
    assertEquals(List.of(List.of("a", peer), List.of("a", other)), sets, "every peer set since the trim, oldest first");
    // Each peer's replica log holds episode 0 of vDisk 7 for writer a.
    for (String n : List.of(peer, other)) {
      assertEquals(List.of(new ReplicatedOpLog.HeldEpisode(7, 0, 2)), nodes.get(n).oplog.heldEpisodes(), n);
    }
    assertEquals(List.of(), a.heldEpisodes(), "the writer's own records are in its OpLog, not reported as held");
    assertEquals(List.of(7L), a.report().writing(), "the writer says which vDisks it writes");
    assertEquals(List.of(), nodes.get(other).oplog.report().writing());
  }

  @Test
  void shouldFailAWriteThatCannotGetRfCopies() throws Exception {
    rf.put(9L, 3);
    fx.endpoints.get("a").faults().dropTo(Set.of("b"));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> write(nodes.get("a").oplog, 9, 0, random(6, 4096)));
    assertTrue(e.getCause() instanceof VDiskIoException, e.toString());
    assertEquals(VDiskIoException.Kind.WRITE_ERROR, ((VDiskIoException) e.getCause()).kind());
  }

  @Test
  void shouldHandEveryAcknowledgedByteToTheNodeThatTakesTheVDiskOver() throws Exception {
    rf.put(7L, 2);
    Random r = new Random(11);
    byte[] model = new byte[1 << 20];
    for (int i = 0; i < 200; i++) {
      int off = r.nextInt(256) * 4096;
      byte[] d = random(100 + i, 4096);
      write(nodes.get("a").oplog, 7, off, d);
      System.arraycopy(d, 0, model, off, 4096);
    }
    // a supersede, then newer data over part of the superseded range
    nodes.get("a").oplog.supersede(7, 0, 65536).get(10, TimeUnit.SECONDS);
    java.util.Arrays.fill(model, 0, 65536, (byte) 0);
    byte[] after = random(999, 4096);
    write(nodes.get("a").oplog, 7, 8192, after);
    System.arraycopy(after, 0, model, 8192, 4096);

    // node a dies (its OpLog is gone with it); b takes vDisk 7 over
    fx.endpoints.get("b").faults().dropTo(Set.of("a"));
    fx.endpoints.get("c").faults().dropTo(Set.of("a"));
    members.remove("a");
    Node a = nodes.remove("a");
    a.close();
    nodes.get("b").oplog.recover(7).get(60, TimeUnit.SECONDS);

    byte[] got = captured(nodes.get("b").oplog, 7, 0, model.length);
    // the superseded range's bytes come from the extent store after the direct write: not in the OpLog
    assertArrayEquals(java.util.Arrays.copyOfRange(model, 65536, model.length),
        java.util.Arrays.copyOfRange(got, 65536, model.length));
    assertArrayEquals(after, java.util.Arrays.copyOfRange(got, 8192, 8192 + 4096));
    assertTrue(!nodes.get("b").oplog.hasUndrained(7, 0, 8192), "superseded bytes did not come back");
    // every record b took over has RF copies again: its own OpLog plus c's replica log
    assertTrue(holders(7, 8192, after).contains("c"), "re-replicated to c");
  }

  /**
   * A controller that hands the vDisk off releases it: its node drops its own records undrained
   * (they would be stale) and must never trim the peers' copies, which the next owner takes over.
   */
  @Test
  void shouldNeverTrimThePeersCopiesOfAReleasedVDisk() throws Exception {
    rf.put(8L, 2);
    byte[] d = random(8, 8192);
    write(nodes.get("a").oplog, 8, 65536, d);
    List<String> before = holders(8, 65536, d);
    assertEquals(1, before.size(), "one peer holds the copy: " + before);

    nodes.get("a").oplog.release(8);
    nodes.get("a").local.discard(8).get(10, TimeUnit.SECONDS); // as the drainer does for a vDisk controlled elsewhere
    assertEquals(0, nodes.get("a").local.undrainedBytes(8));
    Thread.sleep(2500); // more than two trim passes
    assertEquals(before, holders(8, 65536, d), "the released vDisk's copy stays on its peer");

    String next = before.get(0).equals("b") ? "c" : "b";
    nodes.get(next).oplog.recover(8).get(60, TimeUnit.SECONDS);
    assertArrayEquals(d, captured(nodes.get(next).oplog, 8, 65536, d.length), "the next owner gets the bytes");
  }
}
