package io.cairn.datapath.scsi.copy;

/**
 * What the copy manager accepts and how hard it may work, validated once at construction. The
 * descriptor limits are what RECEIVE COPY RESULTS OPERATING PARAMETERS and the Third-party Copy VPD
 * page report, and the parser enforces exactly those values.
 *
 * @param maxCscdDescriptors MAXIMUM CSCD DESCRIPTOR COUNT, descriptors per EXTENDED COPY
 * @param maxSegmentDescriptors MAXIMUM SEGMENT DESCRIPTOR COUNT, descriptors per EXTENDED COPY
 * @param maxDescriptorListLengthBytes MAXIMUM DESCRIPTOR LIST LENGTH: CSCD plus segment descriptor
 *     bytes; at least room for the maximum counts of the smallest descriptors (32 and 28 bytes)
 * @param maxSegmentLengthBytes MAXIMUM SEGMENT LENGTH, bytes one segment descriptor may move
 * @param maxConcurrentCopies EXTENDED COPY commands that may run at once on this node (TOTAL
 *     CONCURRENT COPIES and MAXIMUM CONCURRENT COPIES); each holds at most {@code chunkBytes} of data
 * @param chunkBytes bytes one read-then-write step moves: the most data a running copy holds in
 *     memory; a multiple of 4096
 */
public record CopyLimits(
    int maxCscdDescriptors,
    int maxSegmentDescriptors,
    int maxDescriptorListLengthBytes,
    long maxSegmentLengthBytes,
    int maxConcurrentCopies,
    int chunkBytes) {

  /**
   * 16 CSCD and 32 segment descriptors (1408 descriptor bytes), a segment of up to 256 MiB (65535
   * blocks of 4096 bytes, the most a block-to-block segment can name), 8 copies at once, 2 MiB chunks
   * (16 MiB of copy data per node at most; a 2 MiB write is past the vDisk's 1.5 MiB sequential
   * threshold, so copied data goes straight to the extent store instead of through the OpLog).
   */
  public static final CopyLimits DEFAULT = new CopyLimits(16, 32, 16 * 32 + 32 * 28, 256L << 20, 8, 2 << 20);

  /** Bytes of an identification (E4h) CSCD descriptor. */
  static final int CSCD_DESCRIPTOR_LENGTH = 32;
  /** Bytes of a block-to-block (02h) segment descriptor. */
  static final int BLOCK_SEGMENT_LENGTH = 28;

  public CopyLimits {
    if (maxCscdDescriptors < 2 || maxCscdDescriptors > 0x07FF) {
      throw new IllegalArgumentException("maxCscdDescriptors must be in [2, 2047] (CSCD descriptor IDs), was " + maxCscdDescriptors);
    }
    if (maxSegmentDescriptors < 1 || maxSegmentDescriptors > 0xFFFF) {
      throw new IllegalArgumentException("maxSegmentDescriptors must be in [1, 65535], was " + maxSegmentDescriptors);
    }
    long least = (long) maxCscdDescriptors * CSCD_DESCRIPTOR_LENGTH + (long) maxSegmentDescriptors * BLOCK_SEGMENT_LENGTH;
    if (maxDescriptorListLengthBytes < least || maxDescriptorListLengthBytes > 0xFFFF) {
      throw new IllegalArgumentException("maxDescriptorListLengthBytes must be in [" + least + ", 65535], was " + maxDescriptorListLengthBytes);
    }
    if (maxSegmentLengthBytes < 4096 || maxSegmentLengthBytes > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("maxSegmentLengthBytes must be in [4096, 2^32 - 1], was " + maxSegmentLengthBytes);
    }
    if (maxConcurrentCopies < 1 || maxConcurrentCopies > 255) {
      throw new IllegalArgumentException("maxConcurrentCopies must be in [1, 255], was " + maxConcurrentCopies);
    }
    if (chunkBytes < 4096 || chunkBytes % 4096 != 0 || chunkBytes > (64 << 20)) {
      throw new IllegalArgumentException("chunkBytes must be a multiple of 4096 in [4096, 64 MiB], was " + chunkBytes);
    }
  }
}
