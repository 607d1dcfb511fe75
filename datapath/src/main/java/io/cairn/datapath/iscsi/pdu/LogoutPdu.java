package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Logout Request (RFC 7143 section 11.14) and Logout Response (section 11.15).
 *
 * <pre>
 * Request:
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| 0x06      |1| Reason Code | Reserved                      |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8/ Reserved                                                      /
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| CID or Reserved               | Reserved                      |
 *    +---------------+---------------+---------------+---------------+
 *  24| CmdSN                                                         |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN                                                     |
 *    +---------------+---------------+---------------+---------------+
 *  32/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 *
 * Response:
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x26      |1| Reserved    | Response      | Reserved      |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8/ Reserved                                                      /
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Reserved                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  24| StatSN                                                        |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  36| Reserved                                                      |
 *    +---------------------------------------------------------------+
 *  40| Time2Wait                     | Time2Retain                   |
 *    +---------------+---------------+---------------+---------------+
 *  44| Reserved                                                      |
 *  48+---------------+---------------+---------------+---------------+
 * </pre>
 */
public final class LogoutPdu {

  public static final int REASON_OFFSET = 1;
  public static final int CID_OFFSET = 20;
  public static final int RESPONSE_OFFSET = 2;
  public static final int TIME2WAIT_OFFSET = 40;
  public static final int TIME2RETAIN_OFFSET = 42;

  public static final int REASON_CLOSE_SESSION = 0;
  public static final int REASON_CLOSE_CONNECTION = 1;
  public static final int REASON_REMOVE_FOR_RECOVERY = 2;

  /** Response: connection or session closed successfully. */
  public static final int CLOSED = 0;
  /** Response: CID not found. */
  public static final int CID_NOT_FOUND = 1;
  /** Response: connection recovery is not supported. */
  public static final int RECOVERY_NOT_SUPPORTED = 2;

  private LogoutPdu() {}

  public static int reason(ByteBuf bhs) {
    return bhs.getByte(REASON_OFFSET) & 0x7f;
  }

  public static int cid(ByteBuf bhs) {
    return bhs.getUnsignedShort(CID_OFFSET);
  }

  public static int response(ByteBuf bhs) {
    return bhs.getUnsignedByte(RESPONSE_OFFSET);
  }

  public static ByteBuf responseHeader(
      ByteBufAllocator alloc, int itt, int response, int statSn, int expCmdSn, int maxCmdSn,
      int time2Wait, int time2Retain) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.LOGOUT_RESPONSE);
    Bhs.setFlags(bhs, Bhs.FINAL_BIT);
    bhs.setByte(RESPONSE_OFFSET, response);
    Bhs.setInitiatorTaskTag(bhs, itt);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    bhs.setShort(TIME2WAIT_OFFSET, time2Wait);
    bhs.setShort(TIME2RETAIN_OFFSET, time2Retain);
    return bhs;
  }
}
