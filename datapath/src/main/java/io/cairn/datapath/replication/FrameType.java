package io.cairn.datapath.replication;

/**
 * The opcode table of replication frames (the {@code type} byte of {@link ReplicationFrame}).
 * Requests have codes 1-63, responses 64 and up; every response carries the correlation id of its
 * request. Field numbers refer to the four i64 fields of the frame header.
 *
 * <pre>
 *  code type              field0    field1         field2     field3  payload               answered by
 *  ---- ----------------- --------- -------------- ---------- ------- --------------------- --------------------
 *    1  OPLOG_REPLICATE   vDisk id  episode        write seq  offset  the write's bytes     ACK
 *    2  OPLOG_TRIM        vDisk id  below seq      -          -       -                     ACK
 *    3  OPLOG_FETCH       vDisk id  from seq       max bytes  -       -                     DATA (a fetch page)
 *    4  OPLOG_DISCARD     vDisk id  -              -          -       -                     ACK
 *    5  EGROUP_CREATE     egroup id -              -          -       disk hint (UTF-8)     ACK (disk id)
 *    6  EGROUP_WRITE      egroup id offset         -          -       bytes                 ACK
 *    7  EGROUP_READ       egroup id offset         length     -       -                     DATA (the bytes)
 *    8  EGROUP_DELETE     egroup id -              -          -       -                     ACK
 *    9  EGROUP_DEALLOCATE egroup id offset         length     -       -                     ACK
 *   10  EGROUP_WRITTEN    egroup id offset         length     -       -                     DATA (a slice bitmap)
 *   64  ACK               -         -              -          -       detail (UTF-8)        -
 *   65  NACK              -         -              -          -       message (UTF-8)       -   status in header
 *   66  DATA              next seq  -              -          -       bytes                 -
 * </pre>
 *
 * Unused fields are zero. DATA's field0 is, for a fetch page, the write sequence to ask for next
 * ({@code -1} when the page is the last), and 0 otherwise. EGROUP_DEALLOCATE's range is whole
 * slices. EGROUP_WRITTEN's DATA payload is the written-slice bitmap of the range in {@link
 * java.util.BitSet#toByteArray()} order: bit {@code i} (byte {@code i / 8}, bit {@code i % 8},
 * least significant first) stands for slice {@code offset / sliceSize + i}; trailing zero bytes
 * are omitted, so an empty payload means no written slice.
 */
public final class FrameType {
  private FrameType() {}

  public static final byte OPLOG_REPLICATE = 1;
  public static final byte OPLOG_TRIM = 2;
  public static final byte OPLOG_FETCH = 3;
  public static final byte OPLOG_DISCARD = 4;
  public static final byte EGROUP_CREATE = 5;
  public static final byte EGROUP_WRITE = 6;
  public static final byte EGROUP_READ = 7;
  public static final byte EGROUP_DELETE = 8;
  public static final byte EGROUP_DEALLOCATE = 9;
  public static final byte EGROUP_WRITTEN = 10;
  /** Highest request code in use. */
  static final byte MAX_REQUEST = EGROUP_WRITTEN;

  public static final byte ACK = 64;
  public static final byte NACK = 65;
  public static final byte DATA = 66;

  private static final String[] NAMES = new String[128];

  static {
    NAMES[OPLOG_REPLICATE] = "OPLOG_REPLICATE";
    NAMES[OPLOG_TRIM] = "OPLOG_TRIM";
    NAMES[OPLOG_FETCH] = "OPLOG_FETCH";
    NAMES[OPLOG_DISCARD] = "OPLOG_DISCARD";
    NAMES[EGROUP_CREATE] = "EGROUP_CREATE";
    NAMES[EGROUP_WRITE] = "EGROUP_WRITE";
    NAMES[EGROUP_READ] = "EGROUP_READ";
    NAMES[EGROUP_DELETE] = "EGROUP_DELETE";
    NAMES[EGROUP_DEALLOCATE] = "EGROUP_DEALLOCATE";
    NAMES[EGROUP_WRITTEN] = "EGROUP_WRITTEN";
    NAMES[ACK] = "ACK";
    NAMES[NACK] = "NACK";
    NAMES[DATA] = "DATA";
  }

  /** Whether {@code type} is a known request code. */
  public static boolean isRequest(int type) {
    return type >= OPLOG_REPLICATE && type <= MAX_REQUEST;
  }

  /** Whether {@code type} is a known response code. */
  public static boolean isResponse(int type) {
    return type == ACK || type == NACK || type == DATA;
  }

  /** The name of a type code, or {@code "type-<n>"} for an unknown one. */
  public static String name(int type) {
    String n = type >= 0 && type < NAMES.length ? NAMES[type] : null;
    return n != null ? n : "type-" + type;
  }
}
