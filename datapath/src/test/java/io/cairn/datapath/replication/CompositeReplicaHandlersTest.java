package io.cairn.datapath.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.oplog.ReplicaPage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CompositeReplicaHandlersTest {

  /** Answers every request type and records which one it got. */
  static final class Recording implements ReplicaHandlers {
    final List<String> calls = new CopyOnWriteArrayList<>();

    private <T> CompletableFuture<T> done(String call, T value) {
      calls.add(call);
      return CompletableFuture.completedFuture(value);
    }

    @Override
    public CompletableFuture<Void> oplogReplicate(String s, long v, long e, long w, long o, ByteBuf p) {
      return done("oplogReplicate", null);
    }

    @Override
    public CompletableFuture<Void> oplogTrim(String s, long v, long b) {
      return done("oplogTrim", null);
    }

    @Override
    public CompletableFuture<ReplicaPage> oplogFetch(String s, long v, long f, int m) {
      return done("oplogFetch", new ReplicaPage(List.of(), List.of(), -1));
    }

    @Override
    public CompletableFuture<Void> oplogDiscard(String s, long v) {
      return done("oplogDiscard", null);
    }

    @Override
    public CompletableFuture<String> egroupCreate(String s, long e, String d) {
      return done("egroupCreate", "d0");
    }

    @Override
    public CompletableFuture<Void> egroupWrite(String s, long e, long o, ByteBuf p) {
      return done("egroupWrite", null);
    }

    @Override
    public CompletableFuture<ByteBuf> egroupRead(String s, long e, long o, int l) {
      return done("egroupRead", Unpooled.EMPTY_BUFFER);
    }

    @Override
    public CompletableFuture<Void> egroupDelete(String s, long e) {
      return done("egroupDelete", null);
    }

    @Override
    public CompletableFuture<Void> egroupDeallocate(String s, long e, long o, long l) {
      return done("egroupDeallocate", null);
    }

    @Override
    public CompletableFuture<BitSet> egroupWritten(String s, long e, long o, long l) {
      return done("egroupWritten", new BitSet());
    }
  }

  @Test
  void shouldRouteOplogRequestsToOneDelegateAndEgroupRequestsToTheOther() {
    Recording oplog = new Recording();
    Recording egroups = new Recording();
    ReplicaHandlers h = new CompositeReplicaHandlers(oplog, egroups);
    ByteBuf p = Unpooled.EMPTY_BUFFER;
    h.oplogReplicate("a", 1, 0, 1, 0, p);
    h.oplogTrim("a", 1, 1);
    h.oplogFetch("a", 1, 0, 10);
    h.oplogDiscard("a", 1);
    h.egroupCreate("a", 2, null);
    h.egroupWrite("a", 2, 0, p);
    h.egroupRead("a", 2, 0, 0);
    h.egroupDeallocate("a", 2, 0, 4096);
    h.egroupWritten("a", 2, 0, 4096);
    h.egroupDelete("a", 2);
    assertEquals(List.of("oplogReplicate", "oplogTrim", "oplogFetch", "oplogDiscard"), oplog.calls);
    assertEquals(List.of("egroupCreate", "egroupWrite", "egroupRead", "egroupDeallocate", "egroupWritten",
        "egroupDelete"), egroups.calls);
  }

  @Test
  void shouldNameAndClassifyTheNewEgroupFrameTypes() {
    assertEquals("EGROUP_DEALLOCATE", FrameType.name(FrameType.EGROUP_DEALLOCATE));
    assertEquals("EGROUP_WRITTEN", FrameType.name(FrameType.EGROUP_WRITTEN));
    assertTrue(FrameType.isRequest(FrameType.EGROUP_DEALLOCATE) && FrameType.isRequest(FrameType.EGROUP_WRITTEN));
    assertFalse(FrameType.isRequest(11), "no request code beyond EGROUP_WRITTEN yet");
    assertEquals(FrameType.EGROUP_DEALLOCATE, new Request.EgroupDeallocate(1, 0, 4096).type());
    assertEquals(FrameType.EGROUP_WRITTEN, new Request.EgroupWritten(1, 0, 4096).type());
  }

  @Test
  void shouldAnswerTheNewTypesUnsupportedByDefault() {
    ReplicaHandlers none = new ReplicaHandlers() {};
    Throwable t = none.egroupWritten("a", 1, 0, 1).handle((v, e) -> e).join();
    assertEquals(Status.UNSUPPORTED, ((ReplicationException) t).status());
    t = none.egroupDeallocate("a", 1, 0, 4096).handle((v, e) -> e).join();
    assertEquals(Status.UNSUPPORTED, ((ReplicationException) t).status());
  }
}
