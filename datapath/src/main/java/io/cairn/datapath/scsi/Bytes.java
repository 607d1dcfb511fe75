package io.cairn.datapath.scsi;

/** Big-endian field access on CDBs and parameter data (SCSI is big-endian throughout). */
final class Bytes {

  private Bytes() {}

  static int u8(byte[] b, int off) {
    return b[off] & 0xFF;
  }

  static int u16(byte[] b, int off) {
    return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
  }

  static int u24(byte[] b, int off) {
    return ((b[off] & 0xFF) << 16) | ((b[off + 1] & 0xFF) << 8) | (b[off + 2] & 0xFF);
  }

  static long u32(byte[] b, int off) {
    return (((long) (b[off] & 0xFF)) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
  }

  /** An unsigned 64-bit field, returned as its two's-complement bit pattern (compare with Long.compareUnsigned). */
  static long u64(byte[] b, int off) {
    return (u32(b, off) << 32) | u32(b, off + 4);
  }

  static void put16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  static void put32(byte[] b, int off, long v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  static void put64(byte[] b, int off, long v) {
    put32(b, off, v >>> 32);
    put32(b, off + 4, v);
  }

  /** Writes {@code s} as ASCII into {@code len} bytes, space padded, non-printable characters as '_'. */
  static void putAscii(byte[] b, int off, int len, String s) {
    for (int i = 0; i < len; i++) {
      char c = i < s.length() ? s.charAt(i) : ' ';
      b[off + i] = (byte) (c >= 0x20 && c <= 0x7E ? c : '_');
    }
  }
}
