package io.cairn.datapath.replication;

import static io.cairn.datapath.replication.EndpointFixture.buf;
import static io.cairn.datapath.replication.EndpointFixture.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ReplicationEndpointTest {

  private EndpointFixture fx;

  @BeforeEach
  void setUp() throws Exception {
    fx = new EndpointFixture();
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(20, TimeUnit.SECONDS);
  }

  private static ReplicationException failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
    return assertInstanceOf(ReplicationException.class, e.getCause());
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Text-like bytes: compresses several-fold. */
  private static byte[] compressible(int n) {
    byte[] b = new byte[n];
    Random r = new Random(3);
    String[] words = {"cairn ", "oplog ", "extent ", "group ", "replica ", "episode ", "vdisk ", "aeron "};
    int i = 0;
    while (i < n) {
      byte[] w = words[r.nextInt(words.length)].getBytes();
      for (int k = 0; k < w.length && i < n; k++) b[i++] = w[k];
    }
    return b;
  }

  @Test
  void shouldExchangeEveryRequestTypeAndAnswerEach() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    fx.start("b", 1);
    EndpointFixture.RecordingHandlers hb = fx.handlers.get("b");
    ReplicationClient client = new ReplicationClient(a);

    byte[] w1 = random(1, 4096);
    byte[] w2 = random(2, 100);
    await(client.replicate("b", 7, 1, 10, 8192, buf(w1)));
    await(client.replicate("b", 7, 1, 11, 0, buf(w2)));
    await(client.replicate("b", 8, 0, 3, 512, buf(random(3, 512))));
    ReplicaPage page = await(client.fetchAll("b", 7));
    assertEquals(List.of(new ReplicaRecord(7, 1, 10, 8192, w1), new ReplicaRecord(7, 1, 11, 0, w2)), page.records());
    await(client.trim("b", 7, 11));
    assertEquals(List.of(new ReplicaRecord(7, 1, 11, 0, w2)), await(client.fetchAll("b", 7)).records());
    await(client.discard("b", 7));
    assertTrue(await(client.fetchAll("b", 7)).records().isEmpty());

    assertEquals("ssd-1", await(client.createEgroup("b", 99, "ssd-1")));
    assertEquals("disk-0", await(client.createEgroup("b", 100, null)));
    byte[] data = random(4, 8192);
    await(client.writeEgroup("b", 99, 4096, buf(data)));
    ByteBuf read = await(client.readEgroup("b", 99, 4096, 8192));
    try {
      assertArrayEquals(data, bytes(read));
    } finally {
      read.release();
    }
    await(client.deleteEgroup("b", 99));
    ReplicationException gone = failure(client.readEgroup("b", 99, 0, 4096));
    assertEquals(Status.NOT_FOUND, gone.status());
    assertTrue(gone.remote());

    assertEquals(List.of(
        "replicate a 7 1 10 8192 4096", "replicate a 7 1 11 0 100", "replicate a 8 0 3 512 512",
        "fetch a 7 0 " + ReplicationClient.FETCH_PAGE_BYTES, "trim a 7 11", "fetch a 7 0 " + ReplicationClient.FETCH_PAGE_BYTES,
        "discard a 7", "fetch a 7 0 " + ReplicationClient.FETCH_PAGE_BYTES, "create a 99 ssd-1", "create a 100 null",
        "write a 99 4096 8192", "read a 99 4096 8192", "delete a 99", "read a 99 0 4096"), hb.calls);
  }

  @Test
  void shouldCarryFramesOfEverySizeBetweenEndpointsOfDifferentMtus() throws Exception {
    // cairn.replication.mtu is per node: a jumbo-frame node and an Ethernet-MTU node talk both ways
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withMtuLength(8960));
    ReplicationEndpoint b = fx.start("b", 1);
    ReplicationClient fromA = new ReplicationClient(a);
    ReplicationClient fromB = new ReplicationClient(b);
    int[] sizes = {1, 4096, 8900, 8960, 9000, 200 << 10, 1 << 20};
    assertEquals("disk-0", await(fromA.createEgroup("b", 1, null)));
    assertEquals("disk-0", await(fromB.createEgroup("a", 1, null)));
    for (int i = 0; i < sizes.length; i++) {
      byte[] d = random(50 + i, sizes[i]);
      await(fromA.writeEgroup("b", 1, 0, buf(d)));
      await(fromB.writeEgroup("a", 1, 0, buf(d)));
      for (ReplicationClient c : List.of(fromA, fromB)) {
        ByteBuf read = await(c.readEgroup(c == fromA ? "b" : "a", 1, 0, sizes[i]));
        try {
          assertArrayEquals(d, bytes(read), sizes[i] + " bytes read back through " + (c == fromA ? "a" : "b"));
        } finally {
          read.release();
        }
      }
    }
  }

  @Test
  void shouldPageAFetchLargerThanOnePage() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    List<ReplicaRecord> expect = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      byte[] d = random(i, 200 << 10);
      await(client.replicate("b", 5, 0, 100 + i, (long) i << 20, buf(d)));
      expect.add(new ReplicaRecord(5, 0, 100 + i, (long) i << 20, d));
    }
    ReplicaPage all = await(client.fetchAll("b", 5));
    assertEquals(expect, all.records());
    long pages = fx.handlers.get("b").calls.stream().filter(c -> c.startsWith("fetch")).count();
    assertTrue(pages >= 4, "12 × 200 KiB in 512 KiB pages: " + pages + " pages");
  }

  @Test
  void shouldServeConcurrentRequestsAmongThreeEndpoints() throws Exception {
    String[] ids = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) fx.start(ids[i], i);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ReplicationClient client = new ReplicationClient(fx.endpoints.get(ids[i]));
      for (int k = 0; k < 100; k++) {
        String to = ids[(i + 1 + k % 2) % 3];
        all.add(client.replicate(to, i, 0, k, k * 4096L, buf(random(i * 1000 + k, 4096))));
      }
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
    for (String id : ids) {
      EndpointFixture.RecordingHandlers h = fx.handlers.get(id);
      assertEquals(100, h.records.size(), id + " holds 50 records from each of the two others");
    }
    for (int i = 0; i < 3; i++) {
      for (int k = 0; k < 100; k++) {
        String to = ids[(i + 1 + k % 2) % 3];
        final int src = i;
        final int seq = k;
        ReplicaRecord r = fx.handlers.get(to).records.stream()
            .filter(x -> x.vdiskId() == src && x.writeSeq() == seq).findFirst().orElseThrow();
        assertArrayEquals(random(src * 1000 + seq, 4096), r.data());
      }
    }
  }

  @Test
  void shouldNackACorruptedRequestAndSucceedOnRetryWithoutTheHandlerSeeingIt() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    ReplicationEndpoint b = fx.start("b", 1);
    EndpointFixture.RecordingHandlers hb = fx.handlers.get("b");
    ReplicationClient client = new ReplicationClient(a);
    await(client.trim("b", 1, 0)); // connect both ways first

    byte[] data = random(9, 32 << 10);
    a.faults().corruptNextFrames(1);
    await(client.replicate("b", 2, 0, 5, 0, buf(data)));
    assertEquals(1, hb.records.size(), "the handler saw only the intact retry");
    assertArrayEquals(data, hb.records.get(0).data());
    assertEquals(1, b.stats().damagedFrames());
    assertEquals(1, b.stats().checksumNacksSent());
    assertEquals(1, a.stats().checksumRetries());
    assertEquals(1, a.stats().corruptedByFault());

    a.faults().corruptNextFrames(1); // a frame without payload: a header byte is flipped
    await(client.trim("b", 2, 6));
    assertEquals(List.of("trim a 1 0", "replicate a 2 0 5 0 " + data.length, "trim a 2 6"), hb.calls);
    assertEquals(2, b.stats().damagedFrames());
  }

  @Test
  void shouldRetryWhenTheReplyArrivesCorrupted() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    ReplicationEndpoint b = fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.createEgroup("b", 1, null));
    byte[] data = random(5, 64 << 10);
    await(client.writeEgroup("b", 1, 0, buf(data)));
    b.faults().corruptNextFrames(1); // the DATA reply
    ByteBuf read = await(client.readEgroup("b", 1, 0, data.length));
    try {
      assertArrayEquals(data, bytes(read));
    } finally {
      read.release();
    }
    assertEquals(1, a.stats().damagedFrames());
    assertEquals(1, a.stats().checksumRetries());
    assertEquals(2, fx.handlers.get("b").calls.stream().filter(c -> c.startsWith("read")).count());
  }

  @Test
  void shouldFailWithChecksumWhenEveryRetryIsCorrupted() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withMaxChecksumRetries(2));
    fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.trim("b", 1, 0));
    a.faults().corruptNextFrames(3);
    ReplicationException e = failure(client.replicate("b", 1, 0, 1, 0, buf(random(1, 1000))));
    assertEquals(Status.CHECKSUM, e.status());
    assertTrue(e.getMessage().contains("2 checksum retries"), e.getMessage());
    assertTrue(fx.handlers.get("b").records.isEmpty(), "a damaged frame never reaches the handler");
  }

  @Test
  void shouldTimeOutNamingThePeerWhenTrafficToItIsDropped() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withRequestTimeoutNs(TimeUnit.MILLISECONDS.toNanos(400)));
    fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.trim("b", 1, 0));

    a.faults().dropAll(Set.of("b"));
    long t0 = System.nanoTime();
    ReplicationException e = failure(client.trim("b", 1, 1));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals(Status.TIMEOUT, e.status());
    assertEquals("b", e.peer());
    assertTrue(e.getMessage().contains("peer b (127.0.0.1:13271)"), e.getMessage());
    assertTrue(tookMs >= 350 && tookMs < 3000, "timed out after " + tookMs + " ms");
    assertEquals(List.of("trim a 1 0"), fx.handlers.get("b").calls);

    a.faults().clear();
    await(client.trim("b", 1, 2));
    assertEquals(List.of("trim a 1 0", "trim a 1 2"), fx.handlers.get("b").calls);
  }

  @Test
  void shouldTimeOutWhenThePeerDropsOurTraffic() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withRequestTimeoutNs(TimeUnit.MILLISECONDS.toNanos(400)));
    ReplicationEndpoint b = fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.trim("b", 1, 0));
    b.faults().dropFrom(Set.of("a"));
    assertEquals(Status.TIMEOUT, failure(client.trim("b", 1, 1)).status());
    assertEquals(1, fx.handlers.get("b").calls.size());
    assertTrue(b.stats().droppedByFault() >= 1);
  }

  @Test
  void shouldDropAResponseThatArrivesAfterTheTimeout() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withRequestTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
    fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.trim("b", 1, 0));
    fx.handlers.get("b").delayNs = TimeUnit.MILLISECONDS.toNanos(700);
    assertEquals(Status.TIMEOUT, failure(client.trim("b", 1, 1)).status());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (a.stats().lateResponses() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
    assertEquals(1, a.stats().lateResponses());
    fx.handlers.get("b").delayNs = 0;
    await(client.trim("b", 1, 2)); // the endpoint is fine afterwards
  }

  @Test
  void shouldSendALargeCompressiblePayloadCompressedAndDeliverItEqual() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    ReplicationEndpoint b = fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.createEgroup("b", 1, null));
    long sentBefore = a.stats().bytesSent();

    byte[] data = compressible(1 << 20);
    await(client.writeEgroup("b", 1, 0, buf(data)));
    long sent = a.stats().bytesSent() - sentBefore;
    assertEquals(1, a.stats().compressedFrames());
    assertTrue(sent < data.length / 2, "1 MiB went as " + sent + " bytes");
    assertArrayEquals(data, java.util.Arrays.copyOf(fx.handlers.get("b").egroups.get(1L), data.length));

    ByteBuf back = await(client.readEgroup("b", 1, 0, data.length)); // the DATA reply compresses too
    try {
      assertArrayEquals(data, bytes(back));
    } finally {
      back.release();
    }
    assertEquals(1, b.stats().compressedFrames());
  }

  @Test
  void shouldSendAnIncompressiblePayloadAsIs() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.createEgroup("b", 1, null));
    byte[] data = random(11, 1 << 20);
    await(client.writeEgroup("b", 1, 1 << 20, buf(data)));
    assertEquals(0, a.stats().compressedFrames());
    assertArrayEquals(data, java.util.Arrays.copyOfRange(fx.handlers.get("b").egroups.get(1L), 1 << 20, 2 << 20));
  }

  @Test
  void shouldRetryBackPressuredOffersAndFailThemWhenThePeerStaysStalled() throws Exception {
    int term = 64 << 10; // largest message 8 KiB, publication window 32 KiB
    // b's poll thread also runs b's media driver: a stall longer than the peer liveness timeout would
    // disconnect a and b, so the liveness timeout here is longer than the 1 s stall.
    long liveness = TimeUnit.SECONDS.toNanos(3);
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withTermLength(term).withPeerLivenessTimeoutNs(liveness)
        .withBackPressureTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
    fx.start("b", 1, s -> s.withTermLength(term).withPeerLivenessTimeoutNs(liveness));
    ReplicationClient client = new ReplicationClient(a);
    await(client.createEgroup("b", 1, null));

    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 40; i++) writes.add(client.writeEgroup("b", 1, i * 7000L, buf(random(i, 7000))));
    CompletableFuture.allOf(writes.toArray(new CompletableFuture[0])).get(20, TimeUnit.SECONDS);
    assertTrue(a.stats().backPressured() > 0, "280 KiB offered at once into a 32 KiB window");
    for (int i = 0; i < 40; i++) {
      assertArrayEquals(random(i, 7000),
          java.util.Arrays.copyOfRange(fx.handlers.get("b").egroups.get(1L), i * 7000, i * 7000 + 7000));
    }

    java.util.concurrent.CountDownLatch stall = new java.util.concurrent.CountDownLatch(1);
    fx.stalls.put("b", stall);
    CompletableFuture<Void> stalling = client.trim("b", 1, 1); // b's poll thread stops in its lookup
    List<CompletableFuture<Void>> stuck = new ArrayList<>();
    for (int i = 0; i < 40; i++) stuck.add(client.writeEgroup("b", 1, 0, buf(random(100 + i, 7000))));
    Thread.sleep(1000); // > the 300 ms back-pressure wait, < the 5 s request timeout
    int backPressured = 0;
    for (CompletableFuture<Void> f : stuck) {
      if (!f.isDone()) continue; // in the window already: answered once b runs again
      ReplicationException re = failure(f);
      assertEquals(Status.BACK_PRESSURED, re.status(), re.getMessage());
      assertTrue(re.getMessage().contains("peer b (127.0.0.1:13271)"), re.getMessage());
      backPressured++;
    }
    assertTrue(backPressured > 0);
    fx.stalls.remove("b");
    stall.countDown();
    await(stalling);
    await(client.trim("b", 1, 2));
  }

  /** A stall of the poll thread beyond Aeron's 10 s keepalive defaults leaves the node's own client working. */
  @Test
  void shouldServeAgainAfterItsPollThreadStalledLongerThanAeronsKeepaliveDefaults() throws Exception {
    long liveness = TimeUnit.SECONDS.toNanos(30); // the peers tolerate the stall; only b's own driver and client are tested
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withPeerLivenessTimeoutNs(liveness).withRequestTimeoutNs(TimeUnit.SECONDS.toNanos(30)));
    fx.start("b", 1, s -> s.withPeerLivenessTimeoutNs(liveness));
    ReplicationClient client = new ReplicationClient(a);
    await(client.createEgroup("b", 1, null));

    java.util.concurrent.CountDownLatch stall = new java.util.concurrent.CountDownLatch(1);
    fx.stalls.put("b", stall);
    CompletableFuture<Void> stalling = client.trim("b", 1, 1); // b's poll thread stops in its lookup
    Thread.sleep(12_000);
    fx.stalls.remove("b");
    stall.countDown();
    stalling.get(30, TimeUnit.SECONDS);
    byte[] data = random(7, 4096);
    client.writeEgroup("b", 1, 0, buf(data)).get(30, TimeUnit.SECONDS);
    assertArrayEquals(data, java.util.Arrays.copyOfRange(fx.handlers.get("b").egroups.get(1L), 0, 4096));
    await(client.trim("b", 1, 2));
  }

  @Test
  void shouldRejectAPayloadLargerThanAFrame() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    ReplicationClient client = new ReplicationClient(a);
    byte[] data = random(1, a.maxPayloadLength() + 1);
    ReplicationException e = failure(client.writeEgroup("b", 1, 0, buf(data)));
    assertEquals(Status.TOO_LARGE, e.status());
  }

  @Test
  void shouldFailQuicklyWithNotConnectedOnceThePeerHasClosed() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    ReplicationEndpoint b = fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.trim("b", 1, 0));
    assertTrue(a.isConnected("b"));

    b.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (a.isConnected("b") && System.nanoTime() < deadline) Thread.sleep(10);
    assertFalse(a.isConnected("b"), "the publication notices the peer is gone within its liveness timeout");

    long t0 = System.nanoTime();
    ReplicationException e = failure(client.trim("b", 1, 1));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals(Status.NOT_CONNECTED, e.status());
    assertTrue(e.getMessage().contains("peer b (127.0.0.1:13271)"), e.getMessage());
    assertTrue(tookMs < 500, "failed after " + tookMs + " ms");
  }

  @Test
  void shouldFailNotConnectedWhenAPeerNeverComesUp() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0, s -> s.withConnectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300)));
    fx.addresses.put("ghost", new PeerDirectory.PeerAddress("127.0.0.1", EndpointFixture.BASE_PORT + 9));
    ReplicationException e = failure(a.send("ghost", new Request.OplogDiscard(1)));
    assertEquals(Status.NOT_CONNECTED, e.status());
    assertTrue(e.getMessage().contains("ghost (127.0.0.1:13279) did not connect within 300 ms"), e.getMessage());
  }

  @Test
  void shouldFailUnknownPeerAndClosedPeer() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    fx.start("b", 1);
    assertEquals(Status.UNKNOWN_PEER, failure(a.send("nobody", new Request.OplogDiscard(1))).status());

    ReplicationClient client = new ReplicationClient(a);
    await(client.discard("b", 1));
    fx.handlers.get("b").delayNs = TimeUnit.SECONDS.toNanos(3);
    CompletableFuture<Void> inFlight = client.discard("b", 2);
    Thread.sleep(100);
    a.closePeer("b");
    ReplicationException e = failure(inFlight);
    assertEquals(Status.NOT_CONNECTED, e.status(), e.getMessage());
    assertTrue(e.getMessage().contains("closed by request"), e.getMessage());
    fx.handlers.get("b").delayNs = 0;
    await(client.discard("b", 3)); // a new publication is made on the next send
  }

  @Test
  void shouldAnswerHandlerFailuresWithNackStatuses() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    EndpointFixture.RecordingHandlers hb = fx.handlers.get("b");

    hb.failWith = new VDiskIoException(VDiskIoException.Kind.UNRECOVERED_READ_ERROR, "slice 3 fails its checksum");
    ReplicationException e = failure(client.discard("b", 1));
    assertEquals(Status.IO_ERROR, e.status());
    assertTrue(e.remote());
    assertTrue(e.getMessage().contains("slice 3 fails its checksum"), e.getMessage());

    hb.failWith = new IllegalStateException("boom");
    e = failure(client.discard("b", 1));
    assertEquals(Status.ERROR, e.status());
    assertTrue(e.getMessage().contains("boom"), e.getMessage());

    hb.failWith = null;
    fx.start(fx.settings("c", 2), new ReplicaHandlers() {
      @Override
      public CompletableFuture<Void> oplogDiscard(String source, long vdiskId) {
        throw new IllegalArgumentException("vDisk id must be positive");
      }
    });
    e = failure(client.discard("c", -1));
    assertEquals(Status.BAD_REQUEST, e.status());
    assertTrue(e.getMessage().contains("vDisk id must be positive"), e.getMessage());
    assertEquals(Status.UNSUPPORTED, failure(client.trim("c", 1, 1)).status(), "the default handler");
  }

  @Test
  void shouldReleaseThreadsAndDirectoryOnClose() throws Exception {
    ReplicationEndpoint a = fx.start("a", 0);
    ReplicationEndpoint b = fx.start("b", 1);
    ReplicationClient client = new ReplicationClient(a);
    await(client.trim("b", 1, 0));
    assertTrue(threadsOf("a") >= 3, "poll, driver and client threads run: " + Thread.getAllStackTraces().keySet());
    b.faults().dropFrom(Set.of("a"));
    CompletableFuture<Void> unanswered = client.trim("b", 1, 1);
    Thread.sleep(50);

    a.close();
    b.close();
    assertEquals(Status.CLOSED, failure(unanswered).status());
    assertEquals(Status.CLOSED, failure(client.trim("b", 1, 2)).status());
    assertEquals(0, threadsOf("a"));
    assertEquals(0, threadsOf("b"));
    try (var s = Files.list(fx.baseDir)) {
      assertEquals(List.of(), s.toList(), "aeron directories deleted");
    }
  }

  @Test
  void shouldFailToStartOnATakenPortAndLeaveNothingRunning() throws Exception {
    fx.start("a", 0);
    ReplicationSettings clash = fx.settings("z", 0); // a's port
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ReplicationEndpoint.start(clash, fx.directory, new ReplicaHandlers() {}));
    assertTrue(e.getMessage().contains("node z on 127.0.0.1:13270"), e.getMessage());
    assertEquals(0, threadsOf("z"));
    assertFalse(Files.exists(fx.baseDir.resolve("aeron-z-13270")));
  }

  private static long threadsOf(String node) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("cairn-repl-" + node + "-") || n.startsWith("cairn-aeron-" + node + "-"))
        .count();
  }
}
