package io.cairn.datapath.oplog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Reads one log file front to back at replay and verifies every record: an OpLog file (see {@link
 * OpLogFormat}) or, with {@link ReplicaLogFormat#LAYOUT}, a replica log file. Both formats share the
 * file header layout and the record fields the scanner needs (magic, CRC, payload length, record
 * sequence at the offsets of {@link OpLogFormat}); the record header length, the magics and the
 * plausibility rules come from the {@link Layout}. Single-threaded; reads through a 1 MiB window
 * so a file of small records costs few system calls.
 */
final class LogScanner {

  /** What differs between the log formats the scanner reads. */
  interface Layout {
    int fileMagic();

    int recordMagic();

    /** Bytes of a record header; the CRC covers [{@link OpLogFormat#CRC_COVERED_OFFSET}, this). */
    int headerLength();

    /** Whether the header fields at {@code index} are self-consistent; {@code maxPayload} bounds the payload. */
    boolean isPlausibleHeader(ByteBuffer b, int index, long maxPayload);
  }

  /** The OpLog's layout. */
  static final Layout OPLOG = new Layout() {
    @Override
    public int fileMagic() {
      return OpLogFormat.FILE_MAGIC;
    }

    @Override
    public int recordMagic() {
      return OpLogFormat.RECORD_MAGIC;
    }

    @Override
    public int headerLength() {
      return OpLogFormat.HEADER_LENGTH;
    }

    @Override
    public boolean isPlausibleHeader(ByteBuffer b, int index, long maxPayload) {
      return OpLogFormat.isPlausibleHeader(b, index, maxPayload);
    }
  };

  /** Receives each valid OpLog record, in file order. */
  interface Visitor {
    void record(byte type, long vdiskId, long offset, long length, long seq, long position);
  }

  /**
   * Receives each valid record as its header bytes: {@code header} holds it at {@code index} (valid
   * only during the call), {@code position} is where it starts in the file.
   */
  interface HeaderVisitor {
    void record(ByteBuffer header, int index, long position);
  }

  /**
   * Outcome of a scan.
   *
   * @param validEnd where the valid records end (the file is truncated here when shorter than its size)
   * @param records valid records
   * @param lastSeq sequence of the last valid record (the input sequence when there is none)
   * @param dropped records dropped at the damage point: the damaged record (when any non-zero byte
   *     is there) plus every later record that still parses with a good CRC
   * @param damage what stopped the scan, null when the file ended cleanly
   */
  record Result(long validEnd, long records, long lastSeq, long dropped, String damage) {}

  private static final int WINDOW = 1 << 20;

  private final Layout layout;
  private final int headerLength;
  private final ByteBuffer window = ByteBuffer.allocateDirect(WINDOW).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  private FileChannel ch;
  private long size;
  private long windowStart;
  private int windowLength;

  /** A scanner of OpLog files. */
  LogScanner() {
    this(OPLOG);
  }

  LogScanner(Layout layout) {
    this.layout = layout;
    this.headerLength = layout.headerLength();
  }

  /** Reads the file header, or returns false when it is missing or damaged. */
  boolean readFileHeader(FileChannel channel, long fileSeq) throws IOException {
    start(channel);
    if (size < OpLogFormat.FILE_HEADER_LENGTH || !ensure(0, OpLogFormat.FILE_HEADER_LENGTH)) return false;
    return OpLogFormat.isValidFileHeader(window, 0, layout.fileMagic(), fileSeq);
  }

  /** Whether every byte of the file is zero (a file whose creation was torn). */
  boolean allZero(FileChannel channel) throws IOException {
    start(channel);
    return zerosFrom(0);
  }

  /** Scans the records after the file header; {@code lastSeq} is the highest sequence seen so far. */
  Result scan(FileChannel channel, long lastSeq, Visitor visitor) throws IOException {
    return scanHeaders(channel, lastSeq, (b, idx, pos) -> visitor.record(
        OpLogFormat.type(b, idx),
        OpLogFormat.vdiskId(b, idx),
        OpLogFormat.offset(b, idx),
        OpLogFormat.length(b, idx),
        OpLogFormat.sequence(b, idx),
        pos));
  }

  /** Like {@link #scan(FileChannel, long, Visitor)}, handing each valid record's header bytes over. */
  Result scanHeaders(FileChannel channel, long lastSeq, HeaderVisitor visitor) throws IOException {
    start(channel);
    long pos = OpLogFormat.FILE_HEADER_LENGTH;
    long records = 0;
    long seq = lastSeq;
    String damage = null;
    while (pos < size) {
      damage = check(pos, seq);
      if (damage != null) break;
      int idx = (int) (pos - windowStart);
      long recSeq = OpLogFormat.sequence(window, idx);
      visitor.record(window, idx, pos);
      records++;
      seq = recSeq;
      pos += headerLength + OpLogFormat.payloadLength(window, idx);
    }
    if (damage == null) return new Result(pos, records, seq, 0, null);
    return new Result(pos, records, seq, countDropped(pos, seq), damage);
  }

  /**
   * Verifies the record at {@code pos}; returns null when valid (its header then sits in the window
   * at {@code pos - windowStart}) or what is wrong with it.
   */
  private String check(long pos, long prevSeq) throws IOException {
    if (size - pos < headerLength) return "truncated record header";
    if (!ensure(pos, headerLength)) return "truncated record header";
    int idx = (int) (pos - windowStart);
    if (!layout.isPlausibleHeader(window, idx, size - pos - headerLength)) {
      if (OpLogFormat.magic(window, idx) == layout.recordMagic()
          && OpLogFormat.payloadLength(window, idx) > size - pos - headerLength) {
        return "truncated record payload";
      }
      return "bad record header";
    }
    int expected = OpLogFormat.crc(window, idx);
    long seq = OpLogFormat.sequence(window, idx);
    OpLogFormat.crcHeader(crc, window, idx, headerLength);
    int payload = OpLogFormat.payloadLength(window, idx);
    long p = pos + headerLength;
    long remaining = payload;
    while (remaining > 0) {
      int n = (int) Math.min(remaining, WINDOW);
      if (!ensure(p, n)) return "truncated record payload";
      ByteBuffer d = window.duplicate();
      int at = (int) (p - windowStart);
      d.limit(at + n).position(at);
      crc.update(d);
      p += n;
      remaining -= n;
    }
    if ((int) crc.getValue() != expected) return "record checksum mismatch";
    if (seq <= prevSeq) return "record sequence " + seq + " not after " + prevSeq;
    // the header may have slid out of the window while the payload was checksummed
    if (!ensure(pos, headerLength)) return "truncated record header";
    return null;
  }

  /**
   * Counts what is dropped at a damage point: nothing when only zeros follow (space the file system
   * extended but no record reached), else the damaged record plus each later record that still
   * parses (found by skipping the damaged record's payload when its header is plausible).
   */
  private long countDropped(long pos, long seq) throws IOException {
    if (zerosFrom(pos)) return 0;
    long dropped = 1;
    if (!ensure(pos, headerLength)) return dropped;
    int idx = (int) (pos - windowStart);
    if (!layout.isPlausibleHeader(window, idx, size - pos - headerLength)) return dropped;
    long next = pos + headerLength + OpLogFormat.payloadLength(window, idx);
    long s = seq; // the damaged record's own sequence field may be garbage
    while (next < size && check(next, s) == null) {
      int i = (int) (next - windowStart);
      s = OpLogFormat.sequence(window, i);
      next += headerLength + OpLogFormat.payloadLength(window, i);
      dropped++;
    }
    return dropped;
  }

  private boolean zerosFrom(long pos) throws IOException {
    long p = pos;
    while (p < size) {
      int n = (int) Math.min(size - p, WINDOW);
      if (!ensure(p, n)) return false;
      int at = (int) (p - windowStart);
      for (int i = 0; i < n; i++) {
        if (window.get(at + i) != 0) return false;
      }
      p += n;
    }
    return true;
  }

  private void start(FileChannel channel) throws IOException {
    ch = channel;
    size = channel.size();
    windowStart = 0;
    windowLength = 0;
  }

  /** Makes {@code [pos, pos+n)} (n &lt;= WINDOW) available in the window; false at end of file. */
  private boolean ensure(long pos, int n) throws IOException {
    if (pos >= windowStart && pos + n <= windowStart + windowLength) return true;
    window.clear();
    long p = pos;
    while (window.hasRemaining() && p < size) {
      int r = ch.read(window, p);
      if (r < 0) break;
      p += r;
    }
    windowStart = pos;
    windowLength = window.position();
    return windowLength >= n;
  }
}
