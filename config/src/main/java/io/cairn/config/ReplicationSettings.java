package io.cairn.config;

import com.typesafe.config.Config;

/**
 * The replication data plane (Aeron) endpoint of this node. Reserved for the data plane: the node
 * publishes it in the node directory so that peers know where to send replication traffic.
 *
 * @param aeronPort UDP port of the node's Aeron subscription, on the cluster host
 * @param faultInjection whether the management API may inject replication faults (tests only)
 */
public record ReplicationSettings(int aeronPort, boolean faultInjection) {

  /** Default distance of the Aeron port from the Artery port, when {@code aeron-port = 0}. */
  public static final int AERON_PORT_OFFSET = 100;

  public static ReplicationSettings from(Config c, ClusterSettings cluster) {
    int port = c.getInt("aeron-port");
    boolean faults = c.getBoolean("fault-injection");
    if (port == 0) {
      port = cluster.arteryPort() + AERON_PORT_OFFSET;
      if (port > 65535) {
        throw new SettingsException("replication.aeron-port", "the default (cluster.artery-port + " + AERON_PORT_OFFSET
            + " = " + port + ") is beyond 65535: set it explicitly");
      }
      return new ReplicationSettings(port, faults);
    }
    return new ReplicationSettings((int) Checks.between("replication.aeron-port", port, 1, 65535), faults);
  }
}
