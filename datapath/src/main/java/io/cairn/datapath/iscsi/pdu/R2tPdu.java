package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Ready To Transfer PDU (RFC 7143 section 11.8), target to initiator: solicits one sequence of
 * Data-Out for a write.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x31      |1| Reserved                                    |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN                                                           |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Target Transfer Tag                                           |
 *    +---------------+---------------+---------------+---------------+
 *  24| StatSN                                                        |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  36| R2TSN                                                         |
 *    +---------------+---------------+---------------+---------------+
 *  40| Buffer Offset                                                 |
 *    +---------------+---------------+---------------+---------------+
 *  44| Desired Data Transfer Length                                  |
 *    +---------------+---------------+---------------+---------------+
 * </pre>
 *
 * StatSN holds the next StatSN without advancing it.
 */
public final class R2tPdu {

  public static final int TARGET_TRANSFER_TAG_OFFSET = 20;
  public static final int R2T_SN_OFFSET = 36;
  public static final int BUFFER_OFFSET_OFFSET = 40;
  public static final int DESIRED_DATA_TRANSFER_LENGTH_OFFSET = 44;

  private R2tPdu() {}

  public static ByteBuf header(
      ByteBufAllocator alloc, long lun, int itt, int ttt, int statSn, int expCmdSn, int maxCmdSn,
      int r2tSn, int bufferOffset, int desiredLength) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.R2T);
    Bhs.setFlags(bhs, Bhs.FINAL_BIT);
    Bhs.setLun(bhs, lun);
    Bhs.setInitiatorTaskTag(bhs, itt);
    bhs.setInt(TARGET_TRANSFER_TAG_OFFSET, ttt);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    bhs.setInt(R2T_SN_OFFSET, r2tSn);
    bhs.setInt(BUFFER_OFFSET_OFFSET, bufferOffset);
    bhs.setInt(DESIRED_DATA_TRANSFER_LENGTH_OFFSET, desiredLength);
    return bhs;
  }

  public static int targetTransferTag(ByteBuf bhs) {
    return bhs.getInt(TARGET_TRANSFER_TAG_OFFSET);
  }

  public static int r2tSn(ByteBuf bhs) {
    return bhs.getInt(R2T_SN_OFFSET);
  }

  public static int bufferOffset(ByteBuf bhs) {
    return bhs.getInt(BUFFER_OFFSET_OFFSET);
  }

  public static int desiredDataTransferLength(ByteBuf bhs) {
    return bhs.getInt(DESIRED_DATA_TRANSFER_LENGTH_OFFSET);
  }
}
