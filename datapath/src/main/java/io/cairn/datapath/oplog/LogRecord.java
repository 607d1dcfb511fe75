package io.cairn.datapath.oplog;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * One OpLog record from admission to trim. Fields are guarded by the OpLog's lock, except that the
 * writer thread fills {@link #file} and {@link #position} for the records of the batch it owns
 * before it takes the lock to index them.
 */
final class LogRecord {
  final byte type;
  final VDiskState vd;
  final long offset;
  /** DATA: payload bytes; SUPERSEDE: range length; DISCARD: 0. */
  final long length;
  /** Completed once durable (and indexed); null for records found at replay or written internally. */
  final CompletableFuture<Void> future;
  /** DATA payload, retained from admission until written; null afterwards. */
  ByteBuf payload;
  /** Record sequence, assigned when the record enters the write queue (write order = sequence order). */
  long seq;
  /** File holding the record and the position of its header there; set once written. */
  LogFile file;
  long position;
  /** DATA: payload bytes still referenced by index pieces. */
  long liveBytes;

  LogRecord(byte type, VDiskState vd, long offset, long length, CompletableFuture<Void> future) {
    this.type = type;
    this.vd = vd;
    this.offset = offset;
    this.length = length;
    this.future = future;
  }

  int payloadLength() {
    return type == OpLogFormat.TYPE_DATA ? (int) length : 0;
  }

  long payloadPosition() {
    return position + OpLogFormat.HEADER_LENGTH;
  }
}
