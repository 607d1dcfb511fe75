package io.cairn.datapath.oplog;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;

/**
 * One drain operation: contiguous segments of one vDisk's index, {@code [start, end)}, at most
 * drain-batch-bytes long and never crossing a multiple of drain-batch-bytes. Built under the OpLog's
 * lock by the drainer thread; its data is read outside the lock while its files are pinned.
 */
final class DrainRun {
  final long id;
  final VDiskState vd;
  final long start;
  final long end;
  final ArrayList<Piece> segments;
  /** The run's bytes, owned by the OpLog until the sink's future completes. */
  ByteBuf data;

  DrainRun(long id, VDiskState vd, long start, long end, ArrayList<Piece> segments) {
    this.id = id;
    this.vd = vd;
    this.start = start;
    this.end = end;
    this.segments = segments;
  }

  int length() {
    return (int) (end - start);
  }

  boolean overlaps(long s, long e) {
    return start < e && s < end;
  }
}
