package io.cairn.datapath.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How the copies of many items (extent groups, OpLog episodes) are spread over availability
 * domains, in a few numbers rather than the item list: per copy count (the items' RF) and per
 * domain level, the least number of distinct domains the live copies of any item occupy, and the
 * first item (lowest key) that has that least number; plus, per node, how many copies it held.
 * A map over one share of the items {@linkplain Builder builds} one; shares {@linkplain #merge
 * merge} into the cluster's. Immutable; its size grows with the number of nodes, never with the
 * number of items.
 *
 * @param buckets one per copy count, ascending
 * @param holders every node that held a copy, by node id
 */
public record ReplicaSpread(List<Bucket> buckets, List<Holder> holders) {

  public static final ReplicaSpread EMPTY = new ReplicaSpread(List.of(), List.of());

  public ReplicaSpread {
    buckets = List.copyOf(buckets);
    holders = List.copyOf(holders);
  }

  /**
   * The items that have {@code copies} copies.
   *
   * @param copies copies each item should have (its replication factor), live or not
   * @param items how many items
   * @param node the least distinct live nodes of an item
   * @param block the least distinct blocks of an item's live copies
   * @param rack the least distinct racks of an item's live copies
   */
  public record Bucket(int copies, long items, Least node, Least block, Least rack) {
    public Least least(Awareness level) {
      return switch (level) {
        case NODE -> node;
        case BLOCK -> block;
        case RACK -> rack;
      };
    }

    Bucket merge(Bucket o) {
      return new Bucket(copies, items + o.items, node.merge(o.node), block.merge(o.block), rack.merge(o.rack));
    }
  }

  /**
   * The least spread at one level, and the first item that has it.
   *
   * @param distinct the least number of distinct domains holding an item's live copies
   * @param items how many items have exactly that many
   * @param key the first such item's key (lowest; an egroup id, ...)
   * @param item that item as operators name it ({@code "egroup 123"})
   * @param live that item's copies on live nodes
   * @param domains the domains of that item's live copies, distinct and sorted
   */
  public record Least(int distinct, long items, long key, String item, int live, List<String> domains) {
    public Least {
      domains = List.copyOf(domains);
    }

    Least merge(Least o) {
      if (o.distinct != distinct) return o.distinct < distinct ? o : this;
      Least first = o.key < key ? o : this;
      return new Least(distinct, items + o.items, first.key, first.item, first.live, first.domains);
    }
  }

  /**
   * A node that held copies when the spread was taken.
   *
   * @param live whether it was a live member then (its copies were counted)
   * @param copies copies it held
   */
  public record Holder(String nodeId, String block, String rack, boolean live, long copies) {
    Holder merge(Holder o) {
      return new Holder(nodeId, block, rack, live || o.live, copies + o.copies);
    }
  }

  /** Items in all buckets. */
  public long items() {
    return buckets.stream().mapToLong(Bucket::items).sum();
  }

  /** This spread and another share's, as one. */
  public ReplicaSpread merge(ReplicaSpread other) {
    Map<Integer, Bucket> b = new TreeMap<>();
    for (Bucket x : buckets) b.put(x.copies(), x);
    for (Bucket x : other.buckets) b.merge(x.copies(), x, Bucket::merge);
    Map<String, Holder> h = new TreeMap<>();
    for (Holder x : holders) h.put(x.nodeId(), x);
    for (Holder x : other.holders) h.merge(x.nodeId(), x, Holder::merge);
    return new ReplicaSpread(new ArrayList<>(b.values()), new ArrayList<>(h.values()));
  }

  /**
   * Collects items one by one; not thread-safe.
   *
   * <p>{@code live} are the members that are up now (their copies count); {@code known} gives
   * the domains of the other nodes holding copies, when their entries are still known (else
   * {@code "?"}).
   */
  public static final class Builder {
    private final Map<String, Candidate> live;
    private final Map<String, Candidate> known;
    private final Map<Integer, Bucket> buckets = new TreeMap<>();
    private final Map<String, Holder> holders = new TreeMap<>();

    public Builder(Map<String, Candidate> live, Map<String, Candidate> known) {
      this.live = live;
      this.known = known;
    }

    /**
     * One item.
     *
     * @param key its key (lowest key wins ties, so the result does not depend on the order of calls)
     * @param item its name for operators
     * @param copies copies it should have (its replication factor)
     * @param nodes the nodes holding its copies, live or not
     */
    public Builder add(long key, String item, int copies, List<String> nodes) {
      List<Candidate> up = new ArrayList<>();
      for (String n : nodes) {
        Candidate c = live.get(n);
        if (c != null) up.add(c);
        Candidate d = c != null ? c : known.get(n);
        holders.merge(n, new Holder(n, d == null ? "?" : d.block(), d == null ? "?" : d.rack(), c != null, 1),
            Holder::merge);
      }
      Bucket one = new Bucket(copies, 1, least(key, item, up, Awareness.NODE), least(key, item, up, Awareness.BLOCK),
          least(key, item, up, Awareness.RACK));
      buckets.merge(copies, one, Bucket::merge);
      return this;
    }

    private static Least least(long key, String item, List<Candidate> up, Awareness level) {
      TreeSet<String> domains = new TreeSet<>();
      for (Candidate c : up) domains.add(Placement.domain(c, level));
      return new Least(domains.size(), 1, key, item, up.size(), new ArrayList<>(domains));
    }

    public ReplicaSpread build() {
      List<Holder> h = new ArrayList<>(holders.values());
      h.sort(Comparator.comparing(Holder::nodeId));
      return new ReplicaSpread(new ArrayList<>(buckets.values()), h);
    }
  }
}
