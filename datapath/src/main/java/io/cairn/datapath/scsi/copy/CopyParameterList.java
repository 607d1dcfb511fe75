package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.scsi.sense.SenseCode;
import java.util.ArrayList;
import java.util.List;

/**
 * The parameter list of EXTENDED COPY (SPC-4 6.4): its header, the CSCD (copy source and copy
 * destination) descriptors, the segment descriptors. {@link #parse} checks everything that can be
 * checked without looking at a logical unit and ends the command with the first error SPC-4 names
 * (ILLEGAL REQUEST; field pointers count from the first byte of the parameter list). Resolving a
 * descriptor to a logical unit, and every later error, is {@link CopyManager}'s (COPY ABORTED).
 *
 * <pre>
 * EXTENDED COPY(LID1) header (service action 00h), 16 bytes:
 *   0      LIST IDENTIFIER
 *   1      reserved(7..6) | STR(5) | LIST ID USAGE(4..3) | PRIORITY(2..0)
 *   2-3    CSCD DESCRIPTOR LIST LENGTH (bytes)
 *   4-7    reserved
 *   8-11   SEGMENT DESCRIPTOR LIST LENGTH (bytes)
 *   12-15  INLINE DATA LENGTH (bytes)
 *
 * EXTENDED COPY(LID4) header (service action 01h), 48 bytes:
 *   0      LIST FORMAT = 01h
 *   1      reserved(7..6) | STR(5) | LIST ID USAGE(4..3) | PRIORITY(2..0)
 *   2-3    HEADER CSCD DESCRIPTOR LIST LENGTH (none supported: 0)
 *   4-14   reserved
 *   15     reserved(7..2) | G_SENSE(1) | IMMED(0) (IMMED not supported: 0)
 *   16     HEADER CSCD DESCRIPTOR TYPE CODE (none supported: 0)
 *   17-19  reserved
 *   20-23  LIST IDENTIFIER
 *   24-41  reserved
 *   42-43  CSCD DESCRIPTOR LIST LENGTH
 *   44-45  SEGMENT DESCRIPTOR LIST LENGTH
 *   46-47  INLINE DATA LENGTH
 *
 * then, in both: CSCD descriptors | segment descriptors | inline data.
 *
 * Identification descriptor CSCD descriptor (type E4h), 32 bytes:
 *   0      DESCRIPTOR TYPE CODE = E4h
 *   1      LU ID TYPE(7..6, ignored) | NUL(5, obsolete, ignored) | PERIPHERAL DEVICE TYPE(4..0)
 *   2-3    RELATIVE INITIATOR PORT IDENTIFIER (ignored: the copy manager is inside the target)
 *   4      reserved(7..4) | CODE SET(3..0)
 *   5      reserved(7..6) | ASSOCIATION(5..4) | DESIGNATOR TYPE(3..0)
 *   6      reserved
 *   7      DESIGNATOR LENGTH (at most 20)
 *   8-27   DESIGNATOR, zero padded
 *   28-31  device type specific; direct access (type 00h):
 *            28 reserved(7..3) | PAD(2) | reserved(1..0), 29-31 DISK BLOCK LENGTH (0: the device's)
 *
 * Block device to block device segment descriptor (type 02h), 28 bytes:
 *   0      DESCRIPTOR TYPE CODE = 02h
 *   1      reserved(7..2) | DC(1) | CAT(0)
 *   2-3    DESCRIPTOR LENGTH = 0018h (bytes after byte 3)
 *   4-5    SOURCE CSCD DESCRIPTOR ID          6-7   DESTINATION CSCD DESCRIPTOR ID
 *   8-9    reserved                           10-11 BLOCK DEVICE NUMBER OF BLOCKS
 *   12-19  SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS
 *   20-27  DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS
 * </pre>
 *
 * <p>Checks, in this order: header length (PARAMETER LIST LENGTH ERROR), header fields (INVALID
 * FIELD IN PARAMETER LIST), descriptor list length against MAXIMUM DESCRIPTOR LIST LENGTH and inline
 * data against MAXIMUM INLINE DATA LENGTH (0) (PARAMETER LIST LENGTH ERROR), truncation by the
 * PARAMETER LIST LENGTH (PARAMETER LIST LENGTH ERROR), then each CSCD descriptor (TOO MANY TARGET
 * DESCRIPTORS, UNSUPPORTED TARGET DESCRIPTOR TYPE CODE, its fields) and each segment descriptor (TOO
 * MANY SEGMENT DESCRIPTORS, UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE, its fields).
 *
 * <p>Stateless; called on a portal thread.
 */
