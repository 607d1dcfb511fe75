package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * NOP-Out (RFC 7143 section 11.18) and NOP-In (section 11.19).
 *
 * <pre>
 * NOP-Out:
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| 0x00      |1| Reserved                                    |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN or Reserved                                               |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag or 0xffffffff                              |
 *    +---------------+---------------+---------------+---------------+
 *  20| Target Transfer Tag or 0xffffffff                             |
 *    +---------------+---------------+---------------+---------------+
 *  24| CmdSN                                                         |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN                                                     |
 *    +---------------+---------------+---------------+---------------+
 *  32/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 *    / DataSegment - Ping Data (optional)                            /
 *
 * NOP-In:
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x20      |1| Reserved                                    |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN or Reserved                                               |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag or 0xffffffff                              |
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
 *    / DataSegment - Return Ping Data                                /
 * </pre>
 *
 * A NOP-In answering a NOP-Out echoes its ITT and data, carries TTT 0xffffffff and advances
 * StatSN. A target ping has ITT 0xffffffff, a TTT the initiator must echo, and does not advance
 * StatSN.
 */
public final class NopPdu {

  public static final int TARGET_TRANSFER_TAG_OFFSET = 20;

  private NopPdu() {}

  public static int targetTransferTag(ByteBuf bhs) {
    return bhs.getInt(TARGET_TRANSFER_TAG_OFFSET);
  }

  public static ByteBuf nopInHeader(
      ByteBufAllocator alloc, long lun, int itt, int ttt, int statSn, int expCmdSn, int maxCmdSn) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.NOP_IN);
    Bhs.setFlags(bhs, Bhs.FINAL_BIT);
    Bhs.setLun(bhs, lun);
    Bhs.setInitiatorTaskTag(bhs, itt);
    bhs.setInt(TARGET_TRANSFER_TAG_OFFSET, ttt);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    return bhs;
  }
}
