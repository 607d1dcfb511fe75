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

  /**
   * Writes {@code data} as one atomic write: after a crash the range holds either all of the new
   * bytes or none of them (WRITE ATOMIC). Otherwise as {@link #write}, including ownership of
   * {@code data}. Implementations bound the length they accept (the SCSI layer reports the bound
   * in the Block Limits VPD page and never exceeds it).
   */
  default CompletableFuture<Void> writeAtomic(long offset, ByteBuf data) {
    data.release();
    return unsupported("atomic write");
  }

  /**
   * Compares {@code compare.readableBytes()} bytes at {@code offset} with {@code compare} and, only
   * if they are equal, writes {@code data} (as long as {@code compare}) there as one atomic write
   * (COMPARE AND WRITE). The compare and the write are one indivisible operation with respect to
   * every other read and write of the vDisk overlapping the range. Ownership of both buffers passes
   * to the callee.
   *
   * @return -1 when the data was written; otherwise the offset of the first differing byte from the
   *     start of the range, and nothing was written
   */
  default CompletableFuture<Long> compareAndWrite(long offset, ByteBuf compare, ByteBuf data) {
    compare.release();
    data.release();
    return unsupported("compare and write");
  }

  /**
   * Deallocates {@code [offset, offset+length)} (UNMAP, WRITE SAME with UNMAP, SANITIZE): once the
   * future completes, the range reads as zeros, and that survives a crash as a write does (an
   * interrupted unmap leaves each byte either with its last acknowledged data or zero). Whole
   * deallocation granules (the extent store's slices, 4 KiB) inside the range release their space;
   * the part of a granule at either end of the range that the range covers only partly is written
   * with zeros and stays allocated. Older undrained bytes of the range can never come back, by a
   * drain or by an OpLog replay.
   */
  default CompletableFuture<Void> unmap(long offset, long length) {
    return unsupported("unmap");
  }

  /**
   * The provisioning status of the vDisk from {@code offset} (GET LBA STATUS): at most
   * {@code maxRanges} ranges, the first starting at {@code offset}. A byte is mapped when it has
   * undrained OpLog data or lies in a written extent-store slice; everything else reads as zeros
   * and is deallocated.
   */
  default CompletableFuture<Provisioning> provisioning(long offset, int maxRanges) {
    return unsupported("provisioning status");
  }

  private static <T> CompletableFuture<T> unsupported(String what) {
    return CompletableFuture.failedFuture(new VDiskIoException(VDiskIoException.Kind.INTERNAL, what + " not supported by this vDisk"));
  }
}
