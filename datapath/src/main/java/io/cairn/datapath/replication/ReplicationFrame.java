package io.cairn.datapath.replication;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A replication frame, format version 1: one Aeron message on the replication stream, a 128-byte
 * header followed by the payload. Static flyweight accessors over an Agrona buffer at an index; all
 * integers little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 0x52464143 "CAFR"                   |   0
 *  +---------------+---------------+---------------+---------------+
 *  |  version = 1  |   type (u8)   |  flags (u8)   | src id length |   4
 *  +---------------+---------------+---------------+---------------+
 *  |                       correlation id (i64)                    |   8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |   CRC32C of header [0, 128) with this field 0, then payload   |  16
 *  +---------------------------------------------------------------+
 *  |             payload length on the wire (i32, >= 0)            |  20
 *  +---------------------------------------------------------------+
 *  |      uncompressed length (i32; = payload length unless LZ4)   |  24
 *  +-------------------------------+-------------------------------+
 *  |   status (u16, NACK only)     |         reserved (0)          |  28
 *  +-------------------------------+-------------------------------+
 *  |                          field0 (i64)                         |  32
 *  |                          field1 (i64)                         |  40
 *  |                          field2 (i64)                         |  48
 *  |                          field3 (i64)                         |  56
 *  +---------------------------------------------------------------+
 *  |  source node id: ASCII [A-Za-z0-9._-], 1-63 bytes, 0-padded   |  64
 *  |                          (64 bytes)                          ...|
 *  +---------------------------------------------------------------+
 *  |                    payload (payload length)                  ...| 128
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Flags: bit 0 {@link #FLAG_LZ4} = the payload is an LZ4 block (lz4-java's raw block format)
 * that decompresses to exactly {@code uncompressed length} bytes; the CRC covers the compressed
 * bytes as sent. Other bits are reserved and must be 0. The type codes and the meaning of the four
 * fields per type are the table in {@link FrameType}. The source node id names the sender, which
 * is where a response (or a NACK) goes.
 *
 * <p>A receiver drops a frame that is shorter than the header, has another magic, version or
 * reserved bits, whose lengths disagree with the message length, or whose CRC does not match; it
 * never reaches a handler. Replication frames travel in one Aeron message each (Aeron fragments
 * and reassembles them), so the frame length is the message length.
 */
public final class ReplicationFrame {
  private ReplicationFrame() {}

  public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
  public static final int MAGIC = 0x52464143; // "CAFR" little-endian
  public static final int VERSION = 1;

  public static final int MAGIC_OFFSET = 0;
  public static final int VERSION_OFFSET = 4;
  public static final int TYPE_OFFSET = 5;
  public static final int FLAGS_OFFSET = 6;
  public static final int SOURCE_LENGTH_OFFSET = 7;
  public static final int CORRELATION_ID_OFFSET = 8;
  public static final int CRC_OFFSET = 16;
  public static final int PAYLOAD_LENGTH_OFFSET = 20;
  public static final int UNCOMPRESSED_LENGTH_OFFSET = 24;
  public static final int STATUS_OFFSET = 28;
  public static final int RESERVED_OFFSET = 30;
  public static final int FIELD0_OFFSET = 32;
  public static final int FIELD1_OFFSET = 40;
  public static final int FIELD2_OFFSET = 48;
  public static final int FIELD3_OFFSET = 56;
  public static final int SOURCE_OFFSET = 64;
  /** Room for the source node id (node ids are 1-63 characters). */
  public static final int SOURCE_CAPACITY = 64;
  /** Bytes of the header; the payload follows. */
  public static final int HEADER_LENGTH = 128;

  /** Flag bit 0: the payload is LZ4-compressed. */
  public static final int FLAG_LZ4 = 0x01;
  static final int KNOWN_FLAGS = FLAG_LZ4;

  /**
   * Writes a complete header at {@code index}, with the CRC field zero (see {@link #putCrc}).
   *
   * @param source the sender's node id as ASCII bytes (see {@link #sourceBytes})
   */
  public static void writeHeader(
      MutableDirectBuffer b, int index, byte type, int flags, byte[] source, long correlationId,
      int payloadLength, int uncompressedLength, int status, long f0, long f1, long f2, long f3) {
    b.putInt(index + MAGIC_OFFSET, MAGIC, ORDER);
    b.putByte(index + VERSION_OFFSET, (byte) VERSION);
    b.putByte(index + TYPE_OFFSET, type);
    b.putByte(index + FLAGS_OFFSET, (byte) flags);
    b.putByte(index + SOURCE_LENGTH_OFFSET, (byte) source.length);
    b.putLong(index + CORRELATION_ID_OFFSET, correlationId, ORDER);
    b.putInt(index + CRC_OFFSET, 0, ORDER);
    b.putInt(index + PAYLOAD_LENGTH_OFFSET, payloadLength, ORDER);
    b.putInt(index + UNCOMPRESSED_LENGTH_OFFSET, uncompressedLength, ORDER);
    b.putShort(index + STATUS_OFFSET, (short) status, ORDER);
    b.putShort(index + RESERVED_OFFSET, (short) 0, ORDER);
    b.putLong(index + FIELD0_OFFSET, f0, ORDER);
    b.putLong(index + FIELD1_OFFSET, f1, ORDER);
    b.putLong(index + FIELD2_OFFSET, f2, ORDER);
    b.putLong(index + FIELD3_OFFSET, f3, ORDER);
    b.setMemory(index + SOURCE_OFFSET, SOURCE_CAPACITY, (byte) 0);
    b.putBytes(index + SOURCE_OFFSET, source);
  }

  /** The ASCII bytes of a node id, checked against the node id rules (1-63 of [A-Za-z0-9._-]). */
  public static byte[] sourceBytes(String nodeId) {
    if (nodeId.isEmpty() || nodeId.length() >= SOURCE_CAPACITY) {
      throw new IllegalArgumentException("node id must be 1-63 characters: '" + nodeId + "'");
    }
    byte[] b = nodeId.getBytes(StandardCharsets.US_ASCII);
    for (byte c : b) {
      if (!isIdChar(c)) throw new IllegalArgumentException("bad node id character in '" + nodeId + "'");
    }
    return b;
  }

  public static void putCrc(MutableDirectBuffer b, int index, int crc) {
    b.putInt(index + CRC_OFFSET, crc, ORDER);
  }

  public static int magic(DirectBuffer b, int index) {
    return b.getInt(index + MAGIC_OFFSET, ORDER);
  }

  public static int version(DirectBuffer b, int index) {
    return b.getByte(index + VERSION_OFFSET) & 0xFF;
  }

  public static byte type(DirectBuffer b, int index) {
    return b.getByte(index + TYPE_OFFSET);
  }

  public static int flags(DirectBuffer b, int index) {
    return b.getByte(index + FLAGS_OFFSET) & 0xFF;
  }

  public static long correlationId(DirectBuffer b, int index) {
    return b.getLong(index + CORRELATION_ID_OFFSET, ORDER);
  }

  public static int crc(DirectBuffer b, int index) {
    return b.getInt(index + CRC_OFFSET, ORDER);
  }

  public static int payloadLength(DirectBuffer b, int index) {
    return b.getInt(index + PAYLOAD_LENGTH_OFFSET, ORDER);
  }

  public static int uncompressedLength(DirectBuffer b, int index) {
    return b.getInt(index + UNCOMPRESSED_LENGTH_OFFSET, ORDER);
  }

  public static int status(DirectBuffer b, int index) {
    return b.getShort(index + STATUS_OFFSET, ORDER) & 0xFFFF;
  }

  public static long field0(DirectBuffer b, int index) {
    return b.getLong(index + FIELD0_OFFSET, ORDER);
  }

  public static long field1(DirectBuffer b, int index) {
    return b.getLong(index + FIELD1_OFFSET, ORDER);
  }

  public static long field2(DirectBuffer b, int index) {
    return b.getLong(index + FIELD2_OFFSET, ORDER);
  }

  public static long field3(DirectBuffer b, int index) {
    return b.getLong(index + FIELD3_OFFSET, ORDER);
  }

  /**
   * The source node id, or null when the length byte or a character is invalid (the frame may be
   * damaged there). Valid ids are what a node may be named, so a readable id is the real sender's
   * unless the damage produced another valid id (then the NACK goes astray and the sender's
   * request times out instead).
   */
  public static String source(DirectBuffer b, int index, int frameLength) {
    if (frameLength < HEADER_LENGTH) return null;
    int n = b.getByte(index + SOURCE_LENGTH_OFFSET) & 0xFF;
    if (n == 0 || n >= SOURCE_CAPACITY) return null;
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      byte x = b.getByte(index + SOURCE_OFFSET + i);
      if (!isIdChar(x)) return null;
      c[i] = (char) x;
    }
    return new String(c);
  }

  /**
   * Computes the frame CRC: header bytes [0, 128) with the CRC field taken as zero, then {@code
   * payloadLength} payload bytes. The buffers are not modified (a received frame lives in Aeron's
   * log buffer).
   */
  public static int computeCrc(
      CRC32C crc, DirectBuffer header, int index, DirectBuffer payload, int payloadIndex, int payloadLength) {
    crc.reset();
    update(crc, header, index, CRC_OFFSET);
    crc.update(ZERO_CRC, 0, 4);
    update(crc, header, index + CRC_OFFSET + 4, HEADER_LENGTH - CRC_OFFSET - 4);
    if (payloadLength > 0) update(crc, payload, payloadIndex, payloadLength);
    return (int) crc.getValue();
  }

  private static final byte[] ZERO_CRC = new byte[4];

  /**
   * Checks a received frame of {@code length} bytes at {@code index}: returns null when it is
   * intact, else what is wrong. {@code maxPayload} bounds the uncompressed payload length.
   */
  public static String verify(CRC32C crc, DirectBuffer b, int index, int length, int maxPayload) {
    if (length < HEADER_LENGTH) return "frame of " + length + " bytes is shorter than its header";
    if (magic(b, index) != MAGIC) return "bad magic 0x" + Integer.toHexString(magic(b, index));
    if (version(b, index) != VERSION) return "unknown version " + version(b, index);
    int flags = flags(b, index);
    if ((flags & ~KNOWN_FLAGS) != 0) return "unknown flags 0x" + Integer.toHexString(flags);
    if (b.getShort(index + RESERVED_OFFSET, ORDER) != 0) return "reserved bits set";
    int payload = payloadLength(b, index);
    if (payload != length - HEADER_LENGTH) {
      return "payload length " + payload + " disagrees with frame length " + length;
    }
    int uncompressed = uncompressedLength(b, index);
    if (uncompressed < 0 || uncompressed > maxPayload) return "uncompressed length " + uncompressed + " out of range";
    if ((flags & FLAG_LZ4) == 0 && uncompressed != payload) {
      return "uncompressed length " + uncompressed + " differs from payload length " + payload;
    }
    int expected = crc(b, index);
    int actual = computeCrc(crc, b, index, b, index + HEADER_LENGTH, payload);
    if (expected != actual) {
      return "CRC32C mismatch: frame says 0x" + Integer.toHexString(expected) + ", bytes give 0x" + Integer.toHexString(actual);
    }
    return null;
  }

  /**
   * A {@link ByteBuffer} over {@code [index, index+length)} of an Agrona buffer (shares memory when
   * the buffer wraps an array or a ByteBuffer; a copy otherwise). Position 0, limit {@code length}.
   */
  static ByteBuffer byteBuffer(DirectBuffer b, int index, int length) {
    byte[] a = b.byteArray(); // heap: wrapAdjustment is the array index of buffer index 0
    if (a != null) return ByteBuffer.wrap(a, b.wrapAdjustment() + index, length).slice();
    ByteBuffer bb = b.byteBuffer(); // direct: wrapAdjustment is the offset into bb
    if (bb != null) {
      ByteBuffer d = bb.duplicate();
      int from = b.wrapAdjustment() + index;
      d.limit(from + length).position(from);
      return d.slice();
    }
    byte[] copy = new byte[length];
    b.getBytes(index, copy);
    return ByteBuffer.wrap(copy);
  }

  private static void update(CRC32C crc, DirectBuffer b, int index, int length) {
    byte[] a = b.byteArray();
    if (a != null) {
      crc.update(a, b.wrapAdjustment() + index, length);
    } else {
      crc.update(byteBuffer(b, index, length));
    }
  }

  private static boolean isIdChar(byte c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  }
}
