package io.cairn.datapath.replication;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection for one endpoint, off by default (tests, and the node's network-fault API).
 * Thread-safe: set from any thread, read by the endpoint's poll thread on every frame.
 *
 * <ul>
 *   <li>Drop to: frames this endpoint would send to the listed peers vanish (the send counts as
 *       done, as a datagram lost in the network would).
 *   <li>Drop from: frames arriving from the listed peers are discarded before any processing.
 *   <li>Isolate: both, for every peer (the node's replication network is cut).
 *   <li>Corrupt: each of the next N frames this endpoint sends has one byte flipped after its CRC
 *       was computed (a payload byte when the frame has a payload, else a header field byte), so
 *       the receiver's CRC check fails. The stored request is not changed: a retry is intact.
 * </ul>
 */
public final class Faults {
  private volatile Set<String> dropTo = Set.of();
  private volatile Set<String> dropFrom = Set.of();
  private volatile boolean isolated;
  private final AtomicInteger corruptNext = new AtomicInteger();

  /** Drops all traffic to and from {@code peers} (a network partition from them). */
  public void dropAll(Set<String> peers) {
    Set<String> s = Set.copyOf(peers);
    dropTo = s;
    dropFrom = s;
  }

  /** Drops all traffic to and from every peer (or stops doing so). */
  public void isolate(boolean on) {
    isolated = on;
  }

  public boolean isolated() {
    return isolated;
  }

  /** The peers frames to which are dropped (besides {@link #isolated()}). */
  public Set<String> droppedTo() {
    return dropTo;
  }

  /** The peers frames from which are dropped (besides {@link #isolated()}). */
  public Set<String> droppedFrom() {
    return dropFrom;
  }

  public void dropTo(Set<String> peers) {
    dropTo = Set.copyOf(peers);
  }

  public void dropFrom(Set<String> peers) {
    dropFrom = Set.copyOf(peers);
  }

  /** Corrupts the next {@code frames} outgoing frames (in addition to any still pending). */
  public void corruptNextFrames(int frames) {
    if (frames < 0) throw new IllegalArgumentException("frames < 0");
    corruptNext.addAndGet(frames);
  }

  /** Turns every fault off. */
  public void clear() {
    dropTo = Set.of();
    dropFrom = Set.of();
    isolated = false;
    corruptNext.set(0);
  }

  boolean dropsTo(String peer) {
    if (isolated) return true;
    Set<String> s = dropTo;
    return !s.isEmpty() && s.contains(peer);
  }

  boolean dropsFrom(String peer) {
    if (isolated) return true;
    Set<String> s = dropFrom;
    return !s.isEmpty() && s.contains(peer);
  }

  /** Takes one corruption if any is pending. */
  boolean takeCorruption() {
    while (true) {
      int n = corruptNext.get();
      if (n == 0) return false;
      if (corruptNext.compareAndSet(n, n - 1)) return true;
    }
  }
}