public final class CopyParameterList {

  /** EXTENDED COPY service actions (CDB byte 1, bits 4..0). */
  public static final int LID1 = 0x00;
  public static final int LID4 = 0x01;

  public static final int LID1_HEADER_LENGTH = 16;
  public static final int LID4_HEADER_LENGTH = 48;

  static final int FLAGS_OFFSET = 1;
  static final int LID1_LIST_IDENTIFIER_OFFSET = 0;
  static final int LID1_CSCD_LIST_LENGTH_OFFSET = 2;
  static final int LID1_SEGMENT_LIST_LENGTH_OFFSET = 8;
  static final int LID1_INLINE_DATA_LENGTH_OFFSET = 12;
  static final int LID4_LIST_FORMAT_OFFSET = 0;
  static final int LID4_HEADER_CSCD_LIST_LENGTH_OFFSET = 2;
  static final int LID4_IMMED_OFFSET = 15;
  static final int LID4_HEADER_CSCD_TYPE_OFFSET = 16;
  static final int LID4_LIST_IDENTIFIER_OFFSET = 20;
  static final int LID4_CSCD_LIST_LENGTH_OFFSET = 42;
  static final int LID4_SEGMENT_LIST_LENGTH_OFFSET = 44;
  static final int LID4_INLINE_DATA_LENGTH_OFFSET = 46;
  static final int LID4_LIST_FORMAT = 0x01;

  /** LIST ID USAGE values (byte 1, bits 4..3). */
  public static final int LIST_ID_USAGE_HOLD = 0b00;
  public static final int LIST_ID_USAGE_RESERVED = 0b01;
  public static final int LIST_ID_USAGE_NO_HOLD = 0b10;
  public static final int LIST_ID_USAGE_NONE = 0b11;

  public static final int CSCD_IDENTIFICATION = 0xE4;
  public static final int SEGMENT_BLOCK_TO_BLOCK = 0x02;
  /** DESCRIPTOR LENGTH of a block-to-block segment descriptor. */
  static final int BLOCK_SEGMENT_DESCRIPTOR_LENGTH = 0x18;
  /** Longest DESIGNATOR an identification descriptor CSCD descriptor holds. */
  static final int MAX_DESIGNATOR_LENGTH = 20;

  static final int CSCD_PERIPHERAL_TYPE_OFFSET = 1;
  static final int CSCD_CODE_SET_OFFSET = 4;
  static final int CSCD_DESIGNATOR_TYPE_OFFSET = 5;
  static final int CSCD_DESIGNATOR_LENGTH_OFFSET = 7;
  static final int CSCD_DESIGNATOR_OFFSET = 8;
  static final int CSCD_DISK_BLOCK_LENGTH_OFFSET = 29;

  static final int SEGMENT_FLAGS_OFFSET = 1;
  static final int SEGMENT_DESCRIPTOR_LENGTH_OFFSET = 2;
  static final int SEGMENT_SOURCE_ID_OFFSET = 4;
  static final int SEGMENT_DESTINATION_ID_OFFSET = 6;
  static final int SEGMENT_BLOCKS_OFFSET = 10;
  static final int SEGMENT_SOURCE_LBA_OFFSET = 12;
  static final int SEGMENT_DESTINATION_LBA_OFFSET = 20;
  static final int SEGMENT_DC = 0x02;
  static final int SEGMENT_CAT = 0x01;

