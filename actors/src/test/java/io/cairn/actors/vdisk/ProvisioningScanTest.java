package io.cairn.actors.vdisk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.datapath.vdisk.Provisioning;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Merging undrained OpLog ranges with written extent slices into GET LBA STATUS ranges. */
class ProvisioningScanTest {

  private static final int E = 64 * 1024; // extent
  private static final int S = 4096;      // slice: 16 per extent
  private static final long SIZE = 16L * E;

  private final Map<Long, BitSet> written = new HashMap<>();

  /** vBlock {@code vblock} at location {@code vblock + 100} with slices {@code slices} written. */
  private void extent(long vblock, int... slices) {
    BitSet b = new BitSet();
    for (int s : slices) b.set(s);
    written.put(vblock + 100, b);
  }

  private Provisioning scan(long offset, long[] oplog, boolean complete, long[] vblocks, int max) {
    long[] locs = new long[vblocks.length];
    for (int i = 0; i < vblocks.length; i++) locs[i] = vblocks[i] + 100;
    return ProvisioningScan.scan(offset, SIZE, oplog, complete, vblocks, locs, E, S,
        loc -> written.getOrDefault(loc, new BitSet()), max);
  }

  private static Provisioning p(long start, long[] ends, boolean... mapped) {
    return new Provisioning(start, ends, mapped);
  }

  @Test
  void shouldDescribeAnEmptyVDiskAsOneDeallocatedRange() {
    assertEquals(p(0, new long[] {SIZE}, false), scan(0, new long[0], true, new long[0], 8));
  }

  @Test
  void shouldMergeTouchingAndOverlappingRangesOfBothSources() {
    extent(1, 0, 1, 2, 7);       // [E, E+3S) and [E+7S, E+8S)
    extent(3);                   // mapped but nothing written: deallocated
    long[] oplog = {E + 3 * S, E + 4 * S, E + 7 * S + 100, E + 9 * S, 5L * E, 5L * E + 512};
    assertEquals(p(0, new long[] {E, E + 4 * S, E + 7 * S, E + 9 * S, 5L * E, 5L * E + 512, SIZE},
            false, true, false, true, false, true, false),
        scan(0, oplog, true, new long[] {1, 3}, 16));
  }

  @Test
  void shouldStartInsideARangeAndStopAtTheRangesAskedFor() {
    extent(0, 0, 1, 2, 3);
    extent(2, 5);
    assertEquals(p(S + 512, new long[] {4 * S}, true), scan(S + 512, new long[0], true, new long[] {0, 2}, 1));
    assertEquals(p(S + 512, new long[] {4 * S, 2L * E + 5 * S}, true, false),
        scan(S + 512, new long[0], true, new long[] {0, 2}, 2));
  }

  @Test
  void shouldDescribeNothingPastTheLastOpLogRangeWhenThatListWasCutShort() {
    extent(9, 0);
    long[] oplog = {S, 2 * S, 4 * S, 5 * S};
    assertEquals(p(0, new long[] {S, 2 * S, 4 * S, 5 * S}, false, true, false, true),
        scan(0, oplog, false, new long[] {9}, 16));
  }
}
