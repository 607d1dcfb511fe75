package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The Basic Header Segment every iSCSI PDU starts with (RFC 7143 section 11.2.1). All accessors
 * are static and address the buffer absolutely: index 0 of {@code bhs} is byte 0 of the PDU.
 * Multi-byte fields are big-endian.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| Opcode    |F|  Opcode-specific fields                     |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| LUN or Opcode-specific fields                                 |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20/ Opcode-specific fields                                        /
 *    +/                                                              /
 *  48+---------------+---------------+---------------+---------------+
 * </pre>
 *
 * TotalAHSLength counts 4-byte words of Additional Header Segments; DataSegmentLength counts
 * bytes of payload, excluding the padding to a 4-byte boundary.
 */
public final class Bhs {

  /** Length of the Basic Header Segment, bytes. */
  public static final int LENGTH = 48;

  public static final int OPCODE_OFFSET = 0;
  public static final int FLAGS_OFFSET = 1;
  public static final int TOTAL_AHS_LENGTH_OFFSET = 4;
  public static final int DATA_SEGMENT_LENGTH_OFFSET = 5;
  public static final int LUN_OFFSET = 8;
  public static final int INITIATOR_TASK_TAG_OFFSET = 16;

  /** CmdSN in initiator command PDUs (NOP-Out, SCSI Command, Task Management, Login, Text, Logout). */
  public static final int CMD_SN_OFFSET = 24;
  /** ExpStatSN in initiator PDUs. */
  public static final int EXP_STAT_SN_OFFSET = 28;
  /** StatSN in target PDUs (advanced only by responses carrying status). */
  public static final int STAT_SN_OFFSET = 24;
  /** ExpCmdSN in target PDUs. */
  public static final int EXP_CMD_SN_OFFSET = 28;
  /** MaxCmdSN in target PDUs. */
  public static final int MAX_CMD_SN_OFFSET = 32;

  /** Byte 0 bit 6: immediate delivery (initiator PDUs only). */
  public static final int IMMEDIATE_BIT = 0x40;
  /** Byte 1 bit 7: final PDU of a sequence (meaning per opcode). */
  public static final int FINAL_BIT = 0x80;
  /** The reserved tag value 0xffffffff, written as an int. */
  public static final int RESERVED_TAG = 0xffffffff;

  private Bhs() {}

  public static int opcode(ByteBuf bhs) {
    return bhs.getByte(OPCODE_OFFSET) & 0x3f;
  }

  public static boolean immediate(ByteBuf bhs) {
    return (bhs.getByte(OPCODE_OFFSET) & IMMEDIATE_BIT) != 0;
  }

  public static int flags(ByteBuf bhs) {
    return bhs.getUnsignedByte(FLAGS_OFFSET);
  }

  public static boolean finalBit(ByteBuf bhs) {
    return (bhs.getByte(FLAGS_OFFSET) & FINAL_BIT) != 0;
  }

  /** TotalAHSLength in bytes (the field counts 4-byte words). */
  public static int totalAhsLength(ByteBuf bhs) {
    return bhs.getUnsignedByte(TOTAL_AHS_LENGTH_OFFSET) * 4;
  }

  public static int dataSegmentLength(ByteBuf bhs) {
    return bhs.getUnsignedMedium(DATA_SEGMENT_LENGTH_OFFSET);
  }

  /** The raw 8-byte LUN field. */
  public static long lun(ByteBuf bhs) {
    return bhs.getLong(LUN_OFFSET);
  }

  public static int initiatorTaskTag(ByteBuf bhs) {
    return bhs.getInt(INITIATOR_TASK_TAG_OFFSET);
  }

  public static int cmdSn(ByteBuf bhs) {
    return bhs.getInt(CMD_SN_OFFSET);
  }

  public static int expStatSn(ByteBuf bhs) {
    return bhs.getInt(EXP_STAT_SN_OFFSET);
  }

  public static int statSn(ByteBuf bhs) {
    return bhs.getInt(STAT_SN_OFFSET);
  }

  public static int expCmdSn(ByteBuf bhs) {
    return bhs.getInt(EXP_CMD_SN_OFFSET);
  }

  public static int maxCmdSn(ByteBuf bhs) {
    return bhs.getInt(MAX_CMD_SN_OFFSET);
  }

  /** Data segment length padded to the next multiple of 4. */
  public static int padded(int length) {
    return (length + 3) & ~3;
  }

  /**
   * Allocates a zeroed 48-byte header for a target PDU with its opcode set. Capacity leaves room
   * for the header digest, which the encoder appends.
   */
  public static ByteBuf allocate(ByteBufAllocator alloc, int opcode) {
    ByteBuf bhs = alloc.buffer(LENGTH + 4);
    bhs.writeZero(LENGTH);
    bhs.setByte(OPCODE_OFFSET, opcode & 0x3f);
    return bhs;
  }

  public static void setFlags(ByteBuf bhs, int flags) {
    bhs.setByte(FLAGS_OFFSET, flags);
  }

  public static void setDataSegmentLength(ByteBuf bhs, int length) {
    bhs.setMedium(DATA_SEGMENT_LENGTH_OFFSET, length);
  }

  public static void setLun(ByteBuf bhs, long lun) {
    bhs.setLong(LUN_OFFSET, lun);
  }

  public static void setInitiatorTaskTag(ByteBuf bhs, int itt) {
    bhs.setInt(INITIATOR_TASK_TAG_OFFSET, itt);
  }

  /** Sets StatSN, ExpCmdSN and MaxCmdSN, the three sequence fields every target PDU carries at 24-35. */
  public static void setSequenceNumbers(ByteBuf bhs, int statSn, int expCmdSn, int maxCmdSn) {
    bhs.setInt(STAT_SN_OFFSET, statSn);
    bhs.setInt(EXP_CMD_SN_OFFSET, expCmdSn);
    bhs.setInt(MAX_CMD_SN_OFFSET, maxCmdSn);
  }
}
