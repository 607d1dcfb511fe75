package io.cairn.datapath.extentstore;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * On-disk formats of the extent store, version 1: directory layout, the egroup metadata file and the
 * per-disk intent journal. Flyweight accessors over little-endian {@link ByteBuffer}s (absolute
 * gets and puts; callers set {@code ByteOrder.LITTLE_ENDIAN}).
 *
 * <h2>Directory layout of one disk</h2>
 *
 * <pre>
 *   &lt;disk path&gt;/disk.id                         the disk id (UTF-8 text); a mismatch keeps the disk offline
 *   &lt;disk path&gt;/egroups/&lt;xx&gt;/eg-&lt;id&gt;.data      egroup data, xx = low byte of the id (2 hex digits),
 *   &lt;disk path&gt;/egroups/&lt;xx&gt;/eg-&lt;id&gt;.meta      id = egroup id as 16 hex digits
 *   &lt;disk path&gt;/egroups/&lt;xx&gt;/eg-&lt;id&gt;.meta.tmp  a metadata file being replaced (deleted at start-up)
 *   &lt;disk path&gt;/intent/intent-&lt;gen&gt;.log         intent journal generations, gen = 16 hex digits
 * </pre>
 *
 * <h2>Data file</h2>
 *
 * A sparse file of exactly egroup-size bytes (extents-per-egroup x extent-size); slice {@code i}
 * occupies bytes {@code [i * sliceSize, (i+1) * sliceSize)}. A slice never written is a hole: it
 * reads as zeros and takes no space. Space used ("used bytes" of a disk) is counted as written
 * slices x slice size, from the metadata, not from the file system.
 *
 * <h2>Metadata file (32-byte header, 8 bytes per slice, 4-byte trailer)</h2>
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   magic 0x4D474543 "CEGM"                     |  0
 *  +-------------------------------+-------------------------------+
 *  |    format version (u16) = 1   |   header length (u16) = 32    |  4
 *  +-------------------------------+-------------------------------+
 *  |                       egroup id (i64)                         |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    slice size, bytes (i32)                    | 16
 *  +---------------------------------------------------------------+
 *  |                       slice count (i32)                       | 20
 *  +---------------------------------------------------------------+
 *  |                        reserved (0, i64)                      | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            slice 0: CRC32C of the slice's bytes (u32)         | 32
 *  +---------------------------------------------------------------+
 *  |            slice 0: flags (u32), bit 0 = written              | 36
 *  +---------------------------------------------------------------+
 *  |            ... one 8-byte entry per slice ...                ...|
 *  +---------------------------------------------------------------+
 *  |      CRC32C of every byte before this field (u32)             | 32 + 8 * slice count
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The file is only ever replaced whole: written to {@code .meta.tmp}, forced, renamed over
 * {@code .meta}, directory forced. A metadata file that fails its CRC marks the egroup failed
 * (reads fail with UNRECOVERED_READ_ERROR; no bytes are returned unverified).
 *
 * <h2>Intent journal file (32-byte header, then records back to back)</h2>
 *
 * <pre>
 *  file header:
 *  +---------------------------------------------------------------+
 *  |                   magic 0x544E4943 "CINT"                     |  0
 *  +-------------------------------+-------------------------------+
 *  |    format version (u16) = 1   |   header length (u16) = 32    |  4
 *  +-------------------------------+-------------------------------+
 *  |                      generation (i64)                         |  8
 *  +---------------------------------------------------------------+
 *  |                      reserved (0, 12 bytes)                   | 16
 *  +---------------------------------------------------------------+
 *  |                 CRC32C of bytes [0, 28) (u32)                 | 28
 *  +---------------------------------------------------------------+
 *
 *  record (32 + 4 * slice count bytes):
 *  +---------------------------------------------------------------+
 *  |                   magic 0x52544E49 "INTR"                     |  0
 *  +---------------------------------------------------------------+
 *  |        CRC32C of bytes [8, 32 + 4 * slice count) (u32)        |  4
 *  +---------------------------------------------------------------+
 *  |                 intent sequence (i64, increasing)             |  8
 *  +---------------------------------------------------------------+
 *  |                       egroup id (i64)                         | 16
 *  +---------------------------------------------------------------+
 *  |                     first slice (i32)                         | 24
 *  +---------------------------------------------------------------+
 *  |                     slice count (i32)                         | 28
 *  +---------------------------------------------------------------+
 *  |          new CRC32C of each slice of the range (u32 each)    ...| 32
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * An intent says "slices [first, first+count) of the egroup are being overwritten with bytes whose
 * checksums are these". It is durable before the data write starts and is retired (its generation
 * file deleted) only after the metadata files of every egroup it touched are durable. A torn record
 * at the end of a generation ends that generation's replay (it was never durable, so its data write
 * never started).
 */
