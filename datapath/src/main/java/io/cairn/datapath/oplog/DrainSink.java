package io.cairn.datapath.oplog;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * Where the OpLog drains to: the vDisk's controller, which writes the bytes to the extent store.
 * The drainer calls it with coalesced, newest-wins ranges of one vDisk at a time (each at most
 * drain-batch-bytes long, never crossing a multiple of drain-batch-bytes), in offset order per vDisk;
 * two ranges of one vDisk in flight at once never overlap. It trims the drained records once the
 * future completes.
 */
public interface DrainSink {

  /**
   * Makes {@code data} durable in the extent store at byte {@code offset} of vDisk {@code vdiskId}.
   * {@code data} stays owned by the OpLog and valid until the returned future completes; the sink
   * must not release it. A failed future leaves the records undrained; they are retried later,
   * except when it fails with {@link VDiskGoneException}: the vDisk no longer exists and its
   * records are discarded.
   */
  CompletableFuture<Void> drain(long vdiskId, long offset, ByteBuf data);
}
