package io.cairn.config;

import com.typesafe.config.Config;

/**
 * The replication data plane (Aeron) endpoint of this node. Reserved for the data plane: the node
 * publishes it in the node directory so that peers know where to send replication traffic.
 *
 * @param aeronPort UDP port of the node's Aeron subscription, on the cluster host
 * @param faultInjection whether the management API may inject replication faults (tests only)
 * @param mtu largest UDP datagram the node's Aeron endpoint sends, bytes: a multiple of 32 in
 *     [576, 65504]. 1408 fits a 1500-byte Ethernet MTU; 8960 fits jumbo frames (and loopback)
 */
public record ReplicationSettings(int aeronPort, boolean faultInjection, int mtu) {

  /** Default distance of the Aeron port from the Artery port, when {@code aeron-port = 0}. */
  public static final int AERON_PORT_OFFSET = 100;

  public static ReplicationSettings from(Config c, ClusterSettings cluster) {
    int port = c.getInt("aeron-port");
    boolean faults = c.getBoolean("fault-injection");
    int mtu = (int) Checks.between("replication.mtu", c.getInt("mtu"), 576, 65504);
    if (mtu % 32 != 0) throw new SettingsException("replication.mtu", "must be a multiple of 32, was " + mtu);
    if (port == 0) {
      port = cluster.arteryPort() + AERON_PORT_OFFSET;
      if (port > 65535) {
        throw new SettingsException("replication.aeron-port", "the default (cluster.artery-port + " + AERON_PORT_OFFSET
            + " = " + port + ") is beyond 65535: set it explicitly");
      }
      return new ReplicationSettings(port, faults, mtu);
    }
    return new ReplicationSettings((int) Checks.between("replication.aeron-port", port, 1, 65535), faults, mtu);
  }
}
