package io.cairn.datapath.scsi.sense;

/**
 * Fixed-format sense data, SPC-4 section 4.5.3, built into and read from a {@code byte[]}.
 *
 * <pre>
 *   byte  0   VALID(7) | RESPONSE CODE(6..0) = 70h (current error)
 *   byte  1   obsolete
 *   byte  2   FILEMARK(7) EOM(6) ILI(5) SDAT_OVFL(4) | SENSE KEY(3..0)
 *   bytes 3-6 INFORMATION (big-endian; meaningful when VALID = 1)
 *   byte  7   ADDITIONAL SENSE LENGTH = 0Ah (bytes 8..17 follow)
 *   bytes 8-11 COMMAND-SPECIFIC INFORMATION
 *   byte 12   ADDITIONAL SENSE CODE
 *   byte 13   ADDITIONAL SENSE CODE QUALIFIER
 *   byte 14   FIELD REPLACEABLE UNIT CODE
 *   byte 15   SKSV(7) | C/D(6) | reserved(5..4) | BPV(3) | BIT POINTER(2..0)
 *   bytes 16-17 FIELD POINTER (ILLEGAL REQUEST: byte of the CDB (C/D = 1) or of the parameter
 *               list (C/D = 0) in error; for a multi-byte field its most significant byte)
 * </pre>
 *
 * Sense data is built on error paths only; every call returns a new array the caller owns.
 */
public final class SenseData {

  public static final int LENGTH = 18;

  public static final int RESPONSE_CODE_OFFSET = 0;
  public static final int SENSE_KEY_OFFSET = 2;
  public static final int INFORMATION_OFFSET = 3;
  public static final int ADDITIONAL_LENGTH_OFFSET = 7;
  public static final int COMMAND_SPECIFIC_OFFSET = 8;
  public static final int ASC_OFFSET = 12;
  public static final int ASCQ_OFFSET = 13;
  public static final int SENSE_KEY_SPECIFIC_OFFSET = 15;
  public static final int FIELD_POINTER_OFFSET = 16;

  /** Response code 70h: fixed format, current error. */
  public static final int RESPONSE_CODE_CURRENT_FIXED = 0x70;
  public static final int VALID = 0x80;
  public static final int SKSV = 0x80;
  /** C/D bit: the field pointer designates a CDB byte (1) or a parameter list byte (0). */
  public static final int CD = 0x40;
  public static final int BPV = 0x08;

  private SenseData() {}

  /** Sense data with only key, ASC and ASCQ set. */
  public static byte[] of(SenseCode code) {
    byte[] s = new byte[LENGTH];
    s[RESPONSE_CODE_OFFSET] = (byte) RESPONSE_CODE_CURRENT_FIXED;
    s[SENSE_KEY_OFFSET] = (byte) code.key();
    s[ADDITIONAL_LENGTH_OFFSET] = LENGTH - 8;
    s[ASC_OFFSET] = (byte) code.asc();
    s[ASCQ_OFFSET] = (byte) code.ascq();
    return s;
  }

  /** Sense data whose INFORMATION field holds {@code information} (VALID set). */
  public static byte[] withInformation(SenseCode code, long information) {
    if (information < 0 || information > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("INFORMATION does not fit 4 bytes: " + information);
    }
    byte[] s = of(code);
    s[RESPONSE_CODE_OFFSET] |= (byte) VALID;
    putInt(s, INFORMATION_OFFSET, (int) information);
    return s;
  }

  /**
   * Sense data with a sense-key specific field pointer (SPC-4 4.5.2.4.2).
   *
   * @param inCdb whether the pointer designates a CDB byte (else a parameter list byte)
   * @param fieldPointer the byte in error
   * @param bitPointer the bit in error (its leftmost bit for a multi-bit field), or -1 for none
   */
  public static byte[] withFieldPointer(SenseCode code, boolean inCdb, int fieldPointer, int bitPointer) {
    if (fieldPointer < 0 || fieldPointer > 0xFFFF || bitPointer < -1 || bitPointer > 7) {
      throw new IllegalArgumentException("field pointer out of range: " + fieldPointer + "/" + bitPointer);
    }
    byte[] s = of(code);
    int sks = SKSV | (inCdb ? CD : 0);
    if (bitPointer >= 0) sks |= BPV | bitPointer;
    s[SENSE_KEY_SPECIFIC_OFFSET] = (byte) sks;
    s[FIELD_POINTER_OFFSET] = (byte) (fieldPointer >>> 8);
    s[FIELD_POINTER_OFFSET + 1] = (byte) fieldPointer;
    return s;
  }

