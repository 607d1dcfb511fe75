package io.cairn.datapath.placement;

import java.util.Objects;

/**
 * One node that may hold a replica, as the cluster view last saw it.
 *
 * @param nodeId stable node id
 * @param block availability domain: block (names are cluster-wide, not per rack)
 * @param rack availability domain: rack
 * @param capacityBytes capacity of the node's disks of the wanted tier, bytes (&lt;= 0: unknown, counts as full)
 * @param usedBytes bytes used on those disks
 * @param load how busy the node is, any non-negative unit as long as all candidates use the same
 *     one (e.g. outstanding replication requests); only ratios between candidates matter
 */
public record Candidate(String nodeId, String block, String rack, long capacityBytes, long usedBytes, double load) {
  public Candidate {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(block, "block");
    Objects.requireNonNull(rack, "rack");
    if (usedBytes < 0) throw new IllegalArgumentException("usedBytes < 0: " + usedBytes);
    if (!(load >= 0)) throw new IllegalArgumentException("load must be >= 0: " + load);
  }

  /** Used / capacity, in [0, 1]; 1 when the capacity is unknown. */
  public double fullness() {
    if (capacityBytes <= 0) return 1.0;
    return Math.min(1.0, (double) usedBytes / capacityBytes);
  }

  /** Whether the node has any free space. */
  public boolean hasFreeSpace() {
    return capacityBytes > 0 && usedBytes < capacityBytes;
  }
}