  private CopyParameterList() {}

  /**
   * One EXTENDED COPY parameter list, checked.
   *
   * @param serviceAction {@link #LID1} or {@link #LID4}
   * @param listIdentifier LIST IDENTIFIER (8 bits in LID1, 32 in LID4)
   * @param listIdUsage LIST ID USAGE (never {@link #LIST_ID_USAGE_RESERVED})
   * @param cscds the CSCD descriptors, in list order (a CSCD descriptor ID is an index into it)
   * @param segments the segment descriptors, in list order
   */
  public record CopyList(int serviceAction, long listIdentifier, int listIdUsage, List<Cscd> cscds, List<BlockSegment> segments) {

    public CopyList {
      cscds = List.copyOf(cscds);
      segments = List.copyOf(segments);
    }

    /** Whether the copy manager keeps the command's status for RECEIVE COPY RESULTS. */
    public boolean heldForResults() {
      return listIdUsage != LIST_ID_USAGE_NONE;
    }
  }

  /**
   * An identification descriptor CSCD descriptor (E4h).
   *
   * @param offset its first byte in the parameter list (for segment pointers with SD = 0)
   * @param peripheralDeviceType PERIPHERAL DEVICE TYPE
   * @param codeSet CODE SET of the designator
   * @param association ASSOCIATION of the designator
   * @param designatorType DESIGNATOR TYPE
   * @param designator the DESIGNATOR LENGTH bytes of the designator
   * @param diskBlockLength DISK BLOCK LENGTH (direct-access devices), 0 when not given
   */
  public record Cscd(int offset, int peripheralDeviceType, int codeSet, int association, int designatorType,
      byte[] designator, int diskBlockLength) {

    /** DISK BLOCK LENGTH's offset in the parameter list. */
    public int diskBlockLengthOffset() {
      return offset + CSCD_DISK_BLOCK_LENGTH_OFFSET;
    }
  }

  /**
   * A block device to block device segment descriptor (02h).
   *
   * @param index its position among the segment descriptors (0 for the first)
   * @param offset its first byte in the parameter list
   * @param sourceId SOURCE CSCD DESCRIPTOR ID
   * @param destinationId DESTINATION CSCD DESCRIPTOR ID
   * @param destinationCount DC: whether {@code blocks} counts destination blocks (else source blocks)
   * @param blocks BLOCK DEVICE NUMBER OF BLOCKS
   * @param sourceLba SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS (unsigned)
   * @param destinationLba DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS (unsigned)
   */
  public record BlockSegment(int index, int offset, int sourceId, int destinationId, boolean destinationCount,
      int blocks, long sourceLba, long destinationLba) {}

