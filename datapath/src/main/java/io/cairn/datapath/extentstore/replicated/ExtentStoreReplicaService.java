package io.cairn.datapath.extentstore.replicated;

import io.cairn.datapath.extentstore.ExtentStore;
import io.cairn.datapath.replication.ReplicaHandlers;
import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The server side of the replicated extent store: the EGROUP_* requests of peers, carried out on
 * this node's local {@link ExtentStore}. The OPLOG_* methods keep their UNSUPPORTED defaults;
 * compose with the replica log's handlers through {@code CompositeReplicaHandlers}.
 *
 * <p>Runs on the endpoint's handler threads. Only {@link #egroupCreate} blocks (it creates and
 * forces two small files, as {@link ExtentStore#create} does); the others return the store's
 * futures. Failures travel as the store reports them: the endpoint turns a {@code
 * VDiskIoException} into a NACK status (UNRECOVERED_READ_ERROR and WRITE_ERROR become IO_ERROR,
 * NOT_READY becomes NOT_FOUND, SPACE_EXHAUSTED becomes NO_SPACE).
 *
 * <p>Buffers: a write's payload belongs to the endpoint, which releases it when the write's future
 * completes (the store does not keep it longer); a read's buffer passes to the endpoint.
 */
public final class ExtentStoreReplicaService implements ReplicaHandlers {
  private final ExtentStore store;

  /**
   * @param store the node's own extent store; given the {@link ReplicatedExtentStore}, its local
   *     store is used (a peer's request concerns this node's replica only, never a fan-out)
   */
  public ExtentStoreReplicaService(ExtentStore store) {
    Objects.requireNonNull(store, "store");
    this.store = store instanceof ReplicatedExtentStore r ? r.local() : store;
  }

  @Override
  public CompletableFuture<String> egroupCreate(String source, long egroupId, String diskHint) {
    try {
      return CompletableFuture.completedFuture(store.create(egroupId, diskHint));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Void> egroupWrite(String source, long egroupId, long offset, ByteBuf payload) {
    return store.write(egroupId, offset, payload);
  }

  @Override
  public CompletableFuture<ByteBuf> egroupRead(String source, long egroupId, long offset, int length) {
    return store.read(egroupId, offset, length);
  }

  @Override
  public CompletableFuture<Void> egroupDeallocate(String source, long egroupId, long offset, long length) {
    return store.deallocate(egroupId, offset, length);
  }

  @Override
  public CompletableFuture<BitSet> egroupWritten(String source, long egroupId, long offset, long length) {
    try {
      return CompletableFuture.completedFuture(store.written(egroupId, offset, length));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Void> egroupDelete(String source, long egroupId) {
    return store.delete(egroupId);
  }
}
