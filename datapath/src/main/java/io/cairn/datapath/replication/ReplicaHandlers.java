package io.cairn.datapath.replication;

import io.cairn.datapath.oplog.ReplicaPage;
import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;

/**
 * What a node does with the requests its peers send it: one method per request type (see {@link
 * FrameType}), implemented by the node over its {@code ReplicaLog} and {@code ExtentStore}.
 *
 * <p>Called on the endpoint's handler executor, never on its poll thread; a method may block
 * briefly but should hand long work to its own threads and return a future. A future that
 * completes normally is answered ACK (or DATA); one that fails is answered NACK, with the status of
 * a {@link ReplicationException} or {@link Status#ERROR} (with the exception's text) otherwise.
 *
 * <p>Payload buffers passed in belong to the endpoint, which releases them when the returned future
 * completes: a handler that keeps the bytes longer retains them. Buffers a handler returns
 * (egroupRead) pass to the endpoint, which releases them once sent.
 *
 * <p>The defaults answer {@link Status#UNSUPPORTED}.
 */
public interface ReplicaHandlers {

  /**
   * Stores one OpLog record durably (ACK only after it is on stable storage). Called on the
   * endpoint's poll thread: must not block (queue the record, complete the future when durable).
   */
  default CompletableFuture<Void> oplogReplicate(
      String source, long vdiskId, long episode, long writeSeq, long offset, ByteBuf payload) {
    return unsupported(FrameType.OPLOG_REPLICATE);
  }

  default CompletableFuture<Void> oplogTrim(String source, long vdiskId, long belowWriteSeq) {
    return unsupported(FrameType.OPLOG_TRIM);
  }

  default CompletableFuture<ReplicaPage> oplogFetch(String source, long vdiskId, long fromWriteSeq, int maxBytes) {
    return unsupported(FrameType.OPLOG_FETCH);
  }

  default CompletableFuture<Void> oplogDiscard(String source, long vdiskId) {
    return unsupported(FrameType.OPLOG_DISCARD);
  }

  /** Creates the egroup replica (idempotent); completes with the id of the disk that holds it. */
  default CompletableFuture<String> egroupCreate(String source, long egroupId, String diskHint) {
    return unsupported(FrameType.EGROUP_CREATE);
  }

  default CompletableFuture<Void> egroupWrite(String source, long egroupId, long offset, ByteBuf payload) {
    return unsupported(FrameType.EGROUP_WRITE);
  }

  default CompletableFuture<ByteBuf> egroupRead(String source, long egroupId, long offset, int length) {
    return unsupported(FrameType.EGROUP_READ);
  }

  default CompletableFuture<Void> egroupDelete(String source, long egroupId) {
    return unsupported(FrameType.EGROUP_DELETE);
  }

  /** Deallocates whole slices of the egroup replica (ACK only once durable). */
  default CompletableFuture<Void> egroupDeallocate(String source, long egroupId, long offset, long length) {
    return unsupported(FrameType.EGROUP_DEALLOCATE);
  }

  /**
   * The written slices of {@code [offset, offset+length)} of the egroup replica (bit {@code i} =
   * slice {@code offset / sliceSize + i}), as {@code ExtentStore.written} answers.
   */
  default CompletableFuture<BitSet> egroupWritten(String source, long egroupId, long offset, long length) {
    return unsupported(FrameType.EGROUP_WRITTEN);
  }

  private static <T> CompletableFuture<T> unsupported(byte type) {
    return CompletableFuture.failedFuture(
        ReplicationException.of(Status.UNSUPPORTED, FrameType.name(type) + " is not served by this node"));
  }
}
