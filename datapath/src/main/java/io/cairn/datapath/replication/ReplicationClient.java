package io.cairn.datapath.replication;

import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Typed calls over {@link ReplicationEndpoint#send}: one method per request type, returning what
 * the reply means. Failures are {@link ReplicationException}s (in the future). Thread-safe;
 * futures complete on the endpoint's handler executor.
 */
public final class ReplicationClient {
  /** Payload bytes asked for per OPLOG_FETCH page. */
  public static final int FETCH_PAGE_BYTES = 512 << 10;

  private final ReplicationEndpoint endpoint;

  public ReplicationClient(ReplicationEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  /** Stores an OpLog record in {@code node}'s replica log; completes when it is durable there. */
  public CompletableFuture<Void> replicate(
      String node, long vdiskId, long episode, long writeSeq, long offset, ByteBuf payload) {
    return ack(endpoint.send(node, new Request.OplogReplicate(vdiskId, episode, writeSeq, offset, payload)));
  }

  public CompletableFuture<Void> trim(String node, long vdiskId, long belowWriteSeq) {
    return ack(endpoint.send(node, new Request.OplogTrim(vdiskId, belowWriteSeq)));
  }

  public CompletableFuture<Void> discard(String node, long vdiskId) {
    return ack(endpoint.send(node, new Request.OplogDiscard(vdiskId)));
  }

  /** One page of {@code node}'s live records of the vDisk from {@code fromWriteSeq}. */
  public CompletableFuture<ReplicaPage> fetch(String node, long vdiskId, long fromWriteSeq, int maxBytes) {
    return endpoint.send(node, new Request.OplogFetch(vdiskId, fromWriteSeq, maxBytes)).thenApply(r -> {
      Response.Data d = (Response.Data) r;
      try {
        return FetchPageCodec.decode(vdiskId, d.payload(), d.next());
      } finally {
        d.payload().release();
      }
    });
  }

  /**
   * Every live record of the vDisk on {@code node}, page by page, in write-sequence order. The
   * result's {@code unreadable} lists records the peer holds but could not read back intact.
   */
  public CompletableFuture<ReplicaPage> fetchAll(String node, long vdiskId) {
    List<ReplicaRecord> records = new ArrayList<>();
    List<Long> unreadable = new ArrayList<>();
    return fetchFrom(node, vdiskId, 0, records, unreadable)
        .thenApply(v -> new ReplicaPage(records, unreadable, -1));
  }

  private CompletableFuture<Void> fetchFrom(
      String node, long vdiskId, long from, List<ReplicaRecord> records, List<Long> unreadable) {
    return fetch(node, vdiskId, from, FETCH_PAGE_BYTES).thenCompose(page -> {
      records.addAll(page.records());
      unreadable.addAll(page.unreadable());
      if (page.next() < 0) return CompletableFuture.completedFuture(null);
      if (page.next() <= from) {
        return CompletableFuture.failedFuture(new ReplicationException(node, Status.ERROR, true,
            "peer " + node + " fetch page did not advance past write seq " + from));
      }
      return fetchFrom(node, vdiskId, page.next(), records, unreadable);
    });
  }

  /** Creates {@code node}'s replica of the egroup; completes with the disk id that holds it. */
  public CompletableFuture<String> createEgroup(String node, long egroupId, String diskHint) {
    return endpoint.send(node, new Request.EgroupCreate(egroupId, diskHint)).thenApply(r -> ((Response.Ack) r).detail());
  }

  public CompletableFuture<Void> writeEgroup(String node, long egroupId, long offset, ByteBuf payload) {
    return ack(endpoint.send(node, new Request.EgroupWrite(egroupId, offset, payload)));
  }

  /** Reads from {@code node}'s replica; the returned buffer is the caller's to release. */
  public CompletableFuture<ByteBuf> readEgroup(String node, long egroupId, long offset, int length) {
    return endpoint.send(node, new Request.EgroupRead(egroupId, offset, length))
        .thenApply(r -> ((Response.Data) r).payload());
  }

  public CompletableFuture<Void> deleteEgroup(String node, long egroupId) {
    return ack(endpoint.send(node, new Request.EgroupDelete(egroupId)));
  }

  /** Deallocates whole slices of {@code node}'s replica; completes when durable there. */
  public CompletableFuture<Void> deallocateEgroup(String node, long egroupId, long offset, long length) {
    return ack(endpoint.send(node, new Request.EgroupDeallocate(egroupId, offset, length)));
  }

  /** The written slices of {@code [offset, offset+length)} of {@code node}'s replica (see {@link FrameType}). */
  public CompletableFuture<BitSet> writtenEgroup(String node, long egroupId, long offset, long length) {
    return endpoint.send(node, new Request.EgroupWritten(egroupId, offset, length)).thenApply(r -> {
      ByteBuf p = ((Response.Data) r).payload();
      try {
        return BitSet.valueOf(ByteBufUtil.getBytes(p));
      } finally {
        p.release();
      }
    });
  }

  private static CompletableFuture<Void> ack(CompletableFuture<Response> f) {
    return f.thenApply(r -> null);
  }
}
