package io.cairn.datapath.oplog;

import static io.cairn.datapath.oplog.OpLogFormat.HEADER_LENGTH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Reads one OpLog file front to back at replay and verifies every record (see {@link OpLogFormat}).
 * Single-threaded; reads through a 1 MiB window so a file of small records costs few system calls.
 */
final class LogScanner {

  /** Receives each valid record, in file order. */
  interface Visitor {
    void record(byte type, long vdiskId, long offset, long length, long seq, long position);
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

  private final ByteBuffer window = ByteBuffer.allocateDirect(WINDOW).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  private FileChannel ch;
  private long size;
  private long windowStart;
  private int windowLength;

  /** Reads the file header, or returns false when it is missing or damaged. */
  boolean readFileHeader(FileChannel channel, long fileSeq) throws IOException {
    start(channel);
    if (size < OpLogFormat.FILE_HEADER_LENGTH || !ensure(0, OpLogFormat.FILE_HEADER_LENGTH)) return false;
    return OpLogFormat.isValidFileHeader(window, 0, fileSeq);
  }

  /** Whether every byte of the file is zero (a file whose creation was torn). */
  boolean allZero(FileChannel channel) throws IOException {
    start(channel);
    return zerosFrom(0);
  }

  /** Scans the records after the file header; {@code lastSeq} is the highest sequence seen so far. */
  Result scan(FileChannel channel, long lastSeq, Visitor visitor) throws IOException {
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
      visitor.record(
          OpLogFormat.type(window, idx),
          OpLogFormat.vdiskId(window, idx),
          OpLogFormat.offset(window, idx),
          OpLogFormat.length(window, idx),
          recSeq,
          pos);
      records++;
      seq = recSeq;
      pos += HEADER_LENGTH + OpLogFormat.payloadLength(window, idx);
    }
    if (damage == null) return new Result(pos, records, seq, 0, null);
    return new Result(pos, records, seq, countDropped(pos, seq), damage);
  }

  /**
   * Verifies the record at {@code pos}; returns null when valid (its header then sits in the window
   * at {@code pos - windowStart}) or what is wrong with it.
   */
  private String check(long pos, long prevSeq) throws IOException {
    if (size - pos < HEADER_LENGTH) return "truncated record header";
    if (!ensure(pos, HEADER_LENGTH)) return "truncated record header";
    int idx = (int) (pos - windowStart);
    if (!OpLogFormat.isPlausibleHeader(window, idx, size - pos - HEADER_LENGTH)) {
      if (OpLogFormat.magic(window, idx) == OpLogFormat.RECORD_MAGIC
          && OpLogFormat.payloadLength(window, idx) > size - pos - HEADER_LENGTH) {
        return "truncated record payload";
      }
      return "bad record header";
    }
    int expected = OpLogFormat.crc(window, idx);
    long seq = OpLogFormat.sequence(window, idx);
    OpLogFormat.crcHeader(crc, window, idx);
    int payload = OpLogFormat.payloadLength(window, idx);
    long p = pos + HEADER_LENGTH;
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
    if (!ensure(pos, HEADER_LENGTH)) return "truncated record header";
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
    if (!ensure(pos, HEADER_LENGTH)) return dropped;
    int idx = (int) (pos - windowStart);
    if (!OpLogFormat.isPlausibleHeader(window, idx, size - pos - HEADER_LENGTH)) return dropped;
    long next = pos + HEADER_LENGTH + OpLogFormat.payloadLength(window, idx);
    long s = seq; // the damaged record's own sequence field may be garbage
    while (next < size && check(next, s) == null) {
      int i = (int) (next - windowStart);
      s = OpLogFormat.sequence(window, i);
      next += HEADER_LENGTH + OpLogFormat.payloadLength(window, i);
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
