package io.cairn.datapath.target;

import java.util.UUID;

/**
 * What the SCSI layer needs to know of a vDisk exported as a LUN.
 *
 * @param vdiskId cluster-wide vDisk id
 * @param name operator-given vDisk name
 * @param uuid stable identity, the source of the VPD 83h designators and the unit serial number
 *     (identical on every path and across restarts)
 * @param sizeBytes capacity in bytes, a multiple of {@code logicalBlockSize}
 * @param logicalBlockSize bytes per logical block (512 or 4096)
 * @param physicalBlockSize bytes per physical block (a power-of-two multiple of the logical one)
 * @param readOnly whether the LUN is write-protected
 * @param thin whether the vDisk is thin-provisioned
 */
public record LunInfo(
    long vdiskId,
    String name,
    UUID uuid,
    long sizeBytes,
    int logicalBlockSize,
    int physicalBlockSize,
    boolean readOnly,
    boolean thin) {

  /** Number of logical blocks. */
  public long blockCount() {
    return sizeBytes / logicalBlockSize;
  }
}
