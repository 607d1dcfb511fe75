package io.cairn.datapath.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replica placement: pure functions from a cluster view to the nodes that hold the RF copies of
 * one piece of data (an extent group, an OpLog episode). No state, no clock, no I/O; the same
 * input always gives the same output, on every node.
 *
 * <h2>Awareness level</h2>
 *
 * Replicas are kept in distinct availability domains of one level, chosen from the eligible
 * candidates as in the AOS table: {@link Awareness#RACK} when there are at least
 * {@link #minDomains(int) minDomains(rf)} racks, else {@link Awareness#BLOCK} when there are that
 * many blocks, else {@link Awareness#NODE}. {@code minDomains(rf) = 2 * rf - 1} (3 for RF2, 5 for
 * RF3): with fewer domains, losing one domain could leave too few domains to restore RF, so the
 * level gives no real protection and the next lower one is used.
 *
 * <h2>Choice within a level</h2>
 *
 * Nodes already holding a replica ({@code existing}) are kept and their domains taken; then the
 * preferred node, when it qualifies (eligible and with free space); then the rest in order of
 * cost, lower first, where {@code cost = fullness + 0.5 * load / maxLoad} counted in steps of
 * {@value #COST_STEP} (so nodes of about equal fullness and load are equal), skipping nodes whose
 * domain is taken. Equal-cost nodes are ordered by rendezvous hashing of (key, node id): each key
 * sees its own pseudo-random order, so many keys spread evenly over equal nodes, and adding or
 * removing a node moves only the keys that chose it. When existing replicas already share domains
 * (placed under a lower level earlier) and the level cannot be met, the next lower level is used
 * and the reason says so.
 *
 * <p>Full nodes are not filtered out (a full node still ranks last); callers that must not place
 * on a full node exclude it.
 */
public final class Placement {
  private Placement() {}

  /** Cost granularity: candidates whose cost differs by less than this are equal (ties go to the hash). */
  public static final double COST_STEP = 0.05;
  /** Weight of the relative load in the cost; fullness has weight 1. */
  public static final double LOAD_WEIGHT = 0.5;

  /** The awareness level for a set of candidates and why it was chosen. */
  public record Level(Awareness awareness, String reason) {}

  /**
   * A placement.
   *
   * @param replicas the RF chosen nodes, distinct; existing replicas first, then the preferred
   *     node when it qualified, then the others in rank order
   * @param awareness the level at which {@code replicas} are in distinct domains
   * @param reason why this level (and, when asked for, why the preferred node was not used)
   */
  public record Result(List<Candidate> replicas, Awareness awareness, String reason) {
    public Result {
      replicas = List.copyOf(replicas);
    }

    /** The chosen node ids, in order. */
    public List<String> nodeIds() {
      List<String> ids = new ArrayList<>(replicas.size());
      for (Candidate c : replicas) ids.add(c.nodeId());
      return ids;
    }
  }

  /**
   * Domains needed at a level for it to be used with replication factor {@code rf}: 2·rf − 1
   * (RF2: 3, RF3: 5, as in the AOS block/rack awareness table).
   */
  public static int minDomains(int rf) {
    if (rf < 1) throw new IllegalArgumentException("replication factor must be >= 1: " + rf);
    return 2 * rf - 1;
  }

  /** The awareness level the given candidates support for {@code rf} (what GET /api/status shows). */
  public static Level awareness(Collection<Candidate> candidates, int rf) {
    int need = minDomains(rf);
    int racks = distinct(candidates, Awareness.RACK);
    int blocks = distinct(candidates, Awareness.BLOCK);
    String rfName = "RF" + rf;
    if (racks >= need) {
      return new Level(Awareness.RACK, racks + " racks >= " + need + " needed for " + rfName);
    }
    if (blocks >= need) {
      return new Level(Awareness.BLOCK,
          racks + " rack(s) < " + need + " needed for " + rfName + ", " + blocks + " blocks >= " + need);
    }
    return new Level(Awareness.NODE,
        racks + " rack(s) and " + blocks + " block(s) < " + need + " needed for " + rfName);
  }

  /** {@link #place(Collection, int, long, String, Set, List)} with no existing replicas. */
  public static Result place(
      Collection<Candidate> candidates, int rf, long key, String preferred, Set<String> excluded) {
    return place(candidates, rf, key, preferred, excluded, List.of());
  }

  /**
   * Chooses {@code rf} distinct nodes for {@code key}.
   *
   * @param candidates the nodes that may hold a replica (members that are up; ids unique)
   * @param rf replication factor, &gt;= 1
   * @param key what is placed (egroup id, vDisk id mixed with the episode, ...): the tie-break seed
   * @param preferred the node to put first when it qualifies (the local node), or null
   * @param excluded node ids that must not be chosen (failed peers, ...); may be empty
   * @param existing node ids already holding a replica, kept as they are (a subset of the candidates,
   *     not excluded); the result has {@code rf - existing.size()} new nodes
   * @throws PlacementException when fewer than {@code rf} eligible nodes exist
   */
  public static Result place(
      Collection<Candidate> candidates,
      int rf,
      long key,
      String preferred,
      Set<String> excluded,
      List<String> existing) {
    minDomains(rf); // validates rf
    Map<String, Candidate> byId = new HashMap<>();
    List<Candidate> eligible = new ArrayList<>();
    for (Candidate c : candidates) {
      if (byId.put(c.nodeId(), c) != null) {
        throw new IllegalArgumentException("duplicate candidate " + c.nodeId());
      }
      if (!excluded.contains(c.nodeId())) eligible.add(c);
    }
    List<Candidate> kept = new ArrayList<>();
    for (String id : new LinkedHashSet<>(existing)) {
      Candidate c = byId.get(id);
      if (c == null || excluded.contains(id)) {
        throw new IllegalArgumentException("existing replica " + id + " is not an eligible candidate");
      }
      kept.add(c);
    }
    if (kept.size() > rf) {
      throw new IllegalArgumentException(kept.size() + " existing replicas exceed RF" + rf);
    }
    if (eligible.size() < rf) {
      throw new PlacementException("RF" + rf + " needs " + rf + " distinct nodes but only " + eligible.size()
          + " of " + byId.size() + " candidate(s) are eligible" + (excluded.isEmpty() ? "" : " (excluded: " + excluded + ")"));
    }

    Candidate pref = preferred == null ? null : byId.get(preferred);
    String prefNote = "";
    if (preferred != null) {
      if (pref == null) {
        prefNote = "; preferred node " + preferred + " is not a candidate";
      } else if (excluded.contains(preferred)) {
        prefNote = "; preferred node " + preferred + " is excluded";
        pref = null;
      } else if (!pref.hasFreeSpace() && !kept.contains(pref)) {
        prefNote = "; preferred node " + preferred + " has no free space";
        pref = null;
      }
    }

    List<Candidate> ranked = rank(eligible, key);
    Level level = awareness(eligible, rf);
    String reason = level.reason();
    for (Awareness a = level.awareness(); ; a = Awareness.values()[a.ordinal() + 1]) {
      List<Candidate> chosen = choose(ranked, kept, pref, rf, a);
      if (chosen != null) {
        return new Result(chosen, a, a.name().toLowerCase() + " awareness: " + reason + prefNote);
      }
      // Only reachable when existing replicas share domains at this level; NODE always fits.
      reason += "; existing replicas " + existing + " share a " + a.name().toLowerCase() + ", so it cannot be used";
    }
  }

  /**
   * Greedy choice at level {@code a}: kept, then the preferred node, then ranked nodes whose domain
   * is free. Returns null when fewer than rf nodes in distinct domains can be found.
   */
  private static List<Candidate> choose(
      List<Candidate> ranked, List<Candidate> kept, Candidate pref, int rf, Awareness a) {
    List<Candidate> out = new ArrayList<>(rf);
    Set<String> used = new HashSet<>();
    for (Candidate c : kept) {
      if (!used.add(domain(c, a))) return null;
      out.add(c);
    }
    if (pref != null && out.size() < rf && !out.contains(pref) && used.add(domain(pref, a))) {
      out.add(pref);
    }
    for (Candidate c : ranked) {
      if (out.size() == rf) break;
      if (out.contains(c)) continue;
      if (used.add(domain(c, a))) out.add(c);
    }
    return out.size() == rf ? out : null;
  }

  /** Candidates by (cost step, rendezvous hash of key and node id, node id). */
  static List<Candidate> rank(List<Candidate> eligible, long key) {
    double maxLoad = 0;
    for (Candidate c : eligible) maxLoad = Math.max(maxLoad, c.load());
    Map<Candidate, Long> cost = new HashMap<>();
    Map<Candidate, Long> hash = new HashMap<>();
    for (Candidate c : eligible) {
      double relLoad = maxLoad > 0 ? c.load() / maxLoad : 0;
      cost.put(c, (long) Math.floor((c.fullness() + LOAD_WEIGHT * relLoad) / COST_STEP));
      hash.put(c, rendezvous(key, c.nodeId()));
    }
    List<Candidate> out = new ArrayList<>(eligible);
    out.sort(Comparator.<Candidate>comparingLong(cost::get)
        .thenComparingLong(hash::get)
        .thenComparing(Candidate::nodeId));
    return out;
  }

  /** Rendezvous (highest random weight) hash, inverted so that sorting ascending puts the winner first. */
  static long rendezvous(long key, String nodeId) {
    return ~mix64(key ^ mix64(nodeId.hashCode() * 0x9E3779B97F4A7C15L + nodeId.length()));
  }

  /** The SplitMix64 finalizer: a bijection on longs that spreads every input bit over the output. */
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The candidate's domain at level {@code a}: its rack, its block, or itself. */
  public static String domain(Candidate c, Awareness a) {
    return switch (a) {
      case RACK -> c.rack();
      case BLOCK -> c.block();
      case NODE -> c.nodeId();
    };
  }

  /** How many distinct domains of level {@code a} the candidates are in. */
  static int distinct(Collection<Candidate> candidates, Awareness a) {
    Set<String> s = new HashSet<>();
    for (Candidate c : candidates) s.add(domain(c, a));
    return s.size();
  }
}
