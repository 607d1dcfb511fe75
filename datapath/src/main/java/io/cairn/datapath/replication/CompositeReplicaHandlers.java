package io.cairn.datapath.replication;

import io.cairn.datapath.oplog.ReplicaPage;
import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The node's {@link ReplicaHandlers} made of two parts: every OPLOG_* request goes to {@code
 * oplog} (the replica log), every EGROUP_* request to {@code egroups} (the extent store). Adds
 * nothing of its own: threading and buffer ownership are those of {@link ReplicaHandlers}.
 */
public final class CompositeReplicaHandlers implements ReplicaHandlers {
  private final ReplicaHandlers oplog;
  private final ReplicaHandlers egroups;

  public CompositeReplicaHandlers(ReplicaHandlers oplog, ReplicaHandlers egroups) {
    this.oplog = Objects.requireNonNull(oplog, "oplog");
    this.egroups = Objects.requireNonNull(egroups, "egroups");
  }

  @Override
  public CompletableFuture<Void> oplogReplicate(
      String source, long vdiskId, long episode, long writeSeq, long offset, ByteBuf payload) {
    return oplog.oplogReplicate(source, vdiskId, episode, writeSeq, offset, payload);
  }

  @Override
  public CompletableFuture<Void> oplogTrim(String source, long vdiskId, long belowWriteSeq) {
    return oplog.oplogTrim(source, vdiskId, belowWriteSeq);
  }

  @Override
  public CompletableFuture<ReplicaPage> oplogFetch(String source, long vdiskId, long fromWriteSeq, int maxBytes) {
    return oplog.oplogFetch(source, vdiskId, fromWriteSeq, maxBytes);
  }

  @Override
  public CompletableFuture<Void> oplogDiscard(String source, long vdiskId) {
    return oplog.oplogDiscard(source, vdiskId);
  }

  @Override
  public CompletableFuture<String> egroupCreate(String source, long egroupId, String diskHint) {
    return egroups.egroupCreate(source, egroupId, diskHint);
  }

  @Override
  public CompletableFuture<Void> egroupWrite(String source, long egroupId, long offset, ByteBuf payload) {
    return egroups.egroupWrite(source, egroupId, offset, payload);
  }

  @Override
  public CompletableFuture<ByteBuf> egroupRead(String source, long egroupId, long offset, int length) {
    return egroups.egroupRead(source, egroupId, offset, length);
  }

  @Override
  public CompletableFuture<Void> egroupDelete(String source, long egroupId) {
    return egroups.egroupDelete(source, egroupId);
  }

  @Override
  public CompletableFuture<Void> egroupDeallocate(String source, long egroupId, long offset, long length) {
    return egroups.egroupDeallocate(source, egroupId, offset, length);
  }

  @Override
  public CompletableFuture<BitSet> egroupWritten(String source, long egroupId, long offset, long length) {
    return egroups.egroupWritten(source, egroupId, offset, length);
  }
}
