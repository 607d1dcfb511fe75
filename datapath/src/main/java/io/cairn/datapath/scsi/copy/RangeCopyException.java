package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.vdisk.VDiskIoException;

/**
 * Why a {@link RangeCopier} stopped: which side's I/O failed (or that it was cancelled), and the
 * vDisk failure behind it.
 */
public final class RangeCopyException extends RuntimeException {

  /** Which part of the copy failed. */
  public enum Side { SOURCE, DESTINATION, CANCELLED }

  private final Side side;
  private final VDiskIoException failure;

  public RangeCopyException(Side side, VDiskIoException failure) {
    super(side + (failure == null ? "" : ": " + failure.getMessage()), failure);
    this.side = side;
    this.failure = failure;
  }

  public Side side() {
    return side;
  }

  /** The vDisk failure, or null when cancelled. */
  public VDiskIoException failure() {
    return failure;
  }
}
