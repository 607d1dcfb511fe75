package io.cairn.actors.node;

import io.cairn.config.HostPort;
import io.cairn.datapath.placement.Candidate;
import io.cairn.serialization.CairnSerializable;
import java.util.List;

/**
 * What one node tells the cluster about itself through the {@link NodeDirectory}: identity and
 * availability domains, where to reach it (Artery, Aeron, iSCSI, management), and its capacity.
 * Immutable; replicated by Pekko Distributed Data, so it travels through
 * {@link NodeInfoSerializer} (versioned, hand-written).
 *
 * @param nodeId the node's id ({@code cairn.node.id}), the directory key
 * @param block availability domain: block
 * @param rack availability domain: rack
 * @param address the node's Artery address as Pekko prints it ({@code pekko://cairn@host:port})
 * @param uid the cluster incarnation ({@code UniqueAddress.longUid}) that wrote this entry: a
 *     restarted node on the same address has a new one
 * @param aeron the node's replication (Aeron UDP) endpoint
 * @param iscsiPortals every iSCSI portal of the node as {@code host:port,tpgt}, the first one first
 * @param management the node's management HTTP endpoint
 * @param disks the node's disks with their usage
 * @param oplogBytes undrained bytes in the node's OpLog
 */
public record NodeInfo(
    String nodeId,
    String block,
    String rack,
    String address,
    long uid,
    HostPort aeron,
    List<String> iscsiPortals,
    HostPort management,
    List<Disk> disks,
    long oplogBytes) implements CairnSerializable {

  public NodeInfo {
    iscsiPortals = List.copyOf(iscsiPortals);
    disks = List.copyOf(disks);
  }

  /**
   * One disk of the node.
   *
   * @param id disk id, unique on its node
   * @param tier {@code SSD} or {@code HDD}
   * @param capacityBytes configured capacity
   * @param usedBytes bytes held by extent group replicas
   * @param state its health ({@code online}, {@code offline}, {@code held}, {@code removing},
   *     {@code removed}): only an online disk serves I/O and takes new replicas; the replicas on any
   *     other count as lost
   */
  public record Disk(String id, String tier, long capacityBytes, long usedBytes, String state) {
    public static final String ONLINE = "online";

    /** An online disk. */
    public Disk(String id, String tier, long capacityBytes, long usedBytes) {
      this(id, tier, capacityBytes, usedBytes, ONLINE);
    }

    public boolean online() {
      return ONLINE.equals(state);
    }
  }

  /** Bytes of capacity over the online disks (the others take no replica). */
  public long capacityBytes() {
    return disks.stream().filter(Disk::online).mapToLong(Disk::capacityBytes).sum();
  }

  /** Bytes used over the online disks. */
  public long usedBytes() {
    return disks.stream().filter(Disk::online).mapToLong(Disk::usedBytes).sum();
  }

  /** This node as placement math sees it: domains, capacity, used bytes, undrained OpLog bytes as its load. */
  public Candidate asCandidate() {
    return new Candidate(nodeId, block, rack, capacityBytes(), Math.max(0, usedBytes()), Math.max(0, oplogBytes));
  }
}
