package io.cairn.actors.vdisk;

import org.agrona.collections.Long2LongHashMap;

/**
 * A vDisk's block map: vBlock number → (extent group id, slot), sparse, so a 1 PiB vDisk costs
 * nothing until it is written. Each location is packed into one {@code long}:
 * {@code egroupId << SLOT_BITS | slot}.
 *
 * <p>Mutable and confined to the owning controller's actor thread; the persisted snapshot is an
 * array copy taken on that thread ({@link #toArrays}).
 */
public final class BlockMap {

  /** Bits of a packed location holding the slot (an egroup has at most 4 extents). */
  static final int SLOT_BITS = 2;
  private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  /** Returned by {@link #location} for an unmapped vBlock. */
  public static final long UNMAPPED = -1L;

  private final Long2LongHashMap map = new Long2LongHashMap(UNMAPPED);

  public static long pack(long egroupId, int slot) {
    return egroupId << SLOT_BITS | slot;
  }

  public static long egroupOf(long location) {
    return location >>> SLOT_BITS;
  }

  public static int slotOf(long location) {
    return (int) (location & SLOT_MASK);
  }

  /** The packed location of {@code vblock}, or {@link #UNMAPPED}. */
  public long location(long vblock) {
    return map.get(vblock);
  }

  public boolean isMapped(long vblock) {
    return map.get(vblock) != UNMAPPED;
  }

  public void put(long vblock, long egroupId, int slot) {
    map.put(vblock, pack(egroupId, slot));
  }

  /** Forgets {@code vblock}'s location (it was unmapped); no-op when it has none. */
  public void remove(long vblock) {
    map.remove(vblock);
  }

  /**
   * The mapped vBlocks in {@code [from, to)}, ascending. Walks the range when it is small next to
   * the map, else filters and sorts the map's keys, so a huge sparse range costs what the map holds.
   */
  public long[] mappedIn(long from, long to) {
    if (to <= from || map.isEmpty()) return new long[0];
    if (to - from <= 4L * map.size()) {
      long[] out = new long[(int) Math.min(to - from, map.size())];
      int n = 0;
      for (long v = from; v < to && n < out.length; v++) {
        if (map.containsKey(v)) out[n++] = v;
      }
      return java.util.Arrays.copyOf(out, n);
    }
    long[] out = new long[map.size()];
    int n = 0;
    Long2LongHashMap.KeyIterator it = map.keySet().iterator();
    while (it.hasNext()) {
      long v = it.nextValue();
      if (v >= from && v < to) out[n++] = v;
    }
    out = java.util.Arrays.copyOf(out, n);
    java.util.Arrays.sort(out);
    return out;
  }

  public int size() {
    return map.size();
  }

  /** Distinct extent groups referenced, ascending. */
  public long[] egroups() {
    return map.values().stream().mapToLong(BlockMap::egroupOf).distinct().sorted().toArray();
  }

  /** Copies the map as parallel arrays (vblocks ascending) for a snapshot. */
  public long[][] toArrays() {
    long[] vblocks = new long[map.size()];
    int i = 0;
    Long2LongHashMap.KeyIterator it = map.keySet().iterator();
    while (it.hasNext()) vblocks[i++] = it.nextValue();
    java.util.Arrays.sort(vblocks);
    long[] locations = new long[vblocks.length];
    for (int j = 0; j < vblocks.length; j++) locations[j] = map.get(vblocks[j]);
    return new long[][] {vblocks, locations};
  }

  public static BlockMap fromArrays(long[] vblocks, long[] locations) {
    BlockMap m = new BlockMap();
    for (int i = 0; i < vblocks.length; i++) m.map.put(vblocks[i], locations[i]);
    return m;
  }
}
