package io.cairn.datapath.extentstore.replicated;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Orders repairs with writes of the same extent group, without blocking threads: writes and
 * deallocations enter <em>shared</em> (any number at once), a repair enters <em>exclusive</em>
 * (alone). A repair copies bytes from a good replica to a bad one; were a write to land between
 * its read of the good copy and its write of the bad one, the repair would put the old bytes back
 * over the new ones on the bad replica. Holding the gate exclusively from before that read until
 * after that write rules this out.
 *
 * <p>Egroups are hashed onto {@link #STRIPES} stripes, so a repair also holds back writes of the
 * few other egroups of its stripe for its duration (repairs are rare). A waiting repair holds back
 * new writes of its stripe so that a steady write stream cannot starve it.
 *
 * <p>Thread-safe. The futures returned complete on the thread that let them in (a leaving writer
 * or repair), so what runs after entering must not block.
 */
final class RepairGate {
  /** Stripes of the gate (a power of two). */
  static final int STRIPES = 64;

  private static final CompletableFuture<Void> ENTERED = CompletableFuture.completedFuture(null);

  private static final class Stripe {
    int shared;
    boolean exclusive;
    final ArrayDeque<CompletableFuture<Void>> waitingShared = new ArrayDeque<>();
    final ArrayDeque<CompletableFuture<Void>> waitingExclusive = new ArrayDeque<>();
  }

  private final Stripe[] stripes = new Stripe[STRIPES];

  RepairGate() {
    for (int i = 0; i < STRIPES; i++) stripes[i] = new Stripe();
  }

  private Stripe stripe(long egroupId) {
    long h = egroupId * 0x9E3779B97F4A7C15L;
    return stripes[(int) (h >>> 58) & (STRIPES - 1)];
  }

  /** Enters shared; the future completes once entered (at once unless a repair holds or awaits the stripe). */
  CompletableFuture<Void> enterShared(long egroupId) {
    Stripe s = stripe(egroupId);
    synchronized (s) {
      if (!s.exclusive && s.waitingExclusive.isEmpty()) {
        s.shared++;
        return ENTERED;
      }
      CompletableFuture<Void> f = new CompletableFuture<>();
      s.waitingShared.addLast(f);
      return f;
    }
  }

  /** Leaves a shared entry. */
  void leaveShared(long egroupId) {
    Stripe s = stripe(egroupId);
    CompletableFuture<Void> grant = null;
    synchronized (s) {
      if (s.shared <= 0) throw new IllegalStateException("leaveShared without enterShared");
      s.shared--;
      if (s.shared == 0 && !s.waitingExclusive.isEmpty()) {
        s.exclusive = true;
        grant = s.waitingExclusive.pollFirst();
      }
    }
    if (grant != null) grant.complete(null);
  }

  /** Enters exclusive; the future completes once every shared holder of the stripe has left. */
  CompletableFuture<Void> enterExclusive(long egroupId) {
    Stripe s = stripe(egroupId);
    synchronized (s) {
      if (!s.exclusive && s.shared == 0) {
        s.exclusive = true;
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> f = new CompletableFuture<>();
      s.waitingExclusive.addLast(f);
      return f;
    }
  }

  /** Leaves an exclusive entry: lets in the next waiting repair, else every waiting writer. */
  void leaveExclusive(long egroupId) {
    Stripe s = stripe(egroupId);
    CompletableFuture<Void> next = null;
    List<CompletableFuture<Void>> writers = null;
    synchronized (s) {
      if (!s.exclusive) throw new IllegalStateException("leaveExclusive without enterExclusive");
      if (!s.waitingExclusive.isEmpty()) {
        next = s.waitingExclusive.pollFirst();
      } else {
        s.exclusive = false;
        writers = new ArrayList<>(s.waitingShared);
        s.shared += writers.size();
        s.waitingShared.clear();
      }
    }
    if (next != null) next.complete(null);
    if (writers != null) {
      for (CompletableFuture<Void> w : writers) w.complete(null);
    }
  }
}
