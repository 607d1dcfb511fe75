package io.cairn.datapath.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Resilient capacity: the part of the storage pool that can be filled while every replica can
 * still be rebuilt after the configured failures. Pure functions of the live members; all byte
 * counts are raw (every replica counted, as disks report them).
 *
 * <p>For a domain level and {@code F} failures (F = RF - 1 for the largest RF of any container):
 * the worst case is the loss of the {@code F} largest domains of that level (heterogeneous
 * domains: blocks of 40, 20, 20 and 20 TiB at F = 1 leave 60 TiB). What is left must also be
 * able to hold RF copies of each piece on distinct nodes, and on distinct domains of the level
 * placement would then use: a domain cannot hold more than one copy of each piece, so a survivor
 * larger than the others together adds only what they can mirror. The resilient capacity is the
 * smaller of the two.
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
          "not planned for: placement keeps replicas apart by " + awareness.name().toLowerCase(Locale.ROOT) + " only; "
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
    List<String> worst = new ArrayList<>();
    long worstBytes = 0;
    for (int i = 0; i < Math.min(failures, largest.size()); i++) {
      worst.add(largest.get(i).getKey());
      worstBytes += largest.get(i).getValue();
    }
    Set<String> lost = new HashSet<>(worst);
    List<Candidate> survivors = new ArrayList<>();
    for (Candidate c : live) if (!lost.contains(Placement.domain(c, level))) survivors.add(c);

    String name = level.name().toLowerCase(Locale.ROOT);
    String after = failures == 0 ? "with no failure planned for (RF" + rf + ")"
        : "losing the largest " + failures + " " + name + (failures == 1 ? "" : "s") + " (" + String.join(", ", worst)
            + ": " + size(worstBytes) + ")";
    long resilient;
    String reason;
    if (survivors.size() < rf) {
      resilient = 0;
      reason = after + " leaves " + survivors.size() + " node(s): RF" + rf + " copies cannot be rebuilt";
    } else {
      long left = total - worstBytes;
      Awareness then = rf == 1 ? Awareness.NODE : Placement.awareness(survivors, rf).awareness();
      long distinct = Math.min(usableRaw(capacities(survivors, Awareness.NODE), rf), usableRaw(capacities(survivors, then), rf));
      resilient = Math.min(left, distinct);
      reason = after + " leaves " + size(left);
      if (distinct < left) {
        reason += ", of which RF" + rf + " copies on distinct " + then.name().toLowerCase(Locale.ROOT) + "s can use "
            + size(distinct);
      }
    }
    boolean over = used > threshold * resilient;
    return new Level(level, failures, worst, total, worstBytes, resilient, used, threshold, true, over, reason);
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

  /** Bytes with the largest binary unit keeping three significant digits ({@code "40.0 TiB"}). */
  static String size(long bytes) {
    if (bytes < 1024) return bytes + " B";
    String units = "KMGTPE";
    int unit = Math.min(units.length(), (63 - Long.numberOfLeadingZeros(bytes)) / 10);
    double v = bytes / Math.pow(1024, unit);
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %siB" : v >= 10 ? "%.1f %siB" : "%.2f %siB", v, units.charAt(unit - 1));
  }
}
