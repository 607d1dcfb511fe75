package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Reject PDU (RFC 7143 section 11.17), target to initiator. Its data segment is the complete
 * Basic Header Segment of the rejected PDU.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x3f      |1| Reserved    | Reason        | Reserved      |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8/ Reserved                                                      /
 *    +---------------+---------------+---------------+---------------+
 *  16| 0xffffffff                                                    |
 *    +---------------+---------------+---------------+---------------+
 *  20| Reserved                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  24| StatSN                                                        |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  32| MaxCmdSN                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  36| DataSN/R2TSN or Reserved                                      |
 *    +---------------+---------------+---------------+---------------+
 *  40| Reserved                                                      |
 *    +---------------+---------------+---------------+---------------+
 *  44| Reserved                                                      |
 *  48+---------------+---------------+---------------+---------------+
 *    / DataSegment - Complete Header of Bad PDU                      /
 * </pre>
 */
public final class RejectPdu {

  public static final int REASON_OFFSET = 2;
  public static final int DATA_SN_OFFSET = 36;

  /** Reason: data (payload) digest error. */
  public static final int DATA_DIGEST_ERROR = 0x02;
  /** Reason: SNACK reject. */
  public static final int SNACK_REJECT = 0x03;
  /** Reason: protocol error (e.g. a PDU not allowed in this session or phase). */
  public static final int PROTOCOL_ERROR = 0x04;
  /** Reason: command (opcode) not supported. */
  public static final int COMMAND_NOT_SUPPORTED = 0x05;
  /** Reason: immediate command reject, too many immediate commands. */
  public static final int TOO_MANY_IMMEDIATE_COMMANDS = 0x06;
  /** Reason: task in progress (the Initiator Task Tag is in use). */
  public static final int TASK_IN_PROGRESS = 0x07;
  /** Reason: invalid PDU field. */
  public static final int INVALID_PDU_FIELD = 0x09;
  /** Reason: long operation reject, out of resources. */
  public static final int OUT_OF_RESOURCES = 0x0a;
  /** Reason: waiting for logout. */
  public static final int WAITING_FOR_LOGOUT = 0x0c;

  private RejectPdu() {}

  public static int reason(ByteBuf bhs) {
    return bhs.getUnsignedByte(REASON_OFFSET);
  }

  public static ByteBuf header(ByteBufAllocator alloc, int reason, int statSn, int expCmdSn, int maxCmdSn) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.REJECT);
    Bhs.setFlags(bhs, Bhs.FINAL_BIT);
    bhs.setByte(REASON_OFFSET, reason);
    Bhs.setInitiatorTaskTag(bhs, Bhs.RESERVED_TAG);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    return bhs;
  }
}
