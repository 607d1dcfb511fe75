package io.cairn.datapath.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cairn.config.CacheSettings;
import java.util.concurrent.atomic.LongAdder;

/**
 * The per-node unified read cache: checksum-verified slice bytes keyed by (extent group, slice
 * index), so data shared by several vDisks (clones) is cached once. Bounded by
 * {@code cache.capacity} bytes through a weigher (an entry weighs its value's length; key and entry
 * overhead are not counted). Capacity 0 disables it: every call is then a no-op or a miss.
 *
 * <p>Thread-safe. Coherence is the extent store's job: it puts only slices it has just verified,
 * while holding the slice's read lock, and invalidates every slice a write or delete touches before
 * that operation completes (a put can therefore never re-insert bytes older than a completed
 * write). Values are shared: a caller copies out of the array it gets and never modifies it.
 */
public final class UnifiedCache {

  /** Cache key: slice {@code slice} of extent group {@code egroupId}. */
  public record SliceKey(long egroupId, int slice) {}

  /**
   * Counters.
   *
   * @param hits lookups that found the slice
   * @param misses lookups that did not
   * @param evictions entries evicted for capacity
   * @param sizeBytes bytes of slice data held now
   * @param entries slices held now
   * @param capacityBytes configured capacity
   */
  public record Stats(long hits, long misses, long evictions, long sizeBytes, long entries, long capacityBytes) {}

  private final long capacityBytes;
  private final Cache<SliceKey, byte[]> cache; // null when disabled
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  private UnifiedCache(long capacityBytes) {
    this.capacityBytes = capacityBytes;
    this.cache = capacityBytes <= 0 ? null
        : Caffeine.newBuilder()
            .maximumWeight(capacityBytes)
            .weigher((SliceKey k, byte[] v) -> v.length)
            .executor(Runnable::run) // maintenance on the calling thread: no common-pool work
            .recordStats()
            .build();
  }

  public static UnifiedCache create(CacheSettings settings) {
    return new UnifiedCache(settings.capacityBytes());
  }

  /** A cache that holds nothing. */
  public static UnifiedCache disabled() {
    return new UnifiedCache(0);
  }

  public boolean enabled() {
    return cache != null;
  }

  /**
   * The verified bytes of the slice, or null; counts a hit or a miss. The array is shared: read it,
   * never modify it.
   */
  public byte[] get(long egroupId, int slice) {
    if (cache == null) return null;
    byte[] b = cache.getIfPresent(new SliceKey(egroupId, slice));
    (b == null ? misses : hits).increment();
    return b;
  }

  /**
   * Like {@link #get} but counts nothing: for a caller that looks ahead and then reports what it
   * used with {@link #recordHits}/{@link #recordMisses}.
   */
  public byte[] peek(long egroupId, int slice) {
    return cache == null ? null : cache.getIfPresent(new SliceKey(egroupId, slice));
  }

  public void recordHits(int n) {
    if (cache != null) hits.add(n);
  }

  public void recordMisses(int n) {
    if (cache != null) misses.add(n);
  }

  /** Caches the verified bytes of one slice; {@code bytes} must not be modified afterwards. */
  public void put(long egroupId, int slice, byte[] bytes) {
    if (cache != null) cache.put(new SliceKey(egroupId, slice), bytes);
  }

  /** Drops slices {@code [firstSlice, endSlice)} of the extent group. */
  public void invalidate(long egroupId, int firstSlice, int endSlice) {
    if (cache == null) return;
    for (int s = firstSlice; s < endSlice; s++) cache.invalidate(new SliceKey(egroupId, s));
  }

  public Stats stats() {
    if (cache == null) return new Stats(0, 0, 0, 0, 0, 0);
    var st = cache.stats();
    long weight = cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    return new Stats(hits.sum(), misses.sum(), st.evictionCount(), weight, cache.estimatedSize(), capacityBytes);
  }

  /** Runs pending maintenance (evictions); for tests and the status API. */
  public void cleanUp() {
    if (cache != null) cache.cleanUp();
  }
}
