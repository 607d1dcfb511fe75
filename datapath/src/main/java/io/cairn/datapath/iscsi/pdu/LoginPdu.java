package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Login Request (RFC 7143 section 11.12) and Login Response (section 11.13).
 *
 * <pre>
 * Request:
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|1| 0x03      |T|C|.|.|CSG|NSG| Version-max   | Version-min   |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| ISID                                                          |
 *    +                               +---------------+---------------+
 *  12|                               | TSIH                          |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| CID                           | Reserved                      |
 *    +---------------+---------------+---------------+---------------+
 *  24| CmdSN                                                         |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN or Reserved                                         |
 *    +---------------+---------------+---------------+---------------+
 *  32/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 *    / DataSegment - Login Parameters in Text Request Format         /
 *
 * Response:
 *    +---------------+---------------+---------------+---------------+
 *   0|.|.| 0x23      |T|C|.|.|CSG|NSG| Version-max   | Version-active|
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| ISID                                                          |
 *    +                               +---------------+---------------+
 *  12|                               | TSIH                          |
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
 *  36| Status-Class  | Status-Detail | Reserved                      |
 *    +---------------+---------------+---------------+---------------+
 *  40/ Reserved                                                      /
 *  48+---------------+---------------+---------------+---------------+
 *    / DataSegment - Login Parameters in Text Request Format         /
 * </pre>
 *
 * Stages (CSG, NSG): 0 security negotiation, 1 login operational negotiation, 3 full feature
 * phase. T (transit) asks for or grants the move to NSG; C (continue) marks text continued in the
 * next PDU.
 */
public final class LoginPdu {

  public static final int FLAGS_OFFSET = 1;
  public static final int VERSION_MAX_OFFSET = 2;
  public static final int VERSION_MIN_OFFSET = 3;
  public static final int VERSION_ACTIVE_OFFSET = 3;
  public static final int ISID_OFFSET = 8;
  public static final int TSIH_OFFSET = 14;
  public static final int CID_OFFSET = 20;
  public static final int CMD_SN_OFFSET = 24;
  public static final int EXP_STAT_SN_OFFSET = 28;
  public static final int STATUS_CLASS_OFFSET = 36;
  public static final int STATUS_DETAIL_OFFSET = 37;

  public static final int TRANSIT_BIT = 0x80;
  public static final int CONTINUE_BIT = 0x40;

  public static final int STAGE_SECURITY = 0;
  public static final int STAGE_OPERATIONAL = 1;
  public static final int STAGE_FULL_FEATURE = 3;

  /** The only iSCSI version defined (RFC 7143 section 11.12). */
  public static final int VERSION = 0x00;

  private LoginPdu() {}

  public static boolean transit(ByteBuf bhs) {
    return (bhs.getByte(FLAGS_OFFSET) & TRANSIT_BIT) != 0;
  }

  public static boolean continueBit(ByteBuf bhs) {
    return (bhs.getByte(FLAGS_OFFSET) & CONTINUE_BIT) != 0;
  }

  public static int currentStage(ByteBuf bhs) {
    return (bhs.getByte(FLAGS_OFFSET) >> 2) & 0x03;
  }

  public static int nextStage(ByteBuf bhs) {
    return bhs.getByte(FLAGS_OFFSET) & 0x03;
  }

  public static int versionMax(ByteBuf bhs) {
    return bhs.getUnsignedByte(VERSION_MAX_OFFSET);
  }

  public static int versionMin(ByteBuf bhs) {
    return bhs.getUnsignedByte(VERSION_MIN_OFFSET);
  }

  /** The 48-bit ISID as a long. */
  public static long isid(ByteBuf bhs) {
    return ((long) bhs.getUnsignedShort(ISID_OFFSET) << 32) | bhs.getUnsignedInt(ISID_OFFSET + 2);
  }

  public static int tsih(ByteBuf bhs) {
    return bhs.getUnsignedShort(TSIH_OFFSET);
  }

  public static int cid(ByteBuf bhs) {
    return bhs.getUnsignedShort(CID_OFFSET);
  }

  public static int statusClass(ByteBuf bhs) {
    return bhs.getUnsignedByte(STATUS_CLASS_OFFSET);
  }

  public static int statusDetail(ByteBuf bhs) {
    return bhs.getUnsignedByte(STATUS_DETAIL_OFFSET);
  }

  public static int flags(boolean transit, boolean cont, int csg, int nsg) {
    return (transit ? TRANSIT_BIT : 0) | (cont ? CONTINUE_BIT : 0) | ((csg & 3) << 2) | (nsg & 3);
  }

  /** Builds a Login Response header; {@code status} is Status-Class in the high byte, Status-Detail in the low. */
  public static ByteBuf responseHeader(
      ByteBufAllocator alloc, int flags, long isid, int tsih, int itt, int statSn, int expCmdSn,
      int maxCmdSn, int status) {
    ByteBuf bhs = Bhs.allocate(alloc, Opcode.LOGIN_RESPONSE);
    Bhs.setFlags(bhs, flags);
    bhs.setByte(VERSION_MAX_OFFSET, VERSION);
    bhs.setByte(VERSION_ACTIVE_OFFSET, VERSION);
    bhs.setShort(ISID_OFFSET, (int) (isid >>> 32));
    bhs.setInt(ISID_OFFSET + 2, (int) isid);
    bhs.setShort(TSIH_OFFSET, tsih);
    Bhs.setInitiatorTaskTag(bhs, itt);
    Bhs.setSequenceNumbers(bhs, statSn, expCmdSn, maxCmdSn);
    bhs.setByte(STATUS_CLASS_OFFSET, status >>> 8);
    bhs.setByte(STATUS_DETAIL_OFFSET, status & 0xff);
    return bhs;
  }
}
