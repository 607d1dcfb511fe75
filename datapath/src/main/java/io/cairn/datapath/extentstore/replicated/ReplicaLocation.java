package io.cairn.datapath.extentstore.replicated;

import java.util.Objects;

/**
 * Where one replica of an extent group lives (the ExtentGroup entity's replica list, as the data
 * path sees it).
 *
 * @param nodeId the node holding the replica
 * @param diskId the disk on that node
 */
public record ReplicaLocation(String nodeId, String diskId) {
  public ReplicaLocation {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(diskId, "diskId");
  }

  @Override
  public String toString() {
    return nodeId + "/" + diskId;
  }
}
