package io.cairn.datapath.vdisk;

import java.util.Arrays;

/**
 * The provisioning status of consecutive byte ranges of a vDisk, from {@code start} on: range
 * {@code i} is {@code [i == 0 ? start : ends[i - 1], ends[i])} and is mapped (holds data: undrained
 * OpLog bytes or written extent-store slices) when {@code mapped[i]}, deallocated (reads as zeros,
 * takes no space) otherwise. Ranges are non-empty and ascending; adjacent ranges have different
 * status. The last range may end before the vDisk does (the answer was limited). Immutable by
 * convention: the arrays are not copied.
 *
 * @param start first byte described
 * @param ends exclusive end of each range, ascending
 * @param mapped status of each range
 */
public record Provisioning(long start, long[] ends, boolean[] mapped) {

  public Provisioning {
    if (ends.length != mapped.length) throw new IllegalArgumentException("ends and mapped differ in length");
  }

  /** Number of ranges. */
  public int count() {
    return ends.length;
  }

  /** First byte of range {@code i}. */
  public long startOf(int i) {
    return i == 0 ? start : ends[i - 1];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Provisioning p && p.start == start && Arrays.equals(p.ends, ends) && Arrays.equals(p.mapped, mapped);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(start) * 31 + Arrays.hashCode(ends) * 17 + Arrays.hashCode(mapped);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("Provisioning[");
    for (int i = 0; i < ends.length; i++) {
      if (i > 0) b.append(", ");
      b.append(startOf(i)).append('-').append(ends[i]).append(mapped[i] ? " mapped" : " deallocated");
    }
    return b.append(']').toString();
  }
}
