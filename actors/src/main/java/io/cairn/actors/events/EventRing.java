package io.cairn.actors.events;

import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} events one node received, numbered in arrival order: the replay a new
 * subscriber asks for. Not thread-safe: owned by the node's event buffer actor.
 */
final class EventRing {

  private final SequencedEvent[] ring;
  /** Sequence number of the next event (the first is 1). */
  private long next = 1;

  EventRing(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    this.ring = new SequencedEvent[capacity];
  }

  /** Numbers and keeps {@code event}, dropping the oldest when full. */
  SequencedEvent append(ClusterEvent event) {
    SequencedEvent s = new SequencedEvent(next, event);
    ring[(int) ((next - 1) % ring.length)] = s;
    next++;
    return s;
  }

  /** The last at most {@code n} events whose kind starts with {@code kindPrefix} (null: any), oldest first. */
  List<SequencedEvent> last(int n, String kindPrefix) {
    List<SequencedEvent> newestFirst = new ArrayList<>();
    for (long seq = next - 1; seq >= Math.max(1, next - ring.length) && newestFirst.size() < n; seq--) {
      SequencedEvent s = ring[(int) ((seq - 1) % ring.length)];
      if (s.event().matches(kindPrefix)) newestFirst.add(s);
    }
    List<SequencedEvent> out = new ArrayList<>(newestFirst.size());
    for (int i = newestFirst.size() - 1; i >= 0; i--) out.add(newestFirst.get(i));
    return out;
  }

  /** Events held now (at most the capacity). */
  int size() {
    return (int) Math.min(next - 1, ring.length);
  }

  int capacity() {
    return ring.length;
  }

  /** Sequence number of the newest event (0: none yet). */
  long lastSeq() {
    return next - 1;
  }
}
