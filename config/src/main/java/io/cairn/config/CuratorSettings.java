package io.cairn.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Self-healing: the Curator's scans and every node's Chronos task runner.
 *
 * @param scanInterval time between full scans (a membership change starts one at once)
 * @param nodeFailureDelay how long a node must be missing (not an Up, reachable member) before its
 *     replicas count as lost and are re-protected elsewhere
 * @param maxConcurrentTasks re-replications one node's Chronos runs at a time
 * @param maxCopyBytesPerSecond background copy rate of one node (front-end I/O is never limited)
 * @param fenceLease longest time one re-replication holds back the writes of its egroup
 */
public record CuratorSettings(Duration scanInterval, Duration nodeFailureDelay, int maxConcurrentTasks,
    long maxCopyBytesPerSecond, Duration fenceLease) {

  public static CuratorSettings from(Config c) {
    return new CuratorSettings(
        Checks.positive("curator.scan-interval", c.getDuration("scan-interval")),
        Checks.positive("curator.node-failure-delay", c.getDuration("node-failure-delay")),
        (int) Checks.between("curator.max-concurrent-tasks", c.getInt("max-concurrent-tasks"), 1, 64),
        Checks.atLeast("curator.max-copy-rate", c.getBytes("max-copy-rate"), 1 << 20),
        Checks.positive("curator.fence-lease", c.getDuration("fence-lease")));
  }
}
