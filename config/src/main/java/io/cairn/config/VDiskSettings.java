package io.cairn.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Front-end behaviour of every vDisk controller.
 *
 * @param oplogSkipMinOutstandingWriteBytes outstanding write bytes above which writes are sequential (skip the OpLog)
 * @param logicalBlockSize logical block size reported to initiators, bytes
 * @param physicalBlockSize physical block size reported to initiators, bytes
 * @param ioTimeout time a front-end I/O may take before it fails
 * @param snapshotEveryEvents persisted events between entity snapshots
 * @param controllerMoveAfter remote I/O from one node, without a longer pause than {@code
 *     controllerMovePause}, after which a replicated vDisk's controller moves to that node
 * @param controllerMovePause a gap in a node's remote I/O that starts the count again
 */
public record VDiskSettings(
    long oplogSkipMinOutstandingWriteBytes,
    int logicalBlockSize,
    int physicalBlockSize,
    Duration ioTimeout,
    int snapshotEveryEvents,
    Duration controllerMoveAfter,
    Duration controllerMovePause) {

  public static VDiskSettings from(Config c) {
    int lbs = (int) Checks.powerOfTwo("vdisk.logical-block-size", c.getInt("logical-block-size"));
    Checks.between("vdisk.logical-block-size", lbs, 512, 4096);
    int pbs = (int) Checks.powerOfTwo("vdisk.physical-block-size", c.getInt("physical-block-size"));
    if (pbs < lbs) throw new SettingsException("vdisk.physical-block-size", "must be >= logical-block-size");
    return new VDiskSettings(
        Checks.positive("vdisk.oplog-skip-min-outstanding-write-bytes", c.getBytes("oplog-skip-min-outstanding-write-bytes")),
        lbs, pbs,
        c.getDuration("io-timeout"),
        (int) Checks.between("vdisk.snapshot-every-events", c.getInt("snapshot-every-events"), 1, 1_000_000),
        positive("vdisk.controller-move-after", c.getDuration("controller-move-after")),
        positive("vdisk.controller-move-pause", c.getDuration("controller-move-pause")));
  }

  private static Duration positive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) throw new SettingsException(name, "must be positive");
    return d;
  }
}
