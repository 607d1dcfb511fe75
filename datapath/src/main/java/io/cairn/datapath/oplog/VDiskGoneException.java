package io.cairn.datapath.oplog;

/**
 * A drain found that its vDisk's records are no longer this node's to drain: the vDisk has been
 * deleted, or (replicated vDisks) its controller left this node, whose next owner takes the records
 * over from their peers' copies. The OpLog discards the vDisk's records here.
 */
public final class VDiskGoneException extends RuntimeException {
  public VDiskGoneException(long vdiskId) {
    this(vdiskId, "vDisk " + vdiskId + " no longer exists");
  }

  public VDiskGoneException(long vdiskId, String reason) {
    super(reason, null, false, false);
  }
}
