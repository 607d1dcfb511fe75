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
