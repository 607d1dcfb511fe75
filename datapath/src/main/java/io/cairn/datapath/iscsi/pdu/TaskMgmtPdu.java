package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Task Management Function Request (RFC 7143 section 11.5) and Response (section 11.6).
 *
 * <pre>
 * Request:
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| 0x02      |1| Function    | Reserved                      |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| Logical Unit Number (LUN) or Reserved                         |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Referenced Task Tag or 0xffffffff                             |
 *    +---------------+---------------+---------------+---------------+
 *  24| CmdSN                                                         |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN                                                     |
 *    +---------------+---------------+---------------+---------------+
 *  32| RefCmdSN or Reserved                                          |
 *    +---------------+---------------+---------------+---------------+
 *  36| ExpDataSN or Reserved                                         |
 *    +---------------+---------------+---------------+---------------+
 *  40/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 *
 * Response:
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x22      |1| Reserved    | Response      | Reserved      |
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
 *  36/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 * </pre>
 */
public final class TaskMgmtPdu {

  public static final int FUNCTION_OFFSET = 1;
  public static final int REFERENCED_TASK_TAG_OFFSET = 20;
  public static final int REF_CMD_SN_OFFSET = 32;
  public static final int EXP_DATA_SN_OFFSET = 36;
  public static final int RESPONSE_OFFSET = 2;

  public static final int FUNCTION_MASK = 0x7f;

  /** Response code: function complete. */
  public static final int FUNCTION_COMPLETE = 0;
  /** Response code: task does not exist. */
  public static final int TASK_DOES_NOT_EXIST = 1;
  /** Response code: task allegiance reassignment not supported. */
  public static final int REASSIGNMENT_NOT_SUPPORTED = 4;
  /** Response code: task management function not supported. */
  public static final int FUNCTION_NOT_SUPPORTED = 5;
  /** Response code: function rejected. */
  public static final int FUNCTION_REJECTED = 255;

  private TaskMgmtPdu() {}

  public static int function(ByteBuf bhs) {
    return bhs.getByte(FUNCTION_OFFSET) & FUNCTION_MASK;
  }

  public static int referencedTaskTag(ByteBuf bhs) {
    return bhs.getInt(REFERENCED_TASK_TAG_OFFSET);
  }

  public static int refCmdSn(ByteBuf bhs) {
    return bhs.getInt(REF_CMD_SN_OFFSET);
  }

  public static int response(ByteBuf bhs) {
    return bhs.getUnsignedByte(RESPONSE_OFFSET);
  }

  public static ByteBuf responseHeader(
      ByteBufAllocator alloc, int itt, int response, int statSn, int expCmdSn, int maxCmdSn) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.TASK_MGMT_RESPONSE);
    Bhs.setFlags(bhs, Bhs.FINAL_BIT);
    bhs.setByte(RESPONSE_OFFSET, response);
    Bhs.setInitiatorTaskTag(bhs, itt);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    return bhs;
  }
}