  /** Byte 15 bit 5 of segment pointer sense-key specific data: the field pointer counts from the segment descriptor. */
  public static final int SD = 0x20;

  /**
   * COPY ABORTED sense data of an EXTENDED COPY (SPC-4 6.4.1 and 4.5.2.4.6): COMMAND-SPECIFIC
   * INFORMATION holds the number of the segment descriptor being processed, the sense-key specific
   * bytes a segment pointer.
   *
   * @param segment index of the segment descriptor that failed (0 for the first)
   * @param inSegment SD: whether {@code fieldPointer} counts from the start of that segment descriptor
   *     (else from the start of the parameter list)
   * @param fieldPointer the byte in error, or -1 for no segment pointer
   * @param bitPointer the bit in error (leftmost bit of the field), or -1 for none
   */
  public static byte[] copyAborted(SenseCode code, long segment, boolean inSegment, int fieldPointer, int bitPointer) {
    if (segment < 0 || segment > 0xFFFF_FFFFL || fieldPointer < -1 || fieldPointer > 0xFFFF || bitPointer < -1 || bitPointer > 7) {
      throw new IllegalArgumentException("copy aborted fields out of range: " + segment + "/" + fieldPointer + "/" + bitPointer);
    }
    byte[] s = of(code);
    putInt(s, COMMAND_SPECIFIC_OFFSET, (int) segment);
    if (fieldPointer >= 0) {
      int sks = SKSV | (inSegment ? SD : 0);
      if (bitPointer >= 0) sks |= BPV | bitPointer;
      s[SENSE_KEY_SPECIFIC_OFFSET] = (byte) sks;
      s[FIELD_POINTER_OFFSET] = (byte) (fieldPointer >>> 8);
      s[FIELD_POINTER_OFFSET + 1] = (byte) fieldPointer;
    }
    return s;
  }

  /** The COMMAND-SPECIFIC INFORMATION field, unsigned. */
  public static long commandSpecificInformation(byte[] s) {
    return getInt(s, COMMAND_SPECIFIC_OFFSET) & 0xFFFF_FFFFL;
  }

  public static int senseKey(byte[] s) {
    return s[SENSE_KEY_OFFSET] & 0x0F;
  }

  public static int asc(byte[] s) {
    return s[ASC_OFFSET] & 0xFF;
  }

  public static int ascq(byte[] s) {
    return s[ASCQ_OFFSET] & 0xFF;
  }

  /** The (key, ASC, ASCQ) triple. */
  public static SenseCode code(byte[] s) {
    return new SenseCode(senseKey(s), asc(s), ascq(s));
  }

  public static boolean informationValid(byte[] s) {
    return (s[RESPONSE_CODE_OFFSET] & VALID) != 0;
  }

  public static long information(byte[] s) {
    return getInt(s, INFORMATION_OFFSET) & 0xFFFF_FFFFL;
  }

  public static boolean senseKeySpecificValid(byte[] s) {
    return (s[SENSE_KEY_SPECIFIC_OFFSET] & SKSV) != 0;
  }

  /** The field pointer, or -1 when SKSV is clear. */
  public static int fieldPointer(byte[] s) {
    if (!senseKeySpecificValid(s)) return -1;
    return ((s[FIELD_POINTER_OFFSET] & 0xFF) << 8) | (s[FIELD_POINTER_OFFSET + 1] & 0xFF);
  }

  /** The bit pointer, or -1 when SKSV or BPV is clear. */
  public static int bitPointer(byte[] s) {
    int sks = s[SENSE_KEY_SPECIFIC_OFFSET];
    if ((sks & SKSV) == 0 || (sks & BPV) == 0) return -1;
    return sks & 0x07;
  }

  /** Whether the field pointer designates a CDB byte (C/D = 1). */
  public static boolean pointsIntoCdb(byte[] s) {
    return (s[SENSE_KEY_SPECIFIC_OFFSET] & CD) != 0;
  }

  private static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  private static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
  }
}
