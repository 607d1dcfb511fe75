package io.cairn.datapath.scsi.copy;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The copy operations a logical unit's copy manager holds for RECEIVE COPY RESULTS, per I_T nexus
 * and list identifier (SPC-4: a list identifier names a copy only for the nexus that sent it).
 * Records are dropped when a new EXTENDED COPY reuses their list identifier, after RECEIVE COPY
 * FAILURE DETAILS returns them, on I_T nexus loss and logical unit reset, and, oldest finished first,
 * when a nexus holds more than {@link #MAX_HELD_PER_NEXUS}. Not persisted: a restart is a power on,
 * which discards held copy status (SPC-4 allows it).
 *
 * <p>Thread-safe (one monitor; every method is short).
 *
 * @param <N> the I_T nexus type
 */
public final class CopyResults<N> {

  /** Finished operations kept per nexus; running ones are never dropped. */
  static final int MAX_HELD_PER_NEXUS = 64;

  private final Map<N, LinkedHashMap<Long, CopyOperation>> byNexus = new LinkedHashMap<>();

  /**
   * Registers a starting copy under its list identifier.
   *
   * @return false, registering nothing, when a copy with that list identifier still runs on the nexus
   */
  synchronized boolean begin(N nexus, CopyOperation op) {
    LinkedHashMap<Long, CopyOperation> held = byNexus.computeIfAbsent(nexus, k -> new LinkedHashMap<>());
    CopyOperation old = held.get(op.listIdentifier());
    if (old != null && old.state() == CopyOperation.State.IN_PROGRESS) return false;
    held.remove(op.listIdentifier());
    held.put(op.listIdentifier(), op);
    int finished = 0;
    for (CopyOperation o : held.values()) if (o.state() != CopyOperation.State.IN_PROGRESS) finished++;
    for (Iterator<CopyOperation> it = held.values().iterator(); finished > MAX_HELD_PER_NEXUS && it.hasNext(); ) {
      if (it.next().state() != CopyOperation.State.IN_PROGRESS) {
        it.remove();
        finished--;
      }
    }
    return true;
  }

  /** The operation the nexus started with this list identifier, or null. */
  public synchronized CopyOperation find(N nexus, long listIdentifier) {
    LinkedHashMap<Long, CopyOperation> held = byNexus.get(nexus);
    return held == null ? null : held.get(listIdentifier);
  }

  /** Drops {@code op} if it is still the one held under its list identifier. */
  public synchronized void discard(N nexus, CopyOperation op) {
    LinkedHashMap<Long, CopyOperation> held = byNexus.get(nexus);
    if (held != null && held.remove(op.listIdentifier(), op) && held.isEmpty()) byNexus.remove(nexus);
  }

  /** I_T nexus loss: everything held for the nexus goes. */
  public synchronized void forget(N nexus) {
    byNexus.remove(nexus);
  }

  /** Logical unit reset: everything held goes. */
  public synchronized void clear() {
    byNexus.clear();
  }
}
