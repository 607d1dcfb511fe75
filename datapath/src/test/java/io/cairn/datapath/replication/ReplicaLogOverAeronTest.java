package io.cairn.datapath.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.oplog.ReplicaLog;
import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A replica log served over the endpoint, as a node wires them: replicate, trim, fetch, discard. */
@Timeout(60)
class ReplicaLogOverAeronTest {

  @TempDir Path dir;

  /** The OpLog half of a node's handlers. */
  private record LogHandlers(ReplicaLog log) implements ReplicaHandlers {
    @Override
    public CompletableFuture<Void> oplogReplicate(
        String source, long vdiskId, long episode, long writeSeq, long offset, ByteBuf payload) {
      return log.append(vdiskId, episode, writeSeq, offset, payload);
    }

    @Override
    public CompletableFuture<Void> oplogTrim(String source, long vdiskId, long belowWriteSeq) {
      return log.trim(vdiskId, belowWriteSeq);
    }

    @Override
    public CompletableFuture<ReplicaPage> oplogFetch(String source, long vdiskId, long fromWriteSeq, int maxBytes) {
      return CompletableFuture.completedFuture(log.fetch(vdiskId, fromWriteSeq, maxBytes));
    }

    @Override
    public CompletableFuture<Void> oplogDiscard(String source, long vdiskId) {
      return log.discard(vdiskId);
    }
  }

  @Test
  void shouldReplicateDurablyAndFetchBackAfterTheReplicaRestarts() throws Exception {
    ReplicaLog.Settings ls = new ReplicaLog.Settings(dir.resolve("replica"), 8 << 20, 1 << 20);
    List<ReplicaRecord> expect = new ArrayList<>();
    try (EndpointFixture fx = new EndpointFixture()) {
      ReplicationClient client = new ReplicationClient(fx.start("a", 0));
      try (ReplicaLog log = ReplicaLog.open(ls)) {
        fx.start(fx.settings("b", 1), new LogHandlers(log));
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int ws = 0; ws < 50; ws++) {
          byte[] d = new byte[4096 + ws * 1000];
          new Random(ws).nextBytes(d);
          if (ws % 2 == 0) java.util.Arrays.fill(d, 0, d.length / 2, (byte) 'z'); // some compress
          expect.add(new ReplicaRecord(9, ws / 20, ws, ws * 65536L, d));
          fs.add(client.replicate("b", 9, ws / 20, ws, ws * 65536L, Unpooled.wrappedBuffer(d)));
        }
        CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(20, TimeUnit.SECONDS);
        client.trim("b", 9, 5).get(5, TimeUnit.SECONDS);
        fx.endpoints.remove("b").close();
      }
      expect.subList(0, 5).clear();
      // a notices that b is gone (no status messages within the liveness timeout) before b is back,
      // as when a node process restarts; frames sent before that would go to the old b and be lost.
      ReplicationEndpoint a = fx.endpoints.get("a");
      long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (a.isConnected("b") && System.nanoTime() < gone) Thread.sleep(10);
      assertFalse(a.isConnected("b"), "the publication to b counts as not connected once b has stopped");
      try (ReplicaLog log = ReplicaLog.open(ls)) { // the replica node restarted
        fx.start(fx.settings("b", 1), new LogHandlers(log));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!a.isConnected("b") && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(a.isConnected("b"), "the publication to b reconnects by itself once b is back");
        ReplicaPage all = client.fetchAll("b", 9).get(20, TimeUnit.SECONDS);
        assertEquals(expect, all.records());
        assertTrue(all.unreadable().isEmpty());
        client.discard("b", 9).get(5, TimeUnit.SECONDS);
        assertTrue(client.fetchAll("b", 9).get(5, TimeUnit.SECONDS).records().isEmpty());
        fx.endpoints.remove("b").close();
      }
    }
  }
}
