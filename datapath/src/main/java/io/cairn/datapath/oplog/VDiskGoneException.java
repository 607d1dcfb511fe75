package io.cairn.datapath.oplog;

/** A drain found that its vDisk has been deleted: the OpLog discards the vDisk's records. */
public final class VDiskGoneException extends RuntimeException {
  public VDiskGoneException(long vdiskId) {
    super("vDisk " + vdiskId + " no longer exists", null, false, false);
  }
}
