package io.cairn.datapath.replication;

import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.ReplicaRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of the DATA reply to OPLOG_FETCH: one {@link ReplicaPage} of a vDisk (the vDisk id is
 * the request's; {@code next} travels in the DATA frame's field0). Little-endian:
 *
 * <pre>
 *   0  record count (i32)
 *   4  unreadable count (i32)
 *   8  unreadable write sequences (i64 each)
 *   .. records, back to back: episode (i64), write seq (i64), offset (i64), length (i32), bytes
 * </pre>
 */
final class FetchPageCodec {
  private FetchPageCodec() {}

  static final int RECORD_HEADER_LENGTH = 28;
  /** Bytes a page of one record without unreadable entries adds to the record's data. */
  static final int OVERHEAD = 8 + RECORD_HEADER_LENGTH;

  /** Encoded length of a page. */
  static int length(ReplicaPage page) {
    long n = 8L + 8L * page.unreadable().size();
    for (ReplicaRecord r : page.records()) n += RECORD_HEADER_LENGTH + r.data().length;
    if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("page too large: " + n);
    return (int) n;
  }

  /** Encodes a page into a new buffer (owned by the caller). */
  static ByteBuf encode(ByteBufAllocator alloc, ReplicaPage page) {
    int len = length(page);
    ByteBuf b = alloc.directBuffer(len, len);
    b.writeIntLE(page.records().size());
    b.writeIntLE(page.unreadable().size());
    for (long s : page.unreadable()) b.writeLongLE(s);
    for (ReplicaRecord r : page.records()) {
      b.writeLongLE(r.episode());
      b.writeLongLE(r.writeSeq());
      b.writeLongLE(r.offset());
      b.writeIntLE(r.data().length);
      b.writeBytes(r.data());
    }
    return b;
  }

  /**
   * Decodes a page of vDisk {@code vdiskId}; does not release {@code b}.
   *
   * @throws IllegalArgumentException when the bytes are not a well-formed page
   */
  static ReplicaPage decode(long vdiskId, ByteBuf b, long next) {
    ByteBuf in = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    try {
      int records = in.readIntLE();
      int unreadable = in.readIntLE();
      if (records < 0 || unreadable < 0 || (long) unreadable * 8 > in.readableBytes()) {
        throw new IllegalArgumentException("bad page counts " + records + "/" + unreadable);
      }
      List<Long> bad = new ArrayList<>(unreadable);
      for (int i = 0; i < unreadable; i++) bad.add(in.readLongLE());
      List<ReplicaRecord> out = new ArrayList<>(Math.min(records, 1 << 16));
      for (int i = 0; i < records; i++) {
        long episode = in.readLongLE();
        long writeSeq = in.readLongLE();
        long offset = in.readLongLE();
        int len = in.readIntLE();
        if (len < 0 || len > in.readableBytes()) throw new IllegalArgumentException("bad record length " + len);
        byte[] data = new byte[len];
        in.readBytes(data);
        out.add(new ReplicaRecord(vdiskId, episode, writeSeq, offset, data));
      }
      if (in.isReadable()) throw new IllegalArgumentException(in.readableBytes() + " trailing bytes");
      return new ReplicaPage(out, bad, next);
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("truncated page", e);
    }
  }
}
