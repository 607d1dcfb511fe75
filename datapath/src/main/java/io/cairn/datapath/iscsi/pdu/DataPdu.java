package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * SCSI Data-Out (initiator to target) and SCSI Data-In (target to initiator) PDUs
 * (RFC 7143 section 11.7).
 *
 * <pre>
 * Data-Out:
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x05      |F| Reserved                                    |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN or Reserved                                               |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Target Transfer Tag or 0xffffffff                             |
 *    +---------------+---------------+---------------+---------------+
 *  24| Reserved                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN                                                     |
 *    +---------------+---------------+---------------+---------------+
 *  32| Reserved                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  36| DataSN                                                        |
 *    +---------------+---------------+---------------+---------------+
 *  40| Buffer Offset                                                 |
 *    +---------------+---------------+---------------+---------------+
 *  44| Reserved                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  48/ DataSegment                                                   /
 *
 * Data-In:
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x25      |F|A|0 0 0|O|U|S| Reserved      |Status or Rsvd |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN or Reserved                                               |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Target Transfer Tag or 0xffffffff                             |
 *    +---------------+---------------+---------------+---------------+
 *  24| StatSN or Reserved                                            |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  36| DataSN                                                        |
 *    +---------------+---------------+---------------+---------------+
 *  40| Buffer Offset                                                 |
 *    +---------------+---------------+---------------+---------------+
 *  44| Residual Count                                                |
 *    +---------------+---------------+---------------+---------------+
 *  48/ DataSegment                                                   /
 * </pre>
 *
 * DataSN of Data-Out restarts at 0 in every sequence (the unsolicited one, and each R2T's);
 * DataSN of Data-In counts the command's Data-In PDUs from 0. The S bit (status) on the final
 * Data-In carries the command's status (section 11.7), with StatSN, Status and the residual.
 */
public final class DataPdu {

  public static final int FLAGS_OFFSET = 1;
  public static final int STATUS_OFFSET = 3;
  public static final int TARGET_TRANSFER_TAG_OFFSET = 20;
  public static final int DATA_SN_OFFSET = 36;
  public static final int BUFFER_OFFSET_OFFSET = 40;
  public static final int RESIDUAL_COUNT_OFFSET = 44;

  public static final int ACKNOWLEDGE_BIT = 0x40;
  public static final int OVERFLOW_BIT = 0x04;
  public static final int UNDERFLOW_BIT = 0x02;
  public static final int STATUS_BIT = 0x01;

  private DataPdu() {}

  public static int targetTransferTag(ByteBuf bhs) {
    return bhs.getInt(TARGET_TRANSFER_TAG_OFFSET);
  }

  public static int dataSn(ByteBuf bhs) {
    return bhs.getInt(DATA_SN_OFFSET);
  }

  /** Buffer Offset, an unsigned byte offset into the command's data. */
  public static long bufferOffset(ByteBuf bhs) {
    return bhs.getUnsignedInt(BUFFER_OFFSET_OFFSET);
  }

  public static int residualCount(ByteBuf bhs) {
    return bhs.getInt(RESIDUAL_COUNT_OFFSET);
  }

  public static int status(ByteBuf bhs) {
    return bhs.getUnsignedByte(STATUS_OFFSET);
  }

  /**
   * Builds a Data-In header. {@code flags} combines {@link Bhs#FINAL_BIT}, {@link #STATUS_BIT} and the
   * residual bits; StatSN, Status and Residual Count are meaningful only with the S bit (pass 0
   * otherwise).
   */
  public static ByteBuf dataInHeader(
      ByteBufAllocator alloc, int flags, int status, long lun, int itt, int statSn, int expCmdSn,
      int maxCmdSn, int dataSn, int bufferOffset, int residualCount) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.DATA_IN);
    bhs.setByte(FLAGS_OFFSET, flags);
    bhs.setByte(STATUS_OFFSET, status);
    Bhs.setLun(bhs, lun);
    Bhs.setInitiatorTaskTag(bhs, itt);
    bhs.setInt(TARGET_TRANSFER_TAG_OFFSET, Bhs.RESERVED_TAG);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    bhs.setInt(DATA_SN_OFFSET, dataSn);
    bhs.setInt(BUFFER_OFFSET_OFFSET, bufferOffset);
    bhs.setInt(RESIDUAL_COUNT_OFFSET, residualCount);
    return bhs;
  }
}
