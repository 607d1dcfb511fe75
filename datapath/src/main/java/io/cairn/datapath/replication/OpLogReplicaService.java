package io.cairn.datapath.replication;

import io.cairn.datapath.oplog.ReplicaLog;
import io.cairn.datapath.oplog.ReplicaPage;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * The OpLog half of a node's {@link ReplicaHandlers}: other nodes' controllers replicate their
 * OpLog records into this node's {@link ReplicaLog}, trim what they drained, fetch everything back
 * when they take a vDisk over, and discard a deleted vDisk's records. The egroup requests answer
 * UNSUPPORTED (compose with the extent store's service for those).
 */
public class OpLogReplicaService implements ReplicaHandlers {

  private final ReplicaLog log;

  public OpLogReplicaService(ReplicaLog log) {
    this.log = log;
  }

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
