package io.cairn.datapath.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.CacheSettings;
import org.junit.jupiter.api.Test;

class UnifiedCacheTest {

  static byte[] slice(int fill) {
    byte[] b = new byte[4096];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }

  @Test
  void shouldStayWithinItsCapacityInBytes() {
    UnifiedCache c = UnifiedCache.create(new CacheSettings(16 << 10));
    for (int i = 0; i < 40; i++) c.put(1, i, slice(i));
    c.cleanUp();
    UnifiedCache.Stats s = c.stats();
    assertTrue(s.sizeBytes() <= 16 << 10, "size " + s.sizeBytes());
    assertTrue(s.entries() <= 4, "entries " + s.entries());
    assertTrue(s.evictions() >= 36, "evictions " + s.evictions());
    assertEquals(16 << 10, s.capacityBytes());
  }

  @Test
  void shouldCountHitsAndMisses() {
    UnifiedCache c = UnifiedCache.create(new CacheSettings(1 << 20));
    assertNull(c.get(1, 0));
    c.put(1, 0, slice(7));
    assertArrayEquals(slice(7), c.get(1, 0));
    assertArrayEquals(slice(7), c.get(1, 0));
    assertNull(c.peek(1, 1)); // peeks are not counted
    c.recordHits(3);
    c.recordMisses(2);
    UnifiedCache.Stats s = c.stats();
    assertEquals(5, s.hits());
    assertEquals(3, s.misses());
    assertEquals(1, s.entries());
    assertEquals(4096, s.sizeBytes());
  }

  @Test
  void shouldKeyBySliceOfExtentGroupSoSharedDataIsCachedOnce() {
    UnifiedCache c = UnifiedCache.create(new CacheSettings(1 << 20));
    byte[] b = slice(3);
    c.put(42, 5, b);
    c.put(42, 5, b); // a second vDisk (a clone) reading the same egroup slice
    assertEquals(1, c.stats().entries());
    assertSame(b, c.get(42, 5));
    assertNull(c.get(42, 6));
    assertNull(c.get(43, 5));
  }

  @Test
  void shouldInvalidateExactlyTheGivenSlices() {
    UnifiedCache c = UnifiedCache.create(new CacheSettings(1 << 20));
    for (int i = 0; i < 8; i++) c.put(1, i, slice(i));
    c.put(2, 3, slice(9));
    c.invalidate(1, 2, 5);
    for (int i = 0; i < 8; i++) assertEquals(i < 2 || i >= 5, c.peek(1, i) != null, "slice " + i);
    assertArrayEquals(slice(9), c.peek(2, 3));
  }

  @Test
  void shouldHoldNothingWhenCapacityIsZero() {
    UnifiedCache c = UnifiedCache.create(new CacheSettings(0));
    assertFalse(c.enabled());
    c.put(1, 0, slice(1));
    assertNull(c.get(1, 0));
    c.recordHits(5);
    assertEquals(new UnifiedCache.Stats(0, 0, 0, 0, 0, 0), c.stats());
    assertFalse(UnifiedCache.disabled().enabled());
  }
}