  /**
   * Parses and checks a parameter list.
   *
   * @param p the parameter list's first bytes: all {@code length} of them, or at least the header
   *     and {@link CopyLimits#maxDescriptorListLengthBytes} more (a longer list is not looked at further)
   * @param length PARAMETER LIST LENGTH of the CDB, at least 1 (0 is no parameter list: nothing to do)
   * @throws CopyException with the sense data of the first error
   */
  public static CopyList parse(byte[] p, long length, int serviceAction, CopyLimits limits) {
    boolean lid4 = serviceAction == LID4;
    int headerLength = lid4 ? LID4_HEADER_LENGTH : LID1_HEADER_LENGTH;
    if (length < headerLength) throw CopyException.parameterListLength();

    long listIdentifier;
    long cscdLength;
    long segmentLength;
    long inlineLength;
    int cscdLengthOffset;
    int segmentLengthOffset;
    int listIdentifierOffset;
    if (lid4) {
      if (u8(p, LID4_LIST_FORMAT_OFFSET) != LID4_LIST_FORMAT) throw CopyException.invalidField(LID4_LIST_FORMAT_OFFSET, 7);
      if (u16(p, LID4_HEADER_CSCD_LIST_LENGTH_OFFSET) != 0) throw CopyException.invalidField(LID4_HEADER_CSCD_LIST_LENGTH_OFFSET, 7);
      checkZero(p, 4, 15);
      int flags2 = u8(p, LID4_IMMED_OFFSET);
      if ((flags2 & 0xFC) != 0) throw CopyException.invalidField(LID4_IMMED_OFFSET, 31 - Integer.numberOfLeadingZeros(flags2 & 0xFC));
      if ((flags2 & 0x01) != 0) throw CopyException.invalidField(LID4_IMMED_OFFSET, 0);
      if (u8(p, LID4_HEADER_CSCD_TYPE_OFFSET) != 0) throw CopyException.invalidField(LID4_HEADER_CSCD_TYPE_OFFSET, 7);
      checkZero(p, 17, 20);
      checkZero(p, 24, 42);
      listIdentifierOffset = LID4_LIST_IDENTIFIER_OFFSET;
      listIdentifier = u32(p, LID4_LIST_IDENTIFIER_OFFSET);
      cscdLengthOffset = LID4_CSCD_LIST_LENGTH_OFFSET;
      segmentLengthOffset = LID4_SEGMENT_LIST_LENGTH_OFFSET;
      cscdLength = u16(p, LID4_CSCD_LIST_LENGTH_OFFSET);
      segmentLength = u16(p, LID4_SEGMENT_LIST_LENGTH_OFFSET);
      inlineLength = u16(p, LID4_INLINE_DATA_LENGTH_OFFSET);
    } else {
      listIdentifierOffset = LID1_LIST_IDENTIFIER_OFFSET;
      listIdentifier = u8(p, LID1_LIST_IDENTIFIER_OFFSET);
      checkZero(p, 4, 8);
      cscdLengthOffset = LID1_CSCD_LIST_LENGTH_OFFSET;
      segmentLengthOffset = LID1_SEGMENT_LIST_LENGTH_OFFSET;
      cscdLength = u16(p, LID1_CSCD_LIST_LENGTH_OFFSET);
      segmentLength = u32(p, LID1_SEGMENT_LIST_LENGTH_OFFSET);
      inlineLength = u32(p, LID1_INLINE_DATA_LENGTH_OFFSET);
    }
    int flags = u8(p, FLAGS_OFFSET);
    if ((flags & 0xC0) != 0) throw CopyException.invalidField(FLAGS_OFFSET, 7);
    int listIdUsage = (flags >> 3) & 0x03;
    if (listIdUsage == LIST_ID_USAGE_RESERVED) throw CopyException.invalidField(FLAGS_OFFSET, 4);
    if (listIdUsage == LIST_ID_USAGE_NONE && listIdentifier != 0) throw CopyException.invalidField(listIdentifierOffset, 7);

    if (cscdLength + segmentLength > limits.maxDescriptorListLengthBytes()) throw CopyException.parameterListLength();
    if (inlineLength > 0) throw CopyException.parameterListLength();
    if (headerLength + cscdLength + segmentLength + inlineLength > length) throw CopyException.parameterListLength();

    List<Cscd> cscds = new ArrayList<>();
    int cscdEnd = headerLength + (int) cscdLength;
    for (int off = headerLength; off < cscdEnd; off += CopyLimits.CSCD_DESCRIPTOR_LENGTH) {
      if (cscds.size() == limits.maxCscdDescriptors()) {
        throw CopyException.of(SenseCode.TOO_MANY_TARGET_DESCRIPTORS);
      }
      if (u8(p, off) != CSCD_IDENTIFICATION) {
        throw CopyException.inParameterList(SenseCode.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE, off, 7);
      }
      if (off + CopyLimits.CSCD_DESCRIPTOR_LENGTH > cscdEnd) throw CopyException.invalidField(cscdLengthOffset, 7);
      cscds.add(identificationCscd(p, off));
    }

    List<BlockSegment> segments = new ArrayList<>();
    int segmentEnd = cscdEnd + (int) segmentLength;
    for (int off = cscdEnd; off < segmentEnd; ) {
      if (segments.size() == limits.maxSegmentDescriptors()) {
        throw CopyException.of(SenseCode.TOO_MANY_SEGMENT_DESCRIPTORS);
      }
      if (u8(p, off) != SEGMENT_BLOCK_TO_BLOCK) {
        throw CopyException.inParameterList(SenseCode.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE, off, 7);
      }
      if (off + 4 > segmentEnd) throw CopyException.invalidField(segmentLengthOffset, 7);
      if (u16(p, off + SEGMENT_DESCRIPTOR_LENGTH_OFFSET) != BLOCK_SEGMENT_DESCRIPTOR_LENGTH) {
        throw CopyException.invalidField(off + SEGMENT_DESCRIPTOR_LENGTH_OFFSET, 7);
      }
      if (off + CopyLimits.BLOCK_SEGMENT_LENGTH > segmentEnd) throw CopyException.invalidField(segmentLengthOffset, 7);
      segments.add(blockSegment(p, off, segments.size()));
      off += CopyLimits.BLOCK_SEGMENT_LENGTH;
    }
    return new CopyList(serviceAction, listIdentifier, listIdUsage, cscds, segments);
  }

