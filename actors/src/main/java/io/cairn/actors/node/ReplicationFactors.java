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

  /**
   * The largest replication factor of any container of the view, empty containers included (new
   * data may get it), or {@link #UNKNOWN} when there is no container: the one definition the
   * fault-tolerance status, the resilient capacity and the Curator's capacity watch use.
   */
  public static int maxContainerRf(ConfigView view) {
    int max = UNKNOWN;
    for (ContainerSpec c : view.containers()) max = Math.max(max, c.replicationFactor());
    return max;
  }

  /** Takes the factors from a whole configuration view (vDisks gone from it are forgotten). */
  public void update(ConfigView view) {
    Map<String, Integer> containers = new HashMap<>();
    for (ContainerSpec c : view.containers()) containers.put(c.name(), c.replicationFactor());
    maxContainer = maxContainerRf(view);
    Map<Long, Integer> next = new HashMap<>();
    for (VDiskSpec v : view.vdisks()) next.put(v.id(), containers.getOrDefault(v.container(), UNKNOWN));
    byVDisk.putAll(next);
    byVDisk.keySet().retainAll(next.keySet());
  }
}
