package io.cairn.datapath.placement;

import io.cairn.config.ByteSizes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Resilient capacity: the part of the storage pool that can be filled while every replica can
 * still be rebuilt after the configured failures. Pure functions of the live members; all byte
 * counts are raw (every replica counted, as disks report them).
 *
 * <p>For a domain level and {@code F} failures (F = RF - 1 for the largest RF of any container),
 * each loss of {@code F} domains of that level leaves some capacity (heterogeneous domains: blocks
 * of 40, 20, 20 and 20 TiB at F = 1 leave 60 TiB after losing the 40). What is left must also be
 * able to hold RF copies of each piece on distinct nodes, and on distinct domains of the level
 * placement would then use: a domain cannot hold more than one copy of each piece, so a survivor
 * larger than the others together adds only what they can mirror. That level depends on which
 * domains failed, so the largest loss is not always the worst: blocks A={a1}, B={b1},
 * C={c1..c4} of 100 TiB nodes at RF2 lose the most bytes with any node, but losing a1 leaves 2
 * blocks (node awareness: 500 TiB usable) while losing c1 keeps 3 blocks (block awareness: C
 * mirrors only what A and B hold, 400 TiB). The resilient capacity is the least, over every
 * combination of {@code F} domains, of the two bounds ({@link #MAX_COMBINATIONS} at most; beyond,
 * an approximation: the {@code F} largest lost, the survivors judged at the level placement uses
 * before the failures, the coarsest they can need).
 */
public final class ResilientCapacity {
  private ResilientCapacity() {}

  /**
   * Resilient capacity at one domain level.
   *
   * @param level the domain level whose worst case is planned for
   * @param failures domains of that level assumed lost
   * @param worst the domains lost in the worst case, largest first
   * @param totalBytes capacity of the live members
   * @param worstBytes capacity of the {@code worst} domains
   * @param resilientBytes capacity usable with every replica rebuildable after those failures
   * @param usedBytes bytes held on the live members
   * @param threshold the share of {@code resilientBytes} above which usage is a warning
   * @param planned whether placement keeps replicas apart at this level (so its failures are
   *     planned for); a coarser level is not protected at all, and never over the threshold
   * @param overThreshold {@code planned && usedBytes > threshold * resilientBytes}
   * @param reason how {@code resilientBytes} follows
   */
  public record Level(Awareness level, int failures, List<String> worst, long totalBytes, long worstBytes,
      long resilientBytes, long usedBytes, double threshold, boolean planned, boolean overThreshold, String reason) {
    public Level {
      worst = List.copyOf(worst);
    }

    Level unplanned(Awareness awareness) {
      return new Level(level, failures, worst, totalBytes, worstBytes, resilientBytes, usedBytes, threshold, false, false,
          "not planned for: placement keeps replicas apart by " + awareness.label() + " only; "
              + reason);
    }

    /** Used over resilient capacity; NaN when there is no resilient capacity. */
    public double ratio() {
      return resilientBytes > 0 ? (double) usedBytes / resilientBytes : Double.NaN;
    }
  }

  /**
   * Resilient capacity at every level.
   *
   * @param replicationFactor the largest RF of any container (the configured failures are RF - 1)
   * @param awareness the level placement keeps replicas apart at now: {@link #headline()}'s
   */
  public record Summary(int replicationFactor, Awareness awareness, Map<Awareness, Level> levels) {
    public Summary {
      levels = java.util.Collections.unmodifiableMap(new EnumMap<>(levels));
    }

    /** The level the cluster protects against (its awareness level): the one usage is judged by. */
    public Level headline() {
      return levels.get(awareness);
    }
  }

  /**
   * @param live the members that are up (capacity and used bytes of their disks)
   * @param replicationFactor the largest RF of any container (below 1: taken as 1)
   * @param threshold share of the resilient capacity that may be used without a warning
   */
  public static Summary compute(Collection<Candidate> live, int replicationFactor, double threshold) {
    int rf = Math.max(1, replicationFactor);
    Awareness awareness = rf == 1 ? Awareness.NODE : Placement.awareness(live, rf).awareness();
    Map<Awareness, Level> levels = new EnumMap<>(Awareness.class);
    for (Awareness a : Awareness.values()) {
      Level l = level(live, a, rf - 1, rf, threshold);
      levels.put(a, rf > 1 && a.ordinal() < awareness.ordinal() ? l.unplanned(awareness) : l);
    }
    return new Summary(rf, awareness, levels);
  }

  /** Combinations of lost domains evaluated one by one at most; beyond, a conservative bound. */
  static final int MAX_COMBINATIONS = 20_000;

  /** One loss of domains and what it leaves. */
  private record Loss(List<String> lost, long lostBytes, long resilient, String reason) {}

  /** Resilient capacity at one level after {@code failures} domain failures, with copies of RF {@code rf}. */
  public static Level level(Collection<Candidate> live, Awareness level, int failures, int rf, double threshold) {
    long total = 0;
    long used = 0;
    Map<String, Long> byDomain = new TreeMap<>();
    for (Candidate c : live) {
      long cap = Math.max(0, c.capacityBytes());
      total += cap;
      used += c.usedBytes();
      byDomain.merge(Placement.domain(c, level), cap, Long::sum);
    }
    List<Map.Entry<String, Long>> largest = new ArrayList<>(byDomain.entrySet());
    largest.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    int f = Math.min(failures, largest.size());
    Loss worst = null;
    if (combinations(largest.size(), f) <= MAX_COMBINATIONS) {
      // Every loss of f domains, largest first so that ties name the largest.
      int[] idx = new int[f];
      for (int i = 0; i < f; i++) idx[i] = i;
      while (true) {
        List<String> lost = new ArrayList<>(f);
        long lostBytes = 0;
        for (int i : idx) {
          lost.add(largest.get(i).getKey());
          lostBytes += largest.get(i).getValue();
        }
        Loss l = loss(live, level, rf, total, lost, lostBytes, null);
        if (worst == null || l.resilient() < worst.resilient()) worst = l;
        if (!next(idx, largest.size())) break;
      }
    } else {
      List<String> lost = new ArrayList<>(f);
      long lostBytes = 0;
      for (int i = 0; i < f; i++) {
        lost.add(largest.get(i).getKey());
        lostBytes += largest.get(i).getValue();
      }
      worst = loss(live, level, rf, total, lost, lostBytes, Placement.awareness(live, Math.max(2, rf)).awareness());
    }
    boolean over = used > threshold * worst.resilient();
    return new Level(level, failures, worst.lost(), total, worst.lostBytes(), worst.resilient(), used, threshold, true, over,
        worst.reason());
  }

  /**
   * What losing {@code lost} leaves: the capacity left, bounded by what RF copies on distinct nodes
   * and on distinct domains of the level placement then uses ({@code at}: that level, or null to
   * take placement's choice over the survivors) can hold.
   */
  private static Loss loss(Collection<Candidate> live, Awareness level, int rf, long total, List<String> lost,
      long lostBytes, Awareness at) {
    Set<String> gone = new HashSet<>(lost);
    List<Candidate> survivors = new ArrayList<>();
    for (Candidate c : live) if (!gone.contains(Placement.domain(c, level))) survivors.add(c);
    String name = level.label();
    String after = lost.isEmpty() ? "with no failure planned for (RF" + rf + ")"
        : "losing " + name + (lost.size() == 1 ? " " : "s ") + String.join(", ", lost) + " (" + ByteSizes.format(lostBytes)
            + ")";
    if (survivors.size() < rf) {
      return new Loss(lost, lostBytes, 0, after + " leaves " + survivors.size() + " node(s): RF" + rf
          + " copies cannot be rebuilt");
    }
    long left = total - lostBytes;
    Awareness then = at != null ? at : rf == 1 ? Awareness.NODE : Placement.awareness(survivors, rf).awareness();
    long distinct = Math.min(usableRaw(capacities(survivors, Awareness.NODE), rf), usableRaw(capacities(survivors, then), rf));
    String reason = after + " leaves " + ByteSizes.format(left);
    if (distinct < left) {
      reason += ", of which RF" + rf + " copies on distinct " + then.label() + "s can use " + ByteSizes.format(distinct);
    }
    return new Loss(lost, lostBytes, Math.min(left, distinct), reason);
  }

  private static long combinations(int n, int k) {
    long c = 1;
    for (int i = 0; i < k; i++) {
      c = c * (n - i) / (i + 1);
      if (c > MAX_COMBINATIONS) return c;
    }
    return c;
  }

  /** The next k-combination of 0..n-1 in lexicographic order; false after the last. */
  private static boolean next(int[] idx, int n) {
    int k = idx.length;
    int i = k - 1;
    while (i >= 0 && idx[i] == n - k + i) i--;
    if (i < 0) return false;
    idx[i]++;
    for (int j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
    return true;
  }

  /** Capacity usable at one level after {@code failures} failures of it (the rebuild check of fault tolerance). */
  public static long resilientBytes(Collection<Candidate> live, Awareness level, int failures, int rf) {
    return level(live, level, failures, rf, 1.0).resilientBytes();
  }

  private static List<Long> capacities(List<Candidate> nodes, Awareness level) {
    Map<String, Long> byDomain = new TreeMap<>();
    for (Candidate c : nodes) byDomain.merge(Placement.domain(c, level), Math.max(0, c.capacityBytes()), Long::sum);
    return new ArrayList<>(byDomain.values());
  }

  /**
   * The most raw bytes that domains of these capacities can hold when each piece has {@code rf}
   * copies on distinct domains: {@code rf * D} for the largest D with {@code rf * D <= sum(min(c,
   * D))}. A domain larger than D holds D (one copy of everything); the rest is shared.
   */
  static long usableRaw(List<Long> capacities, int rf) {
    if (capacities.size() < rf) return 0;
    List<Long> c = new ArrayList<>(capacities);
    c.sort(Comparator.reverseOrder());
    long rest = 0;
    for (long x : c) rest += x;
    for (int k = 0; k < rf; k++) {
      long d = rest / (rf - k); // the k largest hold d each, the rest share (rf - k) copies
      if (c.get(k) <= d) return Math.multiplyExact((long) rf, d);
      rest -= c.get(k);
    }
    return 0; // not reached: with k = rf - 1, d = rest >= c.get(k)
  }
}
