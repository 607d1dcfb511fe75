package io.cairn.datapath.iscsi.negotiation;

import java.util.Base64;
import java.util.HexFormat;

/**
 * The binary-value form of login keys (RFC 7143 section 6.1): a hex-constant {@code 0x...} (or
 * {@code 0X}) or a base64-constant {@code 0b...} (or {@code 0B}). CHAP_C and CHAP_R use it.
 */
public final class BinaryValue {

  private BinaryValue() {}

  /**
   * Decodes a binary value; a hex-constant with an odd number of digits has an implied leading zero.
   *
   * @param maxBytes largest value accepted
   * @return the bytes, or null when the text is not a well-formed binary value of 1 to
   *     {@code maxBytes} bytes
   */
  public static byte[] decode(String text, int maxBytes) {
    if (text == null || text.length() < 3 || text.charAt(0) != '0') return null;
    String body = text.substring(2);
    byte[] out;
    try {
      switch (text.charAt(1)) {
        case 'x', 'X' -> {
          if (body.length() > 2 * maxBytes) return null;
          out = HexFormat.of().parseHex(body.length() % 2 == 0 ? body : "0" + body);
        }
        case 'b', 'B' -> {
          if (body.length() > 4 * ((maxBytes + 2) / 3)) return null;
          out = Base64.getDecoder().decode(body);
        }
        default -> {
          return null;
        }
      }
    } catch (IllegalArgumentException e) {
      return null;
    }
    return out.length == 0 || out.length > maxBytes ? null : out;
  }

  /** The hex-constant form, lower-case digits. */
  public static String hex(byte[] value) {
    return "0x" + HexFormat.of().formatHex(value);
  }
}
