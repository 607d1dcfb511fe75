package io.cairn.actors.vdisk;

import io.cairn.datapath.vdisk.Provisioning;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Builds a vDisk's {@link Provisioning} (GET LBA STATUS) from its two sources of data, merged in
 * offset order: the OpLog's undrained ranges and the written slices of the extents the block map
 * points at. A byte in either is mapped; every other byte reads as zeros and is deallocated. The
 * scan stops as soon as it has the ranges asked for, so a status query near the start of a huge
 * vDisk looks at only the first few extents. Pure function of its inputs; the controller calls it
 * on its actor thread.
 */
final class ProvisioningScan {

  /** Written slices of the extent at a packed block-map location: bit {@code i} is slice {@code i} of it. */
  interface Slices {
    BitSet written(long location);
  }

  private ProvisioningScan() {}

  /**
   * @param offset first byte to describe
   * @param size the vDisk's size; nothing is described at or past it
   * @param oplog undrained ranges as {@code start, end} pairs from {@link io.cairn.datapath.oplog.OpLog#undrainedRanges}
   * @param oplogComplete false when {@code oplog} may have been cut short: nothing is then described
   *     past its last range, whose status beyond that is unknown
   * @param vblocks mapped vBlocks, ascending, none ending at or before {@code offset}
   * @param locations their packed locations
   * @param maxRanges most ranges to return, at least 1
   */
  static Provisioning scan(long offset, long size, long[] oplog, boolean oplogComplete, long[] vblocks, long[] locations,
      int extentSize, int sliceSize, Slices slices, int maxRanges) {
    long horizon = size;
    if (!oplogComplete && oplog.length > 0) horizon = Math.min(horizon, oplog[oplog.length - 1]);
    Out out = new Out(offset, horizon, maxRanges);
    int oi = 0;
    int vi = 0;
    // an extent has at most (slices + 1) / 2 written runs: room for all their pairs
    long[] vq = new long[extentSize / sliceSize + 2];
    int vqn = 0;
    int vqi = 0;
    long pendingStart = -1;
    long pendingEnd = -1;
    while (true) {
      while (vqi == vqn && vi < vblocks.length && (long) vblocks[vi] * extentSize < horizon) {
        vqn = extentRuns(vblocks[vi], locations[vi], offset, extentSize, sliceSize, slices, vq);
        vqi = 0;
        vi++;
      }
      boolean haveO = oi < oplog.length;
      boolean haveV = vqi < vqn;
      if (!haveO && !haveV) break;
      long s;
      long e;
      if (haveO && (!haveV || oplog[oi] <= vq[vqi])) {
        s = oplog[oi];
        e = oplog[oi + 1];
        oi += 2;
      } else {
        s = vq[vqi];
        e = vq[vqi + 1];
        vqi += 2;
      }
      if (s >= horizon) break;
      e = Math.min(e, horizon);
      if (pendingStart < 0) {
        pendingStart = s;
        pendingEnd = e;
      } else if (s <= pendingEnd) {
        pendingEnd = Math.max(pendingEnd, e);
      } else {
        out.mapped(pendingStart, pendingEnd);
        if (out.full()) return out.result();
        pendingStart = s;
        pendingEnd = e;
      }
    }
    if (pendingStart >= 0) out.mapped(pendingStart, pendingEnd);
    out.rest();
    return out.result();
  }

  /**
   * The written runs of one extent as pairs in {@code into} (large enough for every run of an
   * extent), clipped to start at {@code offset}; returns the number of longs written.
   */
  private static int extentRuns(long vblock, long location, long offset, int extentSize, int sliceSize, Slices slices,
      long[] into) {
    BitSet bits = slices.written(location);
    long base = vblock * extentSize;
    int n = 0;
    int i = bits.nextSetBit(0);
    while (i >= 0) {
      int j = bits.nextClearBit(i);
      long s = Math.max(offset, base + (long) i * sliceSize);
      long e = base + (long) j * sliceSize;
      if (e > s) {
        into[n++] = s;
        into[n++] = e;
      }
      i = bits.nextSetBit(j);
    }
    return n;
  }

  /** Collects ranges: alternating, adjacent, from {@code offset} on. */
  private static final class Out {
    final long horizon;
    final int max;
    long cursor;
    long[] ends = new long[8];
    boolean[] mapped = new boolean[8];
    int n;
    final long start;

    Out(long offset, long horizon, int max) {
      this.start = offset;
      this.cursor = offset;
      this.horizon = horizon;
      this.max = Math.max(1, max);
    }

    void add(long end, boolean isMapped) {
      if (n == ends.length) {
        ends = Arrays.copyOf(ends, n * 2);
        mapped = Arrays.copyOf(mapped, n * 2);
      }
      ends[n] = end;
      mapped[n] = isMapped;
      n++;
      cursor = end;
    }

    void mapped(long s, long e) {
      if (s > cursor) add(s, false);
      add(e, true);
    }

    void rest() {
      if (cursor < horizon) add(horizon, false);
    }

    boolean full() {
      return n >= max;
    }

    Provisioning result() {
      int k = Math.min(n, max);
      return new Provisioning(start, Arrays.copyOf(ends, k), Arrays.copyOf(mapped, k));
    }
  }
}
