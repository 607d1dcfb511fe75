package io.cairn.datapath.iscsi;

/**
 * Decodes the 8-byte LUN field of iSCSI PDUs (SAM-5 logical unit number structure) to a LUN number. Single-level
 * peripheral device addressing (method 00b) and flat space addressing (01b) are decoded from the
 * first two bytes; other methods give {@link #UNSUPPORTED}, which no logical unit has.
 */
final class LunCodec {

  /** The LUN number of an address this transport does not decode. */
  static final int UNSUPPORTED = -1;

  private LunCodec() {}

  static int decode(long lunField) {
    int b0 = (int) (lunField >>> 56) & 0xff;
    int b1 = (int) (lunField >>> 48) & 0xff;
    switch (b0 >>> 6) {
      case 0: // peripheral device addressing: bus identifier 0 is the LUN in byte 1
      case 1: // flat space addressing: 14-bit LUN
        return ((b0 & 0x3f) << 8) | b1;
      default:
        return UNSUPPORTED;
    }
  }
}
