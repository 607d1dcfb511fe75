package io.cairn.datapath.scsi.reservation;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * iSCSI TransportIDs (SPC-4 7.6.4.6): how PERSISTENT RESERVE IN READ FULL STATUS names a
 * registered initiator port and how REGISTER AND MOVE names the destination one.
 *
 * <pre>
 *   byte 0     FORMAT CODE (7..6) | reserved (5..4) | PROTOCOL IDENTIFIER (3..0) = 5h (iSCSI)
 *   byte 1     reserved
 *   bytes 2-3  ADDITIONAL LENGTH (n - 3): a multiple of 4, at least 20 (a TransportID is at least
 *              24 bytes and a multiple of 4 long)
 *   bytes 4-n  format 00b: ISCSI NAME, null-terminated, null-padded (an initiator device)
 *              format 01b: ISCSI NAME ",i,0x" ISID as 12 hexadecimal digits, null-terminated,
 *              null-padded (one initiator port)
 * </pre>
 */
final class IscsiTransportId {

  static final int PROTOCOL_ISCSI = 0x5;
  static final int FORMAT_DEVICE = 0b00;
  static final int FORMAT_PORT = 0b01;
  static final int HEADER_LENGTH = 4;
  static final int MIN_LENGTH = 24;
  static final String SEPARATOR = ",i,0x";

  /** An initiator port named by a TransportID. */
  record Port(String initiatorName, long isid) {}

  private IscsiTransportId() {}

  /** The format 01b TransportID of an initiator port. */
  static byte[] encodePort(String initiatorName, long isid) {
    byte[] text = (initiatorName + SEPARATOR + String.format(Locale.ROOT, "%012x", isid)).getBytes(StandardCharsets.UTF_8);
    int length = Math.max(MIN_LENGTH, (HEADER_LENGTH + text.length + 1 + 3) & ~3);
    byte[] d = new byte[length];
    d[0] = (byte) ((FORMAT_PORT << 6) | PROTOCOL_ISCSI);
    Be.put16(d, 2, length - HEADER_LENGTH);
    System.arraycopy(text, 0, d, HEADER_LENGTH, text.length);
    return d;
  }

  /** Total length of the TransportID at {@code off} (header included), from its ADDITIONAL LENGTH. */
  static int length(byte[] b, int off) {
    return HEADER_LENGTH + Be.u16(b, off + 2);
  }

  /**
   * Decodes a format 01b iSCSI TransportID of {@code length} bytes at {@code off}.
   *
   * @return the port, or null when it is not an iSCSI initiator port TransportID (another
   *     protocol, format 00b, no null terminator, no ",i,0x" separator, a malformed ISID)
   */
  static Port decodePort(byte[] b, int off, int length) {
    if (length < MIN_LENGTH || off + length > b.length) return null;
    if ((b[off] & 0x0F) != PROTOCOL_ISCSI || ((b[off] >> 6) & 0x03) != FORMAT_PORT) return null;
    int end = off + HEADER_LENGTH;
    int limit = off + length;
    while (end < limit && b[end] != 0) end++;
    if (end == limit) return null;
    String text = new String(b, off + HEADER_LENGTH, end - off - HEADER_LENGTH, StandardCharsets.UTF_8);
    int sep = text.toLowerCase(Locale.ROOT).lastIndexOf(SEPARATOR);
    if (sep <= 0) return null;
    String hex = text.substring(sep + SEPARATOR.length());
    if (hex.isEmpty() || hex.length() > 12) return null;
    try {
      return new Port(text.substring(0, sep), Long.parseLong(hex, 16));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
