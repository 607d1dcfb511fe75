package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;

/** Test helper: hex strings (spaces ignored) to bytes and back. */
final class Hex {

  private Hex() {}

  static byte[] bytes(String s) {
    String h = s.replaceAll("\\s+", "");
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    return b;
  }

  static String of(ByteBuf buf) {
    StringBuilder sb = new StringBuilder();
    for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
      if (i > buf.readerIndex() && (i - buf.readerIndex()) % 4 == 0) sb.append(' ');
      sb.append(String.format("%02x", buf.getByte(i)));
    }
    return sb.toString();
  }

  static String of(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < b.length; i++) {
      if (i > 0 && i % 4 == 0) sb.append(' ');
      sb.append(String.format("%02x", b[i]));
    }
    return sb.toString();
  }

  /** Normalizes a layout written row by row (4 bytes per group) for comparison. */
  static String norm(String s) {
    return of(bytes(s));
  }
}
