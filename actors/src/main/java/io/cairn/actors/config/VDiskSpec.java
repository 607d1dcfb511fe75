package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;
import java.util.UUID;

/**
 * A vDisk as the cluster configuration knows it.
 *
 * @param id cluster-unique id, never reused (names the controller entity and OpLog records)
 * @param name operator-given name, unique in the cluster
 * @param uuid stable identity: VPD 83h designators and unit serial number derive from it
 * @param sizeBytes capacity, a multiple of {@code logicalBlockSize}, at most 2^63 - 1 bytes
 * @param logicalBlockSize bytes per logical block
 * @param physicalBlockSize bytes per physical block
 * @param container the container whose policy applies
 * @param volumeGroup the volume group exporting it
 * @param lun its LUN number in the volume group
 * @param readOnly whether the LUN is write-protected (writes get DATA PROTECT, WRITE PROTECTED)
 */
public record VDiskSpec(
    long id,
    String name,
    UUID uuid,
    long sizeBytes,
    int logicalBlockSize,
    int physicalBlockSize,
    String container,
    String volumeGroup,
    int lun,
    boolean readOnly) implements CairnSerializable {

  public VDiskSpec withReadOnly(boolean value) {
    return new VDiskSpec(id, name, uuid, sizeBytes, logicalBlockSize, physicalBlockSize, container, volumeGroup, lun, value);
  }
}