public final class ExtentStoreFormat {
  private ExtentStoreFormat() {}

  public static final int VERSION = 1;

  public static final String DISK_ID_FILE = "disk.id";
  /** Written, synced, read back and deleted by a probe of the disk (disk health). */
  public static final String PROBE_FILE = "probe.tmp";
  public static final String EGROUP_DIR = "egroups";
  public static final String INTENT_DIR = "intent";
  public static final String DATA_SUFFIX = ".data";
  public static final String META_SUFFIX = ".meta";
  public static final String TMP_SUFFIX = ".tmp";

  // ---- metadata file ---------------------------------------------------------------------------
  public static final int META_MAGIC = 0x4D474543; // "CEGM"
  public static final int META_MAGIC_OFFSET = 0;
  public static final int META_VERSION_OFFSET = 4;
  public static final int META_HEADER_LENGTH_OFFSET = 6;
  public static final int META_EGROUP_ID_OFFSET = 8;
  public static final int META_SLICE_SIZE_OFFSET = 16;
  public static final int META_SLICE_COUNT_OFFSET = 20;
  public static final int META_RESERVED_OFFSET = 24;
  public static final int META_HEADER_LENGTH = 32;
  public static final int META_ENTRY_LENGTH = 8;
  public static final int ENTRY_CRC_OFFSET = 0;
  public static final int ENTRY_FLAGS_OFFSET = 4;
  public static final int FLAG_WRITTEN = 1;

  // ---- intent journal --------------------------------------------------------------------------
  public static final int JOURNAL_MAGIC = 0x544E4943; // "CINT"
  public static final int JOURNAL_MAGIC_OFFSET = 0;
  public static final int JOURNAL_VERSION_OFFSET = 4;
  public static final int JOURNAL_HEADER_LENGTH_OFFSET = 6;
  public static final int JOURNAL_GENERATION_OFFSET = 8;
  public static final int JOURNAL_CRC_OFFSET = 28;
  public static final int JOURNAL_HEADER_LENGTH = 32;

  public static final int INTENT_MAGIC = 0x52544E49; // "INTR"
  public static final int INTENT_MAGIC_OFFSET = 0;
  public static final int INTENT_CRC_OFFSET = 4;
  public static final int INTENT_SEQ_OFFSET = 8;
  public static final int INTENT_EGROUP_OFFSET = 16;
  public static final int INTENT_FIRST_SLICE_OFFSET = 24;
  public static final int INTENT_SLICE_COUNT_OFFSET = 28;
  public static final int INTENT_CRCS_OFFSET = 32;
  public static final int INTENT_HEADER_LENGTH = 32;

  public static String hex(long v) {
    return String.format("%016x", v);
  }

  /** Directory holding egroup {@code id}'s files under a disk's egroup root. */
  public static Path egroupDir(Path egroupRoot, long id) {
    return egroupRoot.resolve(String.format("%02x", id & 0xFF));
  }

  public static String dataFileName(long id) {
    return "eg-" + hex(id) + DATA_SUFFIX;
  }

  public static String metaFileName(long id) {
    return "eg-" + hex(id) + META_SUFFIX;
  }

