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
 * @param orphanGrace how long a replica that no egroup metadata lists must have been left alone
 *     (not created, written or opened) before a scan deletes it; at least twice {@code fenceLease},
 *     so that a copy being committed is never taken for an orphan
 * @param scrubBytesPerSecond how fast each node's scrubber reads its replicas (0: no scrubbing)
 * @param scrubPassInterval least time from the start of one scrub pass over a node's replicas to
 *     the start of the next
 */
public record CuratorSettings(Duration scanInterval, Duration nodeFailureDelay, int maxConcurrentTasks,
    long maxCopyBytesPerSecond, Duration fenceLease, Duration orphanGrace, long scrubBytesPerSecond,
    Duration scrubPassInterval) {

  public CuratorSettings {
    if (orphanGrace.compareTo(fenceLease.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException("cairn.curator.orphan-grace (" + orphanGrace
          + ") must be at least twice cairn.curator.fence-lease (" + fenceLease + ")");
    }
  }

  public static CuratorSettings from(Config c) {
    return new CuratorSettings(
        Checks.positive("curator.scan-interval", c.getDuration("scan-interval")),
        Checks.positive("curator.node-failure-delay", c.getDuration("node-failure-delay")),
        (int) Checks.between("curator.max-concurrent-tasks", c.getInt("max-concurrent-tasks"), 1, 64),
        Checks.atLeast("curator.max-copy-rate", c.getBytes("max-copy-rate"), 1 << 20),
        Checks.positive("curator.fence-lease", c.getDuration("fence-lease")),
        Checks.positive("curator.orphan-grace", c.getDuration("orphan-grace")),
        Checks.atLeast("curator.scrub-rate", c.getBytes("scrub-rate"), 0),
        Checks.positive("curator.scrub-pass-interval", c.getDuration("scrub-pass-interval")));
  }
}
