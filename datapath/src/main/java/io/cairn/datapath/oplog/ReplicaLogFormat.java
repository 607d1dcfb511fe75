package io.cairn.datapath.oplog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The on-disk format of the {@link ReplicaLog}, format version 1: flyweight accessors over a {@link
 * ByteBuffer} (absolute gets and puts; little-endian, callers set {@link ByteOrder#LITTLE_ENDIAN}).
 * It follows the OpLog's format ({@link OpLogFormat}) wherever it can, so that both are read by the
 * same scanner: the same 32-byte file header with its own magic, and a record header that keeps the
 * OpLog's magic, CRC, payload length, type, flags, vDisk id and record sequence at the OpLog's
 * offsets and adds the replication fields.
 *
 * <h2>Directory layout</h2>
 *
 * <pre>
 *   &lt;replica log dir&gt;/replica-&lt;file sequence, 16 lower-case hex digits&gt;.log
 *   &lt;replica log dir&gt;/replica-&lt;...&gt;.log.corrupt   a file whose header failed verification
 * </pre>
 *
 * Files are appended to in file-sequence order, never reopened for writing; each open starts a new
 * file. The file header is {@link OpLogFormat}'s with magic {@code 0x4C505243} ("CRPL").
 *
 * <h2>Record (64-byte header + payload)</h2>
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 0x524C5052 "RPLR"                   |  0
 *  +---------------------------------------------------------------+
 *  |    CRC32C of header bytes [8, 64) followed by the payload     |  4
 *  +---------------------------------------------------------------+
 *  |                    payload length (i32)                       |  8
 *  +---------------+---------------+-------------------------------+
 *  |   type (u8)   |  flags (u8)=0 |         reserved (0)          | 12
 *  +---------------+---------------+-------------------------------+
 *  |                        vDisk id (i64)                         | 16
 *  +---------------------------------------------------------------+
 *  |            offset: vDisk byte offset of the write (i64)       | 24
 *  +---------------------------------------------------------------+
 *  |                  episode of the write (i64)                   | 32
 *  +---------------------------------------------------------------+
 *  |        record sequence (i64), strictly increasing in the log  | 40
 *  +---------------------------------------------------------------+
 *  |    write sequence (i64): DATA the write's, TRIM the bound     | 48
 *  +---------------------------------------------------------------+
 *  |                         reserved (0)                          | 56
 *  +---------------------------------------------------------------+
 *  |                   payload (payload length bytes)             ...| 64
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Types:
 *
 * <ul>
 *   <li>{@link #TYPE_DATA} (1): a write's bytes; payload length &gt; 0, offset and write sequence
 *       &gt;= 0. A later DATA record of the same vDisk and write sequence replaces it (a re-send).
 *   <li>{@link #TYPE_TRIM} (2): no payload, offset = episode = 0; every record of the vDisk with a
 *       write sequence below the record's write sequence is dead.
 *   <li>{@link #TYPE_DISCARD} (3): no payload, offset = episode = write sequence = 0; every older
 *       record of the vDisk is dead.
 * </ul>
 *
 * Validity and replay are as for the OpLog: the first record of a file that fails its magic, type,
 * lengths, CRC or sequence order ends the file, which is truncated there. Flags are reserved
 * (payload transforms) and must be 0.
 */
public final class ReplicaLogFormat {
  private ReplicaLogFormat() {}

  public static final int VERSION = OpLogFormat.VERSION;

  public static final String FILE_PREFIX = "replica-";
  public static final String FILE_SUFFIX = ".log";
  public static final String CORRUPT_SUFFIX = ".corrupt";

  public static final int FILE_MAGIC = 0x4C505243; // "CRPL" little-endian
  public static final int RECORD_MAGIC = 0x524C5052; // "RPLR" little-endian

  public static final int MAGIC_OFFSET = OpLogFormat.MAGIC_OFFSET;
  public static final int CRC_OFFSET = OpLogFormat.CRC_OFFSET;
  public static final int PAYLOAD_LENGTH_OFFSET = OpLogFormat.PAYLOAD_LENGTH_OFFSET;
  public static final int TYPE_OFFSET = OpLogFormat.TYPE_OFFSET;
  public static final int FLAGS_OFFSET = OpLogFormat.FLAGS_OFFSET;
  public static final int RESERVED_OFFSET = OpLogFormat.RESERVED_OFFSET;
  public static final int VDISK_ID_OFFSET = OpLogFormat.VDISK_ID_OFFSET;
  public static final int OFFSET_OFFSET = OpLogFormat.OFFSET_OFFSET;
  public static final int EPISODE_OFFSET = 32;
  public static final int SEQUENCE_OFFSET = OpLogFormat.SEQUENCE_OFFSET;
  public static final int WRITE_SEQ_OFFSET = 48;
  public static final int RESERVED2_OFFSET = 56;
  /** Bytes of the record header; the payload follows it. */
  public static final int HEADER_LENGTH = 64;

  public static final byte TYPE_DATA = 1;
  public static final byte TYPE_TRIM = 2;
  public static final byte TYPE_DISCARD = 3;

  /** The scanner's view of this format. */
  static final LogScanner.Layout LAYOUT = new LogScanner.Layout() {
    @Override
    public int fileMagic() {
      return FILE_MAGIC;
    }

    @Override
    public int recordMagic() {
      return RECORD_MAGIC;
    }

    @Override
    public int headerLength() {
      return HEADER_LENGTH;
    }

    @Override
    public boolean isPlausibleHeader(ByteBuffer b, int index, long maxPayload) {
      return ReplicaLogFormat.isPlausibleHeader(b, index, maxPayload);
    }
  };

  public static String fileName(long fileSeq) {
    return FILE_PREFIX + String.format("%016x", fileSeq) + FILE_SUFFIX;
  }

  /** Sequence of a replica log file name, or -1 when the name is not one of ours. */
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

  /** Writes a complete file header (with its CRC) at {@code index}. */
  public static void writeFileHeader(ByteBuffer b, int index, long fileSeq, long createdMs) {
    OpLogFormat.writeFileHeader(b, index, FILE_MAGIC, fileSeq, createdMs);
  }

  /** Writes a record header at {@code index} without its CRC (see {@link #crcHeader}). */
  public static void writeHeader(ByteBuffer b, int index, byte type, int payloadLength, long vdiskId, long offset,
      long episode, long seq, long writeSeq) {
    b.putInt(index + MAGIC_OFFSET, RECORD_MAGIC);
    b.putInt(index + CRC_OFFSET, 0);
    b.putInt(index + PAYLOAD_LENGTH_OFFSET, payloadLength);
    b.put(index + TYPE_OFFSET, type);
    b.put(index + FLAGS_OFFSET, (byte) 0);
    b.putShort(index + RESERVED_OFFSET, (short) 0);
    b.putLong(index + VDISK_ID_OFFSET, vdiskId);
    b.putLong(index + OFFSET_OFFSET, offset);
    b.putLong(index + EPISODE_OFFSET, episode);
    b.putLong(index + SEQUENCE_OFFSET, seq);
    b.putLong(index + WRITE_SEQ_OFFSET, writeSeq);
    b.putLong(index + RESERVED2_OFFSET, 0);
  }

  /** Resets {@code crc} and feeds it header bytes [8, 64); the caller adds the payload. */
  public static void crcHeader(CRC32C crc, ByteBuffer b, int index) {
    OpLogFormat.crcHeader(crc, b, index, HEADER_LENGTH);
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

  public static long vdiskId(ByteBuffer b, int index) {
    return b.getLong(index + VDISK_ID_OFFSET);
  }

  public static long offset(ByteBuffer b, int index) {
    return b.getLong(index + OFFSET_OFFSET);
  }

  public static long episode(ByteBuffer b, int index) {
    return b.getLong(index + EPISODE_OFFSET);
  }

  public static long sequence(ByteBuffer b, int index) {
    return b.getLong(index + SEQUENCE_OFFSET);
  }

  public static long writeSeq(ByteBuffer b, int index) {
    return b.getLong(index + WRITE_SEQ_OFFSET);
  }

  /** Whether the header fields at {@code index} are self-consistent; says nothing about the CRC. */
  public static boolean isPlausibleHeader(ByteBuffer b, int index, long maxPayload) {
    if (magic(b, index) != RECORD_MAGIC || b.get(index + FLAGS_OFFSET) != 0) return false;
    if (b.getShort(index + RESERVED_OFFSET) != 0 || b.getLong(index + RESERVED2_OFFSET) != 0) return false;
    int payload = payloadLength(b, index);
    long offset = offset(b, index);
    long episode = episode(b, index);
    long writeSeq = writeSeq(b, index);
    if (payload < 0 || payload > maxPayload || offset < 0 || writeSeq < 0) return false;
    return switch (type(b, index)) {
      case TYPE_DATA -> payload > 0 && offset + payload > offset;
      case TYPE_TRIM -> payload == 0 && offset == 0 && episode == 0;
      case TYPE_DISCARD -> payload == 0 && offset == 0 && episode == 0 && writeSeq == 0;
      default -> false;
    };
  }
}
