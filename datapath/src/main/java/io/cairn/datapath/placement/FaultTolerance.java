package io.cairn.datapath.placement;

import io.cairn.config.ByteSizes;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Fault tolerance per domain level (node, block, rack) and component (data, OpLog, metadata): how
 * many domains of that level may fail at once, from now, with every acknowledged byte still
 * readable and the cluster able to restore its protection (AOS: {@code ncli cluster
 * get-domain-fault-tolerance-status}). Pure: the inputs are the live members, the replica spread
 * of the Curator's last scan and of the open OpLog episodes, and the membership size.
 *
 * <p>Each component's number is the least of its <em>limits</em>; the reason is the first limit
 * that gives it (most specific first):
 *
 * <ul>
 *   <li><b>Spread</b> (data, OpLog): an item whose live copies occupy {@code d} distinct domains
 *       survives any {@code d - 1} failures of them: the least {@code d} of any item, minus one. An
 *       under-replicated item (a copy on a node that is not a live member) counts only its live
 *       copies. A node that held copies at the scan and is no longer live lowers the number by one
 *       per lost domain, until the next scan says exactly.
 *   <li><b>Placement</b> (data, OpLog): a level placement does not keep copies apart at (fewer
 *       than 2·RF-1 domains, so placement fell back to a lower level) tolerates 0: new and rebuilt
 *       copies may share a domain of it. At the levels it keeps apart, {@code k} failures are
 *       tolerated only when RF distinct domains remain to restore RF: {@code min(RF - 1, domains -
 *       RF)}.
 *   <li><b>Capacity</b> (data): {@code k} failures are tolerated only when the space left after
 *       losing the {@code k} largest domains can hold every replica again (resilient capacity).
 *   <li><b>Membership</b> (metadata): the split-brain resolver keeps the side with a majority of the
 *       members, so the largest {@code k} domains may fail while the rest still hold more than half
 *       of them. The journal database (global metadata) is external to the nodes and not counted.
 * </ul>
 *
 * A level with nothing to judge by (no scan yet) reports {@link #UNKNOWN}.
 */
public final class FaultTolerance {
  private FaultTolerance() {}

  /** Failures tolerated when nothing has been observed yet. */
  public static final int UNKNOWN = -1;

  public enum Component { DATA, OPLOG, METADATA }

  /** One bound on the failures tolerated, and why. */
  public record Limit(int failures, String reason) {}

  /**
   * @param failures domain failures tolerated from now ({@link #UNKNOWN}: not known)
   * @param reason why: the first limit that gives {@code failures}
   * @param limits every limit considered, in order
   */
  public record Tolerance(int failures, String reason, List<Limit> limits) {
    public Tolerance {
      limits = List.copyOf(limits);
    }

    static Tolerance of(List<Limit> limits) {
      Limit least = limits.get(0);
      for (Limit l : limits) if (l.failures() < least.failures()) least = l;
      return new Tolerance(least.failures(), least.reason(), limits);
    }
  }

  /**
   * What the Curator's last scan saw.
   *
   * @param data spread of the extent groups' replicas
   * @param oplog spread of the open OpLog episodes' copies (episodes of vDisks with undrained data)
   * @param name the scan as reasons name it ({@code "scan 4"})
   * @param incomplete null when the Curator counts the scan complete (every share reported, no live
   *     member unmapped), else why it does not ({@code "1 of 2 shares reported"}): its spread is
   *     partial and gives no tolerance
   */
  public record Scan(ReplicaSpread data, ReplicaSpread oplog, String name, String incomplete) {
    public Scan(ReplicaSpread data, ReplicaSpread oplog, String name) {
      this(data, oplog, name, null);
    }
  }

  /**
   * @param live members that are up and reachable, with their domains and capacity
   * @param members cluster members the split-brain resolver counts (up or leaving, reachable or not)
   * @param scan the last scan, or null when none has completed
   * @param maxContainerRf the largest RF of any container, empty ones included (what new data and
   *     episodes may get); 0 when there is no container
   */
  public record Input(List<Candidate> live, int members, Scan scan, int maxContainerRf) {
    public Input {
      live = List.copyOf(live);
    }
  }

  /** Tolerance per level and component. */
  public record Report(Map<Awareness, Map<Component, Tolerance>> levels) {
    public Tolerance of(Awareness level, Component component) {
      return levels.get(level).get(component);
    }
  }

  public static Report compute(Input in) {
    Map<Awareness, Map<Component, Tolerance>> out = new EnumMap<>(Awareness.class);
    for (Awareness level : Awareness.values()) {
      Map<Component, Tolerance> m = new EnumMap<>(Component.class);
      m.put(Component.DATA, copies(in, level, true));
      m.put(Component.OPLOG, copies(in, level, false));
      m.put(Component.METADATA, membership(in, level));
      out.put(level, m);
    }
    return new Report(out);
  }

  // ---- data and OpLog -------------------------------------------------------------------------

  private static Tolerance copies(Input in, Awareness level, boolean data) {
    if (in.live().isEmpty()) return Tolerance.of(List.of(new Limit(0, "no live member")));
    if (in.scan() == null) {
      return Tolerance.of(List.of(new Limit(UNKNOWN,
          "no Curator scan has completed yet (one runs every scan interval, on a node failure, or on POST /api/rebuild/scan)")));
    }
    if (in.scan().incomplete() != null) {
      return Tolerance.of(List.of(new Limit(UNKNOWN, in.scan().name() + " is incomplete (" + in.scan().incomplete()
          + "): its spread is partial, so no tolerance is given until a scan every map reports for")));
    }
    ReplicaSpread spread = data ? in.scan().data() : in.scan().oplog();
    String items = data ? "extent group" : "open OpLog episode";
    List<Limit> limits = new ArrayList<>();
    Set<Integer> rfs = new TreeSet<>();
    int leastSpread = Integer.MAX_VALUE;
    for (ReplicaSpread.Bucket b : spread.buckets()) {
      Limit l = spreadLimit(b, level, data);
      limits.add(l);
      leastSpread = Math.min(leastSpread, l.failures());
      rfs.add(b.copies());
    }
    int maxRf = Math.max(1, in.maxContainerRf());
    if (spread.buckets().isEmpty()) {
      if (maxRf == 1) return Tolerance.of(List.of(new Limit(0, "every container is RF1: one copy of everything")));
      limits.add(new Limit(maxRf - 1, "no " + items + " at " + in.scan().name() + "; new ones get up to RF" + maxRf));
    } else {
      Limit stale = staleLimit(spread, in.live(), level, leastSpread, in.scan().name());
      if (stale != null) limits.add(stale);
    }
    // The largest container RF counts even when its containers are empty: new data gets it.
    if (maxRf > 1) rfs.add(maxRf);
    // A level placement does not keep copies apart at is explained by that first, then by its items.
    int at = 0;
    for (int rf : rfs) {
      if (rf == 1) continue; // RF1 items are explained by their spread limit ("RF1 data: one copy")
      Limit l = placementLimit(in.live(), level, rf);
      if (fellBack(in.live(), level, rf)) limits.add(at++, l);
      else limits.add(l);
    }
    if (data) {
      for (int rf : rfs) if (rf > 1) limits.add(capacityLimit(in.live(), level, rf));
    }
    return Tolerance.of(limits);
  }

  private static Limit spreadLimit(ReplicaSpread.Bucket b, Awareness level, boolean data) {
    ReplicaSpread.Least least = b.least(level);
    String name = level.label();
    String copies = data ? "replicas" : "OpLog copies";
    int failures = Math.max(0, least.distinct() - 1);
    String reason;
    if (b.copies() == 1 && least.live() > 0) {
      // Counted: an RF1 container does not survive the failure of the node holding its data.
      return new Limit(0, (data ? "RF1 data: one copy" : "RF1 OpLog: one copy") + " (" + plural(b.items(),
          data ? "extent group" : "open OpLog episode") + " of RF1 containers; losing its " + name + " loses it)");
    }
    if (least.live() == 0) {
      reason = least.item() + " has none of its " + b.copies() + " " + copies + " on a live node";
    } else if (least.live() < b.copies()) {
      reason = least.item() + " has " + least.live() + " of its " + b.copies() + " " + copies + " on live nodes"
          + (level == Awareness.NODE ? "" : ", in " + plural(least.distinct(), name) + " (" + join(least.domains()) + ")")
          + (least.items() > 1 ? "; " + (least.items() - 1) + " other(s) as few" : "");
    } else if (least.distinct() < b.copies()) {
      reason = least.item() + " has " + (b.copies() == 2 ? "both " : "its " + b.copies() + " ") + copies + " in "
          + (least.distinct() == 1 ? name + " " + least.domains().get(0)
              : plural(least.distinct(), name) + " (" + join(least.domains()) + ")")
          + (least.items() > 1 ? "; " + (least.items() - 1) + " other(s) as close" : "");
    } else {
      reason = "every " + (data ? "extent group" : "open OpLog episode") + " (" + b.items() + ") of RF" + b.copies()
          + " has its " + copies + " on " + b.copies() + " distinct " + name + "s";
    }
    return new Limit(failures, reason);
  }

  /**
   * Nodes that held copies at the scan as live members and are not live now: an item may have had
   * its only copy in each of their domains, so until the next scan the least spread may be that
   * many domains lower.
   */
  private static Limit staleLimit(ReplicaSpread spread, List<Candidate> live, Awareness level, int leastSpread,
      String scan) {
    Set<String> liveIds = live.stream().map(Candidate::nodeId).collect(Collectors.toSet());
    List<String> gone = new ArrayList<>();
    Set<String> goneDomains = new TreeSet<>();
    for (ReplicaSpread.Holder h : spread.holders()) {
      if (!h.live() || liveIds.contains(h.nodeId())) continue;
      gone.add(h.nodeId() + " (" + h.copies() + " copies)");
      goneDomains.add(switch (level) {
        case NODE -> h.nodeId();
        case BLOCK -> h.block();
        case RACK -> h.rack();
      });
    }
    if (gone.isEmpty()) return null;
    return new Limit(Math.max(0, leastSpread - goneDomains.size()), String.join(", ", gone) + " held copies at " + scan
        + " and " + (gone.size() == 1 ? "is" : "are") + " not live now: until the next scan, an item may have lost "
        + (goneDomains.size() == 1 ? "a " + level.label() : plural(goneDomains.size(), level.label())) + " ("
        + join(new ArrayList<>(goneDomains)) + ")");
  }

  /** Whether placement keeps RF copies apart only at a level below {@code level}. */
  private static boolean fellBack(List<Candidate> live, Awareness level, int rf) {
    return rf > 1 && Placement.awareness(live, rf).awareness().ordinal() > level.ordinal();
  }

  private static Limit placementLimit(List<Candidate> live, Awareness level, int rf) {
    String name = level.label();
    int domains = Placement.distinct(live, level);
    Placement.Level used = Placement.awareness(live, rf);
    int need = Placement.minDomains(rf);
    if (fellBack(live, level, rf)) {
      return new Limit(0, "only " + plural(domains, name) + ": RF" + rf + " " + name + " awareness needs " + need
          + ", placement fell back to " + used.awareness().label() + " awareness");
    }
    int failures = Math.max(0, Math.min(rf - 1, domains - rf));
    if (failures < rf - 1) {
      return new Limit(failures, "only " + plural(domains, name) + ": after " + plural(failures + 1, name + " failure")
          + " fewer than " + rf + " remain to restore RF" + rf + " (tolerating " + (rf - 1) + " needs " + need + ")");
    }
    return new Limit(failures, plural(domains, name) + ": RF" + rf + " is restored after " + plural(failures, name + " failure"));
  }

  private static Limit capacityLimit(List<Candidate> live, Awareness level, int rf) {
    long used = live.stream().mapToLong(Candidate::usedBytes).sum();
    int ok = 0;
    ResilientCapacity.Level first = null;
    for (int k = 1; k < rf; k++) {
      ResilientCapacity.Level l = ResilientCapacity.level(live, level, k, rf, 1.0);
      if (used > l.resilientBytes()) {
        first = l;
        break;
      }
      ok = k;
    }
    if (first == null) {
      return new Limit(rf - 1, "the space left after losing any " + plural(rf - 1, level.label())
          + " holds every replica (" + ByteSizes.format(used) + " used)");
    }
    return new Limit(ok, "a rebuild after " + plural(first.failures(), level.label() + " failure") + " needs "
        + ByteSizes.format(used) + " but " + first.reason() + " (" + ByteSizes.format(first.resilientBytes())
        + " usable)");
  }

  // ---- metadata -------------------------------------------------------------------------------

  private static Tolerance membership(Input in, Awareness level) {
    int n = Math.max(in.members(), in.live().size());
    int r = in.live().size();
    String journal = "; the journal database is external to the nodes (not counted)";
    if (r == 0) return Tolerance.of(List.of(new Limit(0, "no live member" + journal)));
    Map<String, Integer> perDomain = new HashMap<>();
    for (Candidate c : in.live()) perDomain.merge(Placement.domain(c, level), 1, Integer::sum);
    List<Map.Entry<String, Integer>> largest = new ArrayList<>(perDomain.entrySet());
    largest.sort(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
    int k = 0;
    int left = r;
    while (k < largest.size() && 2 * (left - largest.get(k).getValue()) > n) {
      left -= largest.get(k).getValue();
      k++;
    }
    String base = "keep-majority membership over " + n + " member(s)" + (n > r ? " (" + (n - r) + " not reachable)" : "");
    String reason;
    if (level == Awareness.NODE) {
      reason = base + " tolerates " + k + " (" + (n / 2 + 1) + " must stay)";
    } else if (k == 0) {
      reason = base + ": losing " + level.label() + " " + largest.get(0).getKey() + " (" + plural(largest.get(0).getValue(), "node")
          + ") leaves no majority";
    } else {
      reason = base + " in " + plural(largest.size(), level.label()) + ": losing the largest " + plural(k, level.label()) + " ("
          + plural(r - left, "node") + ") keeps a majority, losing " + (k + 1) + " does not";
    }
    return Tolerance.of(List.of(new Limit(k, reason + journal)));
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static String plural(long n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }

  private static String join(List<String> domains) {
    return String.join(", ", domains);
  }

}
