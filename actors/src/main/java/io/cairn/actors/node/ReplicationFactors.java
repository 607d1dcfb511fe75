package io.cairn.actors.node;

import io.cairn.actors.config.ConfigView;
import io.cairn.actors.config.ContainerSpec;
import io.cairn.actors.config.VDiskSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each vDisk's replication factor (its container's) as this node last saw the cluster
 * configuration; the {@link CatalogMirror} keeps it current. Read from any thread.
 */
public final class ReplicationFactors {

  /** Returned for a vDisk this node has not seen in the configuration yet. */
  public static final int UNKNOWN = 0;

  private final Map<Long, Integer> byVDisk = new ConcurrentHashMap<>();
  private volatile int maxContainer = UNKNOWN;

  /** The vDisk's replication factor, or {@link #UNKNOWN}. */
  public int of(long vdiskId) {
    return byVDisk.getOrDefault(vdiskId, UNKNOWN);
  }

  /** The largest replication factor of any container (what resilient capacity plans for), or {@link #UNKNOWN}. */
  public int maxContainerRf() {
    return maxContainer;
  }

  /** Takes the factors from a whole configuration view (vDisks gone from it are forgotten). */
  public void update(ConfigView view) {
    Map<String, Integer> containers = new HashMap<>();
    int max = UNKNOWN;
    for (ContainerSpec c : view.containers()) {
      containers.put(c.name(), c.replicationFactor());
      max = Math.max(max, c.replicationFactor());
    }
    maxContainer = max;
    Map<Long, Integer> next = new HashMap<>();
    for (VDiskSpec v : view.vdisks()) next.put(v.id(), containers.getOrDefault(v.container(), UNKNOWN));
    byVDisk.putAll(next);
    byVDisk.keySet().retainAll(next.keySet());
  }
}
