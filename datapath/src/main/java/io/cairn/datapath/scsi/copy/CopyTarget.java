package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.vdisk.VDiskIo;

/**
 * A logical unit a CSCD descriptor resolved to: a vDisk of this cluster, reached through its
 * {@link VDiskIo} (never through an initiator).
 *
 * @param lun the LUN number it has in the target of the copy's I_T nexus
 * @param info its description (size, block size, identity)
 * @param io its I/O handle
 * @param writeProtection why it may not be written (DATA PROTECT's WRITE PROTECTED or LOGICAL UNIT
 *     SOFTWARE WRITE PROTECTED), or null when it may
 */
public record CopyTarget(int lun, LunInfo info, VDiskIo io, SenseCode writeProtection) {

  /** Whether this and {@code other} are the same vDisk (whatever handle reaches it). */
  public boolean sameDisk(CopyTarget other) {
    return info.uuid().equals(other.info.uuid());
  }
}