  private static Cscd identificationCscd(byte[] p, int off) {
    int designatorLength = u8(p, off + CSCD_DESIGNATOR_LENGTH_OFFSET);
    if (designatorLength > MAX_DESIGNATOR_LENGTH) throw CopyException.invalidField(off + CSCD_DESIGNATOR_LENGTH_OFFSET, 7);
    byte[] designator = new byte[designatorLength];
    System.arraycopy(p, off + CSCD_DESIGNATOR_OFFSET, designator, 0, designatorLength);
    return new Cscd(
        off,
        u8(p, off + CSCD_PERIPHERAL_TYPE_OFFSET) & 0x1F,
        u8(p, off + CSCD_CODE_SET_OFFSET) & 0x0F,
        (u8(p, off + CSCD_DESIGNATOR_TYPE_OFFSET) >> 4) & 0x03,
        u8(p, off + CSCD_DESIGNATOR_TYPE_OFFSET) & 0x0F,
        designator,
        (u8(p, off + CSCD_DISK_BLOCK_LENGTH_OFFSET) << 16) | u16(p, off + CSCD_DISK_BLOCK_LENGTH_OFFSET + 1));
  }

  private static BlockSegment blockSegment(byte[] p, int off, int index) {
    int flags = u8(p, off + SEGMENT_FLAGS_OFFSET);
    if ((flags & 0xFC) != 0) throw CopyException.invalidField(off + SEGMENT_FLAGS_OFFSET, 31 - Integer.numberOfLeadingZeros(flags & 0xFC));
    if (u16(p, off + 8) != 0) throw CopyException.invalidField(off + 8, 7);
    return new BlockSegment(
        index,
        off,
        u16(p, off + SEGMENT_SOURCE_ID_OFFSET),
        u16(p, off + SEGMENT_DESTINATION_ID_OFFSET),
        (flags & SEGMENT_DC) != 0,
        u16(p, off + SEGMENT_BLOCKS_OFFSET),
        u64(p, off + SEGMENT_SOURCE_LBA_OFFSET),
        u64(p, off + SEGMENT_DESTINATION_LBA_OFFSET));
  }

  /** INVALID FIELD IN PARAMETER LIST at the first non-zero byte of the reserved range [from, to). */
  private static void checkZero(byte[] p, int from, int to) {
    for (int i = from; i < to; i++) {
      if (p[i] != 0) throw CopyException.invalidField(i, 31 - Integer.numberOfLeadingZeros(p[i] & 0xFF));
    }
  }

  static int u8(byte[] b, int off) {
    return b[off] & 0xFF;
  }

  static int u16(byte[] b, int off) {
    return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
  }

  static long u32(byte[] b, int off) {
    return ((long) u16(b, off) << 16) | u16(b, off + 2);
  }

  static long u64(byte[] b, int off) {
    return (u32(b, off) << 32) | u32(b, off + 4);
  }
}
