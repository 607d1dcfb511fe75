package io.cairn.datapath.oplog;

/**
 * A byte range {@code [start, end)} of a vDisk whose newest undrained data is bytes
 * {@code [start - rec.offset, end - rec.offset)} of {@code rec}'s payload. Index pieces of one vDisk
 * never overlap. Also used for the segments of a drain run and of a capture (copies, not index
 * entries). Guarded by the OpLog's lock while in the index.
 */
final class Piece {
  final long start;
  long end;
  final LogRecord rec;

  Piece(long start, long end, LogRecord rec) {
    this.start = start;
    this.end = end;
    this.rec = rec;
  }

  long length() {
    return end - start;
  }
}
