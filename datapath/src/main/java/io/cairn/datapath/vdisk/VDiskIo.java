package io.cairn.datapath.vdisk;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * Block I/O on one vDisk: the narrow interface through which the iSCSI portal reaches the
 * vDisk's controller. Implemented in {@code actors/} (the data path never imports Pekko).
 *
 * <p>Offsets and lengths are in bytes and are already validated by the SCSI layer against the
 * vDisk's size and block size. All methods are asynchronous and may be called from any thread
 * (normally a Netty event loop); futures complete on an arbitrary thread. A failed future carries
 * a {@link VDiskIoException} whose {@link VDiskIoException.Kind} the SCSI layer maps to sense data.
 */
public interface VDiskIo {

  /**
   * Reads {@code length} bytes at {@code offset}. Never-written ranges read as zeros. The returned
   * buffer holds exactly {@code length} readable bytes and is owned by the caller, which releases it.
   */
  CompletableFuture<ByteBuf> read(long offset, int length);

  /**
   * Writes {@code data.readableBytes()} bytes at {@code offset}. The future completes only when the
   * bytes are durable (they survive a process crash). Ownership of {@code data} passes to the callee,
   * which releases it exactly once, whether the write succeeds or fails.
   */
  CompletableFuture<Void> write(long offset, ByteBuf data);

  /** Completes when every write acknowledged before the call is durable (SYNCHRONIZE CACHE). */
  CompletableFuture<Void> flush();
}
