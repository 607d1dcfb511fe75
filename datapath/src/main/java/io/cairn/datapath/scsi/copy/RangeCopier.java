package io.cairn.datapath.scsi.copy;

import java.util.concurrent.CompletableFuture;

/**
 * Moves one byte range from one vDisk to another (or within one): the seam between the copy
 * manager, which knows SCSI, and the way bytes get from source to destination.
 *
 * <p>Today's implementation, {@link ChunkedDataCopier}, reads and writes bounded chunks through
 * {@code VDiskIo}. A metadata copy (the destination's block map pointing at the source's extents,
 * redirect-on-write) implements the same interface: it handles the vBlock-aligned part of a range
 * by sharing extents and hands the unaligned edges (and anything it cannot share) to a data copier.
 *
 * <p>Contract: the result must equal reading the whole source range before writing any of the
 * destination (so overlapping ranges of one vDisk copy correctly); every destination byte is durable
 * when the future completes; {@link CopyProgress#transferred} is called as bytes become durable; the
 * copier stops between steps once {@link CopyProgress#cancelled} says so. Futures complete on any
 * thread; a failed future carries a {@link RangeCopyException}.
 */
public interface RangeCopier {

  /**
   * @param source where the bytes come from
   * @param sourceOffset byte offset in the source, inside it for {@code length} bytes
   * @param destination where they go (may be the source's vDisk)
   * @param destinationOffset byte offset in the destination, inside it for {@code length} bytes
   * @param length bytes to copy, a multiple of both devices' logical block sizes
   */
  CompletableFuture<Void> copy(CopyTarget source, long sourceOffset, CopyTarget destination, long destinationOffset,
      long length, CopyProgress progress);

  /** What a running copy reports to, and learns from, the copy manager. Called from any thread. */
  interface CopyProgress {

    /** {@code bytes} more destination bytes are durable. */
    void transferred(long bytes);

    /** Whether the copy should stop (its command was aborted). */
    boolean cancelled();
  }
}
