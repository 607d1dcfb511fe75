package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * SCSI Response PDU (RFC 7143 section 11.4), target to initiator.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x21      |1|. .|o|u|O|U|.| Response      | Status        |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| Reserved                                                      |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| SNACK Tag or Reserved                                         |
 *    +---------------+---------------+---------------+---------------+
 *  24| StatSN                                                        |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  36| ExpDataSN or Reserved                                         |
 *    +---------------+---------------+---------------+---------------+
 *  40| Bidirectional Read Residual Count or Reserved                 |
 *    +---------------+---------------+---------------+---------------+
 *  44| Residual Count or Reserved                                    |
 *    +---------------+---------------+---------------+---------------+
 *  48/ DataSegment - Sense and Response Data (section 11.4.7):       /
 *    / SenseLength (2 bytes) followed by the sense data              /
 * </pre>
 *
 * Residual flags (section 11.4.5): O (0x04) residual overflow, U (0x02) residual underflow; o and
 * u are the same for the read part of a bidirectional command.
 */
public final class ScsiResponsePdu {

  public static final int FLAGS_OFFSET = 1;
  public static final int RESPONSE_OFFSET = 2;
  public static final int STATUS_OFFSET = 3;
  public static final int SNACK_TAG_OFFSET = 20;
  public static final int EXP_DATA_SN_OFFSET = 36;
  public static final int BIDI_READ_RESIDUAL_COUNT_OFFSET = 40;
  public static final int RESIDUAL_COUNT_OFFSET = 44;

  public static final int BIDI_OVERFLOW_BIT = 0x10;
  public static final int BIDI_UNDERFLOW_BIT = 0x08;
  public static final int OVERFLOW_BIT = 0x04;
  public static final int UNDERFLOW_BIT = 0x02;

  /** iSCSI Response code: command completed at target (a SCSI status is present). */
  public static final int RESPONSE_COMPLETED = 0x00;
  /** iSCSI Response code: target failure. */
  public static final int RESPONSE_TARGET_FAILURE = 0x01;

  /** Length of the SenseLength prefix, bytes. */
  public static final int SENSE_LENGTH_PREFIX = 2;

  private ScsiResponsePdu() {}

  /**
   * Builds the header. {@code residualFlags} is {@link #OVERFLOW_BIT}, {@link #UNDERFLOW_BIT} or 0.
   */
  public static ByteBuf header(
      ByteBufAllocator alloc, int itt, int response, int status, int residualFlags, int residualCount,
      int statSn, int expCmdSn, int maxCmdSn, int expDataSn) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.SCSI_RESPONSE);
    bhs.setByte(FLAGS_OFFSET, Bhs.FINAL_BIT | residualFlags);
    bhs.setByte(RESPONSE_OFFSET, response);
    bhs.setByte(STATUS_OFFSET, status);
    Bhs.setInitiatorTaskTag(bhs, itt);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    bhs.setInt(EXP_DATA_SN_OFFSET, expDataSn);
    bhs.setInt(RESIDUAL_COUNT_OFFSET, residualCount);
    return bhs;
  }

  public static int response(ByteBuf bhs) {
    return bhs.getUnsignedByte(RESPONSE_OFFSET);
  }

  public static int status(ByteBuf bhs) {
    return bhs.getUnsignedByte(STATUS_OFFSET);
  }

  public static int residualFlags(ByteBuf bhs) {
    return bhs.getByte(FLAGS_OFFSET) & (OVERFLOW_BIT | UNDERFLOW_BIT | BIDI_OVERFLOW_BIT | BIDI_UNDERFLOW_BIT);
  }

  public static int expDataSn(ByteBuf bhs) {
    return bhs.getInt(EXP_DATA_SN_OFFSET);
  }

  public static int residualCount(ByteBuf bhs) {
    return bhs.getInt(RESIDUAL_COUNT_OFFSET);
  }

  /** The data segment for sense data: SenseLength then the sense bytes. */
  public static ByteBuf senseSegment(ByteBufAllocator alloc, byte[] sense) {
    ByteBuf data = alloc.buffer(SENSE_LENGTH_PREFIX + sense.length);
    data.writeShort(sense.length);
    data.writeBytes(sense);
    return data;
  }
}