  /** Egroup id of a data or metadata file name, or null when the name is not one. */
  public static Long parseEgroupFileName(String name, String suffix) {
    if (!name.startsWith("eg-") || !name.endsWith(suffix) || name.length() != 3 + 16 + suffix.length()) return null;
    try {
      return Long.parseUnsignedLong(name.substring(3, 19), 16);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public static String journalFileName(long gen) {
    return "intent-" + hex(gen) + ".log";
  }

  /** Generation of a journal file name, or -1. */
  public static long parseJournalFileName(String name) {
    if (!name.startsWith("intent-") || !name.endsWith(".log") || name.length() != 7 + 16 + 4) return -1;
    try {
      return Long.parseUnsignedLong(name.substring(7, 23), 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  // ---- metadata accessors ----------------------------------------------------------------------

  public static int metaFileLength(int sliceCount) {
    return META_HEADER_LENGTH + sliceCount * META_ENTRY_LENGTH + 4;
  }

  /** Encodes a whole metadata file into {@code b} (from index 0; capacity {@link #metaFileLength}). */
  public static void encodeMeta(ByteBuffer b, long egroupId, int sliceSize, int[] crcs, byte[] written) {
    int n = crcs.length;
    b.putInt(META_MAGIC_OFFSET, META_MAGIC);
    b.putShort(META_VERSION_OFFSET, (short) VERSION);
    b.putShort(META_HEADER_LENGTH_OFFSET, (short) META_HEADER_LENGTH);
    b.putLong(META_EGROUP_ID_OFFSET, egroupId);
    b.putInt(META_SLICE_SIZE_OFFSET, sliceSize);
    b.putInt(META_SLICE_COUNT_OFFSET, n);
    b.putLong(META_RESERVED_OFFSET, 0);
    for (int i = 0; i < n; i++) {
      int at = META_HEADER_LENGTH + i * META_ENTRY_LENGTH;
      b.putInt(at + ENTRY_CRC_OFFSET, crcs[i]);
      b.putInt(at + ENTRY_FLAGS_OFFSET, written[i] != 0 ? FLAG_WRITTEN : 0);
    }
    int end = META_HEADER_LENGTH + n * META_ENTRY_LENGTH;
    b.putInt(end, crc(b, 0, end));
  }

  /**
   * Decodes a metadata file into {@code crcs}/{@code written}; returns null when valid, or what is
   * wrong with it.
   */
  public static String decodeMeta(ByteBuffer b, int length, long egroupId, int sliceSize, int[] crcs, byte[] written) {
    int n = crcs.length;
    if (length != metaFileLength(n)) return "length " + length + ", expected " + metaFileLength(n);
    if (b.getInt(META_MAGIC_OFFSET) != META_MAGIC) return "bad magic";
    if ((b.getShort(META_VERSION_OFFSET) & 0xFFFF) != VERSION) return "unknown version " + b.getShort(META_VERSION_OFFSET);
    int end = META_HEADER_LENGTH + n * META_ENTRY_LENGTH;
    if (b.getInt(end) != crc(b, 0, end)) return "checksum mismatch";
    if (b.getLong(META_EGROUP_ID_OFFSET) != egroupId) return "egroup id " + b.getLong(META_EGROUP_ID_OFFSET);
    if (b.getInt(META_SLICE_SIZE_OFFSET) != sliceSize) return "slice size " + b.getInt(META_SLICE_SIZE_OFFSET);
    if (b.getInt(META_SLICE_COUNT_OFFSET) != n) return "slice count " + b.getInt(META_SLICE_COUNT_OFFSET);
    for (int i = 0; i < n; i++) {
      int at = META_HEADER_LENGTH + i * META_ENTRY_LENGTH;
      int flags = b.getInt(at + ENTRY_FLAGS_OFFSET);
      if ((flags & ~FLAG_WRITTEN) != 0) return "slice " + i + " has unknown flags " + flags;
      crcs[i] = b.getInt(at + ENTRY_CRC_OFFSET);
      written[i] = (byte) (flags & FLAG_WRITTEN);
    }
    return null;
  }

  // ---- journal accessors -----------------------------------------------------------------------

  public static void writeJournalHeader(ByteBuffer b, long gen) {
    b.putInt(JOURNAL_MAGIC_OFFSET, JOURNAL_MAGIC);
    b.putShort(JOURNAL_VERSION_OFFSET, (short) VERSION);
    b.putShort(JOURNAL_HEADER_LENGTH_OFFSET, (short) JOURNAL_HEADER_LENGTH);
    b.putLong(JOURNAL_GENERATION_OFFSET, gen);
    b.putInt(16, 0);
    b.putLong(20, 0);
    b.putInt(JOURNAL_CRC_OFFSET, crc(b, 0, JOURNAL_CRC_OFFSET));
  }

  public static boolean isValidJournalHeader(ByteBuffer b, long gen) {
    return b.getInt(JOURNAL_MAGIC_OFFSET) == JOURNAL_MAGIC
        && (b.getShort(JOURNAL_VERSION_OFFSET) & 0xFFFF) == VERSION
        && (b.getShort(JOURNAL_HEADER_LENGTH_OFFSET) & 0xFFFF) == JOURNAL_HEADER_LENGTH
        && b.getLong(JOURNAL_GENERATION_OFFSET) == gen
        && b.getInt(JOURNAL_CRC_OFFSET) == crc(b, 0, JOURNAL_CRC_OFFSET);
  }

  public static int intentLength(int sliceCount) {
    return INTENT_HEADER_LENGTH + 4 * sliceCount;
  }

  /** Encodes an intent record at {@code index}, with its CRC. */
  public static void encodeIntent(ByteBuffer b, int index, long seq, long egroupId, int firstSlice, int[] crcs, int count, CRC32C crc) {
    b.putInt(index + INTENT_MAGIC_OFFSET, INTENT_MAGIC);
    b.putLong(index + INTENT_SEQ_OFFSET, seq);
    b.putLong(index + INTENT_EGROUP_OFFSET, egroupId);
    b.putInt(index + INTENT_FIRST_SLICE_OFFSET, firstSlice);
    b.putInt(index + INTENT_SLICE_COUNT_OFFSET, count);
    for (int i = 0; i < count; i++) b.putInt(index + INTENT_CRCS_OFFSET + 4 * i, crcs[i]);
    crc.reset();
    ByteBuffer d = b.duplicate();
    d.limit(index + intentLength(count)).position(index + INTENT_SEQ_OFFSET);
    crc.update(d);
    b.putInt(index + INTENT_CRC_OFFSET, (int) crc.getValue());
  }

  public static int intentSliceCount(ByteBuffer b, int index) {
    return b.getInt(index + INTENT_SLICE_COUNT_OFFSET);
  }

  /** Whether the intent record at {@code index} (fully in {@code b}) is intact. */
  public static boolean isValidIntent(ByteBuffer b, int index, int maxSlices) {
    if (b.getInt(index + INTENT_MAGIC_OFFSET) != INTENT_MAGIC) return false;
    int count = intentSliceCount(b, index);
    if (count <= 0 || count > maxSlices || b.getInt(index + INTENT_FIRST_SLICE_OFFSET) < 0) return false;
    if (index + intentLength(count) > b.limit()) return false;
    return b.getInt(index + INTENT_CRC_OFFSET) == crc(b, index + INTENT_SEQ_OFFSET, intentLength(count) - INTENT_SEQ_OFFSET);
  }

  public static long intentSeq(ByteBuffer b, int index) {
    return b.getLong(index + INTENT_SEQ_OFFSET);
  }

  public static long intentEgroup(ByteBuffer b, int index) {
    return b.getLong(index + INTENT_EGROUP_OFFSET);
  }

  public static int intentFirstSlice(ByteBuffer b, int index) {
    return b.getInt(index + INTENT_FIRST_SLICE_OFFSET);
  }

  public static int intentCrc(ByteBuffer b, int index, int i) {
    return b.getInt(index + INTENT_CRCS_OFFSET + 4 * i);
  }

  static int crc(ByteBuffer b, int from, int len) {
    CRC32C c = new CRC32C();
    ByteBuffer d = b.duplicate();
    d.limit(from + len).position(from);
    c.update(d);
    return (int) c.getValue();
  }
}
