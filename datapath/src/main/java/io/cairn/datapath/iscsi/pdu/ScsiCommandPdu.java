package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;

/**
 * SCSI Command PDU (RFC 7143 section 11.3), initiator to target.
 *
 * <pre>
 * Byte/     0       |       1       |       2       |       3       |
 *    +---------------+---------------+---------------+---------------+
 *   0|.|I| 0x01      |F|R|W|. .|ATTR | Reserved                      |
 *    +---------------+---------------+---------------+---------------+
 *   4|TotalAHSLength | DataSegmentLength                             |
 *    +---------------+---------------+---------------+---------------+
 *   8| Logical Unit Number (LUN)                                     |
 *    +                                                               +
 *  12|                                                               |
 *    +---------------+---------------+---------------+---------------+
 *  16| Initiator Task Tag                                            |
 *    +---------------+---------------+---------------+---------------+
 *  20| Expected Data Transfer Length                                 |
 *    +---------------+---------------+---------------+---------------+
 *  24| CmdSN                                                         |
 *    +---------------+---------------+---------------+---------------+
 *  28| ExpStatSN                                                     |
 *    +---------------+---------------+---------------+---------------+
 *  32/ SCSI Command Descriptor Block (CDB)                           /
 *    +/                                                              /
 *  48+---------------+---------------+---------------+---------------+
 *    / AHS (optional): Extended CDB (type 1), Bidirectional Read     /
 *    / Expected Data Transfer Length (type 2), section 11.2.2         /
 *    +---------------+---------------+---------------+---------------+
 *    / Header digest (optional)                                      /
 *    +---------------+---------------+---------------+---------------+
 *    / DataSegment - Command Data (immediate data)                   /
 * </pre>
 *
 * The AHS layout (section 11.2.2): a 2-byte AHSLength counting the AHS-specific bytes, a 1-byte
 * AHSType, then the AHS-specific bytes, padded to 4. The Extended CDB AHS starts its specific part
 * with one reserved byte followed by CDB bytes 16 and up.
 */
public final class ScsiCommandPdu {

  public static final int FLAGS_OFFSET = 1;
  public static final int LUN_OFFSET = 8;
  public static final int EXPECTED_DATA_TRANSFER_LENGTH_OFFSET = 20;
  public static final int CMD_SN_OFFSET = 24;
  public static final int EXP_STAT_SN_OFFSET = 28;
  public static final int CDB_OFFSET = 32;
  /** CDB bytes carried in the BHS. */
  public static final int CDB_LENGTH_IN_BHS = 16;

  public static final int READ_BIT = 0x40;
  public static final int WRITE_BIT = 0x20;
  public static final int ATTR_MASK = 0x07;

  /** AHS type of an Extended CDB. */
  public static final int AHS_TYPE_EXTENDED_CDB = 1;
  /** AHS type of a Bidirectional Read Expected Data Transfer Length. */
  public static final int AHS_TYPE_BIDI_READ_LENGTH = 2;

  private ScsiCommandPdu() {}

  public static boolean read(ByteBuf bhs) {
    return (bhs.getByte(FLAGS_OFFSET) & READ_BIT) != 0;
  }

  public static boolean write(ByteBuf bhs) {
    return (bhs.getByte(FLAGS_OFFSET) & WRITE_BIT) != 0;
  }

  public static int taskAttribute(ByteBuf bhs) {
    return bhs.getByte(FLAGS_OFFSET) & ATTR_MASK;
  }

  /** Expected Data Transfer Length, an unsigned 32-bit byte count. */
  public static long expectedDataTransferLength(ByteBuf bhs) {
    return bhs.getUnsignedInt(EXPECTED_DATA_TRANSFER_LENGTH_OFFSET);
  }

  public static int cmdSn(ByteBuf bhs) {
    return bhs.getInt(CMD_SN_OFFSET);
  }

  /**
   * Length of a CDB from its operation code's group (SPC-4, operation code groups): group 0 is 6 bytes,
   * groups 1 and 2 are 10, group 5 is 12, group 4 is 16, the variable-length CDB (7Fh) is 8 plus its
   * ADDITIONAL CDB LENGTH byte; reserved and vendor-specific groups take the whole 16-byte field.
   *
   * @param additionalLength byte 7 of the CDB, used only for opcode 7Fh
   */
  public static int cdbLength(int opcode, int additionalLength) {
    switch (opcode >>> 5) {
      case 0:
        return 6;
      case 1:
      case 2:
        return 10;
      case 4:
        return 16;
      case 5:
        return 12;
      default:
        return opcode == 0x7f ? 8 + additionalLength : CDB_LENGTH_IN_BHS;
    }
  }

  /**
   * The command's CDB, trimmed to the length its group code gives, with bytes beyond 16 taken from
   * an Extended CDB AHS. A CDB whose length needs more bytes than the PDU carries is cut to what is
   * present (the SCSI layer rejects it).
   *
   * @param frame the PDU, index 0 at the BHS
   * @param ahsLength TotalAHSLength in bytes
   */
  public static byte[] cdb(ByteBuf frame, int ahsLength) {
    int opcode = frame.getUnsignedByte(CDB_OFFSET);
    int wanted = cdbLength(opcode, frame.getUnsignedByte(CDB_OFFSET + 7));
    int extOffset = -1;
    int extLength = 0;
    int pos = Bhs.LENGTH;
    int end = Bhs.LENGTH + ahsLength;
    while (pos + 3 <= end) {
      int len = frame.getUnsignedShort(pos);
      int type = frame.getUnsignedByte(pos + 2);
      if (pos + 3 + len > end) break;
      if (type == AHS_TYPE_EXTENDED_CDB && len > 1) {
        extOffset = pos + 4; // skip the reserved byte
        extLength = len - 1;
      }
      pos += Bhs.padded(3 + len);
    }
    int available = CDB_LENGTH_IN_BHS + extLength;
    int length = Math.min(wanted, available);
    byte[] cdb = new byte[length];
    frame.getBytes(CDB_OFFSET, cdb, 0, Math.min(length, CDB_LENGTH_IN_BHS));
    if (length > CDB_LENGTH_IN_BHS) {
      frame.getBytes(extOffset, cdb, CDB_LENGTH_IN_BHS, length - CDB_LENGTH_IN_BHS);
    }
    return cdb;
  }
}
