package io.cairn.datapath.oplog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The on-disk format of the OpLog, format version 1: flyweight accessors over a {@link ByteBuffer}
 * (absolute gets and puts, the buffer's position untouched). All integers are little-endian; callers
 * set {@link ByteOrder#LITTLE_ENDIAN} on the buffers they pass (the accessors do not).
 *
 * <h2>Directory layout</h2>
 *
 * <pre>
 *   &lt;oplog dir&gt;/oplog-&lt;file sequence, 16 lower-case hex digits&gt;.log   e.g. oplog-000000000000002a.log
 *   &lt;oplog dir&gt;/oplog-&lt;...&gt;.log.corrupt   a file whose header failed verification, kept for forensics
 * </pre>
 *
 * Files are written strictly in file-sequence order and only appended to. Each open of the OpLog
 * starts a new file (sequence = highest existing + 1); a file is never reopened for writing. There
 * is no preallocation: the file grows with each group commit, which {@code force(false)}
 * (fdatasync) makes durable together with the new file length. Java has no portable
 * {@code fallocate}; zero-filling a file up front doubles the bytes written, and a sparse
 * {@code setLength} saves no allocation work at fdatasync time, so preallocation would buy nothing.
 * A file is rolled when the next batch would take it past {@code oplog.file-size} (a batch never
 * spans two files; a single record larger than a file gets a file of its own).
 *
 * <h2>File header (32 bytes, at offset 0 of every file)</h2>
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 0x474F4C43 "CLOG"                   |  0
 *  +-------------------------------+-------------------------------+
 *  |     format version (u16) = 1  |  header length (u16) = 32     |  4
 *  +-------------------------------+-------------------------------+
 *  |                     file sequence (i64)                       |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                created, ms since the epoch (i64)              | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         reserved (0)                          | 24
 *  +---------------------------------------------------------------+
 *  |                CRC32C of bytes [0, 28) (u32)                  | 28
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The header is written and fsynced, and the directory fsynced, before any record goes into the
 * file, so a file holding an acknowledged record always has a valid header.
 *
 * <h2>Record (48-byte header + payload, records packed back to back after the file header)</h2>
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 0x52474F4C "LOGR"                   |  0
 *  +---------------------------------------------------------------+
 *  |    CRC32C of header bytes [8, 48) followed by the payload     |  4
 *  +---------------------------------------------------------------+
 *  |                    payload length (i32)                       |  8
 *  +---------------+---------------+-------------------------------+
 *  |   type (u8)   |  flags (u8)=0 |         reserved (0)          | 12
 *  +---------------+---------------+-------------------------------+
 *  |                        vDisk id (i64)                         | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 offset: vDisk byte offset (i64)               | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  length: range length (i64)                   | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |        record sequence (i64), strictly increasing in the log  | 40
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   payload (payload length bytes)             ...| 48
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Types:
 *
 * <ul>
 *   <li>{@link #TYPE_DATA} (1): the bytes of a write of vDisk {@code [offset, offset+length)};
 *       payload length = length &gt; 0.
 *   <li>{@link #TYPE_SUPERSEDE} (2): no payload; every byte of {@code [offset, offset+length)} of
 *       the vDisk held by an older record is dead (a sequential write went straight to the extent
 *       store).
 *   <li>{@link #TYPE_DISCARD} (3): no payload, offset = length = 0; every older record of the vDisk
 *       is dead (the vDisk was deleted).
 * </ul>
 *
 * A record is valid when its magic, type, lengths and CRC check out and its sequence is greater than
 * that of every record before it in the log. On replay the first invalid record of a file ends that
 * file: it and everything after it are dropped and the file is truncated at its start. The flags
 * byte is reserved for payload transforms (LZ4); version 1 writers write 0 and readers reject
 * anything else.
 */
public final class OpLogFormat {
  private OpLogFormat() {}

  /** Current (and only) format version. */
  public static final int VERSION = 1;

  public static final String FILE_PREFIX = "oplog-";
  public static final String FILE_SUFFIX = ".log";
  public static final String CORRUPT_SUFFIX = ".corrupt";

  // ---- file header -----------------------------------------------------------------------------

  public static final int FILE_MAGIC = 0x474F4C43; // "CLOG" little-endian
  public static final int FILE_MAGIC_OFFSET = 0;
  public static final int FILE_VERSION_OFFSET = 4;
  public static final int FILE_HEADER_LENGTH_OFFSET = 6;
  public static final int FILE_SEQUENCE_OFFSET = 8;
  public static final int FILE_CREATED_MS_OFFSET = 16;
  public static final int FILE_RESERVED_OFFSET = 24;
  public static final int FILE_CRC_OFFSET = 28;
  /** Bytes of the file header; the first record starts here. */
  public static final int FILE_HEADER_LENGTH = 32;

  // ---- record header ---------------------------------------------------------------------------

  public static final int RECORD_MAGIC = 0x52474F4C; // "LOGR" little-endian
  public static final int MAGIC_OFFSET = 0;
  public static final int CRC_OFFSET = 4;
  public static final int PAYLOAD_LENGTH_OFFSET = 8;
  public static final int TYPE_OFFSET = 12;
  public static final int FLAGS_OFFSET = 13;
  public static final int RESERVED_OFFSET = 14;
  public static final int VDISK_ID_OFFSET = 16;
  public static final int OFFSET_OFFSET = 24;
  public static final int LENGTH_OFFSET = 32;
  public static final int SEQUENCE_OFFSET = 40;
  /** Bytes of the record header; the payload follows it. */
  public static final int HEADER_LENGTH = 48;
  /** First header byte covered by the CRC (everything after the CRC field). */
  public static final int CRC_COVERED_OFFSET = PAYLOAD_LENGTH_OFFSET;

  public static final byte TYPE_DATA = 1;
  public static final byte TYPE_SUPERSEDE = 2;
  public static final byte TYPE_DISCARD = 3;

  /** File name of the log file with sequence {@code fileSeq}. */
  public static String fileName(long fileSeq) {
    return FILE_PREFIX + String.format("%016x", fileSeq) + FILE_SUFFIX;
  }

  /** Sequence of a log file name, or -1 when the name is not one of ours. */
  public static long parseFileName(String name) {
    if (!name.startsWith(FILE_PREFIX) || !name.endsWith(FILE_SUFFIX)) return -1;
    String hex = name.substring(FILE_PREFIX.length(), name.length() - FILE_SUFFIX.length());
    if (hex.length() != 16) return -1;
    try {
      return Long.parseUnsignedLong(hex, 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  // ---- file header accessors -------------------------------------------------------------------

  /** Writes a complete file header (with its CRC) at {@code index}. */
  public static void writeFileHeader(ByteBuffer b, int index, long fileSeq, long createdMs) {
    writeFileHeader(b, index, FILE_MAGIC, fileSeq, createdMs);
  }

  /**
   * Writes a complete file header with magic {@code magic} (the replica log shares this layout,
   * see {@link ReplicaLogFormat}).
   */
  static void writeFileHeader(ByteBuffer b, int index, int magic, long fileSeq, long createdMs) {
    b.putInt(index + FILE_MAGIC_OFFSET, magic);
    b.putShort(index + FILE_VERSION_OFFSET, (short) VERSION);
    b.putShort(index + FILE_HEADER_LENGTH_OFFSET, (short) FILE_HEADER_LENGTH);
    b.putLong(index + FILE_SEQUENCE_OFFSET, fileSeq);
    b.putLong(index + FILE_CREATED_MS_OFFSET, createdMs);
    b.putInt(index + FILE_RESERVED_OFFSET, 0);
    b.putInt(index + FILE_CRC_OFFSET, crc(b, index, FILE_CRC_OFFSET));
  }

  /** Whether the file header at {@code index} is intact, of version 1, and for {@code fileSeq}. */
  public static boolean isValidFileHeader(ByteBuffer b, int index, long fileSeq) {
    return isValidFileHeader(b, index, FILE_MAGIC, fileSeq);
  }

  /** Whether the file header at {@code index} is intact, has magic {@code magic}, and is for {@code fileSeq}. */
  static boolean isValidFileHeader(ByteBuffer b, int index, int magic, long fileSeq) {
    return b.getInt(index + FILE_MAGIC_OFFSET) == magic
        && (b.getShort(index + FILE_VERSION_OFFSET) & 0xFFFF) == VERSION
        && (b.getShort(index + FILE_HEADER_LENGTH_OFFSET) & 0xFFFF) == FILE_HEADER_LENGTH
        && b.getLong(index + FILE_SEQUENCE_OFFSET) == fileSeq
        && b.getInt(index + FILE_CRC_OFFSET) == crc(b, index, FILE_CRC_OFFSET);
  }

  // ---- record accessors ------------------------------------------------------------------------

  /**
   * Writes a record header at {@code index} without its CRC (see {@link #putCrc}); the payload, if
   * any, is written separately right after the header.
   */
  public static void writeHeader(
      ByteBuffer b, int index, byte type, int payloadLength, long vdiskId, long offset, long length, long seq) {
    b.putInt(index + MAGIC_OFFSET, RECORD_MAGIC);
    b.putInt(index + CRC_OFFSET, 0);
    b.putInt(index + PAYLOAD_LENGTH_OFFSET, payloadLength);
    b.put(index + TYPE_OFFSET, type);
    b.put(index + FLAGS_OFFSET, (byte) 0);
    b.putShort(index + RESERVED_OFFSET, (short) 0);
    b.putLong(index + VDISK_ID_OFFSET, vdiskId);
    b.putLong(index + OFFSET_OFFSET, offset);
    b.putLong(index + LENGTH_OFFSET, length);
    b.putLong(index + SEQUENCE_OFFSET, seq);
  }

  /**
   * Starts the record CRC over the header at {@code index}: resets {@code crc} and feeds it header
   * bytes [8, 48). The caller then feeds the payload and stores the value with {@link #putCrc}.
   */
  public static void crcHeader(CRC32C crc, ByteBuffer b, int index) {
    crcHeader(crc, b, index, HEADER_LENGTH);
  }

  /** {@link #crcHeader(CRC32C, ByteBuffer, int)} for a record header of {@code headerLength} bytes. */
  static void crcHeader(CRC32C crc, ByteBuffer b, int index, int headerLength) {
    crc.reset();
    ByteBuffer d = b.duplicate();
    d.limit(index + headerLength).position(index + CRC_COVERED_OFFSET);
    crc.update(d);
  }

  public static void putCrc(ByteBuffer b, int index, int crc) {
    b.putInt(index + CRC_OFFSET, crc);
  }

  public static int magic(ByteBuffer b, int index) {
    return b.getInt(index + MAGIC_OFFSET);
  }

  public static int crc(ByteBuffer b, int index) {
    return b.getInt(index + CRC_OFFSET);
  }

  public static int payloadLength(ByteBuffer b, int index) {
    return b.getInt(index + PAYLOAD_LENGTH_OFFSET);
  }

  public static byte type(ByteBuffer b, int index) {
    return b.get(index + TYPE_OFFSET);
  }

  public static byte flags(ByteBuffer b, int index) {
    return b.get(index + FLAGS_OFFSET);
  }

  public static long vdiskId(ByteBuffer b, int index) {
    return b.getLong(index + VDISK_ID_OFFSET);
  }

  public static long offset(ByteBuffer b, int index) {
    return b.getLong(index + OFFSET_OFFSET);
  }

  public static long length(ByteBuffer b, int index) {
    return b.getLong(index + LENGTH_OFFSET);
  }

  public static long sequence(ByteBuffer b, int index) {
    return b.getLong(index + SEQUENCE_OFFSET);
  }

  /**
   * Whether the header fields at {@code index} are self-consistent (magic, type, flags, lengths).
   * Says nothing about the CRC. {@code maxPayload} bounds the payload length (bytes left in the file).
   */
  public static boolean isPlausibleHeader(ByteBuffer b, int index, long maxPayload) {
    if (magic(b, index) != RECORD_MAGIC || flags(b, index) != 0) return false;
    if (b.getShort(index + RESERVED_OFFSET) != 0) return false;
    int payload = payloadLength(b, index);
    long offset = offset(b, index);
    long length = length(b, index);
    if (payload < 0 || payload > maxPayload || offset < 0 || length < 0) return false;
    return switch (type(b, index)) {
      case TYPE_DATA -> payload > 0 && length == payload && offset + length > offset;
      case TYPE_SUPERSEDE -> payload == 0 && length > 0 && offset + length > offset;
      case TYPE_DISCARD -> payload == 0 && offset == 0 && length == 0;
      default -> false;
    };
  }

  private static int crc(ByteBuffer b, int index, int len) {
    CRC32C c = new CRC32C();
    ByteBuffer d = b.duplicate();
    d.limit(index + len).position(index);
    c.update(d);
    return (int) c.getValue();
  }
}
