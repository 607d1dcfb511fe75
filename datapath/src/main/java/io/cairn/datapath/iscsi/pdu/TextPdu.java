package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Text Request (RFC 7143 section 11.10) and Text Response (section 11.11).
 *
 * <pre>
 * Request:
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| 0x04      |F|C| Reserved                                  |
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
 *  24| CmdSN                                                         |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN                                                     |
 *    +---------------+---------------+---------------+---------------+
 *  32/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 *    / DataSegment (Text)                                            /
 *
 * Response:
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x24      |F|C| Reserved                                  |
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
 *  24| StatSN                                                        |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  36/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 *    / DataSegment (Text)                                            /
 * </pre>
 *
 * C set: the text continues in the next PDU (then F is 0). A target that has more to send sets
 * a Target Transfer Tag other than 0xffffffff, which the initiator echoes to fetch the rest.
 */
public final class TextPdu {

  public static final int FLAGS_OFFSET = 1;
  public static final int TARGET_TRANSFER_TAG_OFFSET = 20;

  public static final int CONTINUE_BIT = 0x40;

  private TextPdu() {}

  public static boolean continueBit(ByteBuf bhs) {
    return (bhs.getByte(FLAGS_OFFSET) & CONTINUE_BIT) != 0;
  }

  public static int targetTransferTag(ByteBuf bhs) {
    return bhs.getInt(TARGET_TRANSFER_TAG_OFFSET);
  }

  public static ByteBuf responseHeader(
      ByteBufAllocator alloc, boolean fin, boolean cont, long lun, int itt, int ttt, int statSn,
      int expCmdSn, int maxCmdSn) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.TEXT_RESPONSE);
    Bhs.setFlags(bhs, (fin ? Bhs.FINAL_BIT : 0) | (cont ? CONTINUE_BIT : 0));
    Bhs.setLun(bhs, lun);
    Bhs.setInitiatorTaskTag(bhs, itt);
    bhs.setInt(TARGET_TRANSFER_TAG_OFFSET, ttt);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    return bhs;
  }
}
