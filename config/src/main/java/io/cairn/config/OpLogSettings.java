package io.cairn.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The per-node OpLog: durable write log with group commit and a drainer.
 *
 * @param dir directory of the log files
 * @param fileSizeBytes size of one log file before the next is started
 * @param maxVDiskBytes undrained bytes per vDisk before writes wait for the drainer
 * @param maxNodeBytes undrained bytes per node before writes wait for the drainer
 * @param groupCommitMaxBytes most bytes written per fsync
 * @param drainThresholdBytes undrained bytes of a vDisk at which draining starts
 * @param drainIdleDelay idle time of a vDisk after which its OpLog is drained
 * @param drainBatchBytes most bytes per drain operation
 * @param drainConcurrency drain operations in flight per node
 */
public record OpLogSettings(
    Path dir,
    long fileSizeBytes,
    long maxVDiskBytes,
    long maxNodeBytes,
    long groupCommitMaxBytes,
    long drainThresholdBytes,
    Duration drainIdleDelay,
    int drainBatchBytes,
    int drainConcurrency) {

  public static OpLogSettings from(Config c, Path dataDir) {
    long fileSize = Checks.between("oplog.file-size", c.getBytes("file-size"), 1 << 20, 1L << 32);
    long maxVDisk = Checks.atLeast("oplog.max-vdisk-bytes", c.getBytes("max-vdisk-bytes"), 2 * fileSize);
    long maxNode = Checks.atLeast("oplog.max-node-bytes", c.getBytes("max-node-bytes"), maxVDisk);
    return new OpLogSettings(
        dataDir.resolve(c.getString("dir")).normalize(),
        fileSize, maxVDisk, maxNode,
        Checks.between("oplog.group-commit-max-bytes", c.getBytes("group-commit-max-bytes"), 64 << 10, fileSize),
        Checks.positive("oplog.drain-threshold-bytes", c.getBytes("drain-threshold-bytes")),
        c.getDuration("drain-idle-delay"),
        (int) Checks.between("oplog.drain-batch-bytes", c.getBytes("drain-batch-bytes"), 4096, 16 << 20),
        (int) Checks.between("oplog.drain-concurrency", c.getInt("drain-concurrency"), 1, 256));
  }
}
