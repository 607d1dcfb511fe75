package io.cairn.datapath.scsi;

import java.time.Duration;

/**
 * Settings of the SCSI target layer, validated once at construction.
 *
 * @param ioTimeout time a medium-access command (READ, WRITE, VERIFY, SYNCHRONIZE CACHE) may wait
 *     for its vDisk I/O before it ends with ABORTED COMMAND, TIMEOUT ON LOGICAL UNIT (3Eh/02h)
 * @param maxTransferLengthBytes largest transfer one command may ask for, bytes; reported in the
 *     Block Limits VPD page (in logical blocks) and enforced (INVALID FIELD IN CDB beyond it);
 *     a multiple of 4096 so it is whole blocks at either logical block size
 * @param optimalTransferLengthBytes transfer size the vDisk prefers, bytes, reported in the Block
 *     Limits VPD page; 0 reports none; a multiple of 4096, at most {@code maxTransferLengthBytes}
 * @param productRevision PRODUCT REVISION LEVEL of standard INQUIRY data, 1 to 4 printable ASCII characters
 */
public record ScsiSettings(
    Duration ioTimeout,
    int maxTransferLengthBytes,
    int optimalTransferLengthBytes,
    String productRevision) {

  /** 30 s I/O timeout, 8 MiB maximum transfer, no optimal transfer length, revision "0001". */
  public static final ScsiSettings DEFAULT = new ScsiSettings(Duration.ofSeconds(30), 8 << 20, 0, "0001");

  public ScsiSettings {
    if (ioTimeout == null || ioTimeout.isNegative() || ioTimeout.isZero()) {
      throw new IllegalArgumentException("ioTimeout must be positive, was " + ioTimeout);
    }
    if (maxTransferLengthBytes < 4096 || maxTransferLengthBytes % 4096 != 0) {
      throw new IllegalArgumentException("maxTransferLengthBytes must be a positive multiple of 4096, was " + maxTransferLengthBytes);
    }
    if (optimalTransferLengthBytes < 0 || optimalTransferLengthBytes % 4096 != 0 || optimalTransferLengthBytes > maxTransferLengthBytes) {
      throw new IllegalArgumentException("optimalTransferLengthBytes must be a multiple of 4096 in [0, maxTransferLengthBytes], was " + optimalTransferLengthBytes);
    }
    if (productRevision == null || productRevision.isEmpty() || productRevision.length() > 4
        || !productRevision.chars().allMatch(c -> c >= 0x20 && c <= 0x7E)) {
      throw new IllegalArgumentException("productRevision must be 1-4 printable ASCII characters, was '" + productRevision + "'");
    }
  }
}
