package io.cairn.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Disk health (Hades): when a disk is taken offline, when it is tried again, when it stays
 * offline until an operator clears it.
 *
 * @param ioTimeout an I/O on a disk unanswered for this long takes the disk offline
 * @param probeInterval time from a disk going offline (or a failed probe) to the next probe of it
 * @param offlineLimit a disk taken offline this many times within {@code offlineWindow} stays offline
 *     until an operator clears it
 * @param offlineWindow the window of {@code offlineLimit}
 * @param faultInjection whether the management API may inject disk faults (tests only)
 */
public record DiskHealthSettings(Duration ioTimeout, Duration probeInterval, int offlineLimit, Duration offlineWindow,
    boolean faultInjection) {

  public static DiskHealthSettings from(Config c) {
    return new DiskHealthSettings(
        Checks.positive("disk-health.io-timeout", c.getDuration("io-timeout")),
        Checks.positive("disk-health.probe-interval", c.getDuration("probe-interval")),
        (int) Checks.between("disk-health.offline-limit", c.getInt("offline-limit"), 1, 1000),
        Checks.positive("disk-health.offline-window", c.getDuration("offline-window")),
        c.getBoolean("fault-injection"));
  }
}
