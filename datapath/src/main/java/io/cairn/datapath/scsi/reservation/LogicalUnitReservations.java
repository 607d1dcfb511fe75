package io.cairn.datapath.scsi.reservation;

import io.cairn.datapath.scsi.ItNexus;
import io.cairn.datapath.scsi.ScsiResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reservations of one logical unit as its device server uses them: the persistent reservation
 * state (loaded from and saved to a {@link ReservationStore}) and the SPC-2 reservation (RESERVE /
 * RELEASE (6)/(10), held in memory only: SPC-2 reservations end with a reset, an I_T nexus loss or
 * a power cycle, and a process restart is one).
 *
 * <p>Durability ordering: a PERSISTENT RESERVE OUT computes its new state from the current one,
 * saves it, and only once the store says it is durable makes it current and answers. Conflict
 * checks read the current state, so a reservation is enforced exactly from the moment its PERSISTENT
 * RESERVE OUT could have been answered; until the first {@link #load} completes, {@link #check}
 * answers {@link Check#NOT_LOADED} and the device server waits for it, so after a restart no command
 * runs as if an existing reservation were absent.
 *
 * <p>Threading: checks and PERSISTENT RESERVE IN read a volatile snapshot from any thread, lock-free.
 * Changes (PERSISTENT RESERVE OUT, RESERVE, RELEASE) are serialized in a chain of futures, one at
 * a time in arrival order, each running on whatever thread completed the one before; none blocks.
 * A save whose outcome is unknown (store unreachable) drops the snapshot, so the next command
 * reloads what was really stored before anything is decided on it.
 */
public final class LogicalUnitReservations {

  private static final Logger LOG = LoggerFactory.getLogger(LogicalUnitReservations.class);

  /** Saves refused for a stale version are retried this often (with the stored state) before failing. */
  private static final int MAX_STALE_RETRIES = 3;

  /** What a command meets. */
  public enum Check {
    ALLOWED,
    /** Terminate with RESERVATION CONFLICT. */
    CONFLICT,
    /** The persistent reservation state is not loaded: wait for {@link #load()}, then check again. */
    NOT_LOADED
  }

  private final long vdiskId;
  private final ReservationStore store;
  /** The durable state and its version; null until loaded, or after a save of unknown outcome. */
  private volatile ReservationStore.Versioned current;
  /** The I_T nexus holding an SPC-2 reservation, or null. Written only inside the change chain or by resets. */
  private volatile ItNexus spc2Holder;
  /** Guarded by this. */
  private CompletableFuture<Void> loading;
  /** Completes when the last queued change is done; guarded by this. */
  private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

  public LogicalUnitReservations(long vdiskId, ReservationStore store) {
    this.vdiskId = vdiskId;
    this.store = store;
  }

  /**
   * Loads the persistent reservation state unless it is loaded or loading. The returned future
   * completes when it is loaded, or exceptionally when the store failed (a later call tries again).
   */
  public synchronized CompletableFuture<Void> load() {
    if (current != null) return CompletableFuture.completedFuture(null);
    if (loading != null && !loading.isCompletedExceptionally()) return loading;
    CompletableFuture<Void> attempt = new CompletableFuture<>();
    loading = attempt;
    store.load(vdiskId).whenComplete((v, e) -> {
      if (e != null) {
        LOG.warn("vDisk {}: persistent reservations not loaded: {}", vdiskId, String.valueOf(unwrap(e)));
        attempt.completeExceptionally(unwrap(e));
        return;
      }
      synchronized (this) {
        if (current == null) current = v;
      }
      attempt.complete(null);
    });
    return attempt;
  }

  /** Whether the persistent reservation state is loaded. */
  public boolean loaded() {
    return current != null;
  }

  /** The current (durable) persistent reservation state, or null when not loaded. */
  public PersistentReservations state() {
    ReservationStore.Versioned v = current;
    return v == null ? null : v.state();
  }

  /** The I_T nexus holding an SPC-2 reservation, or null. */
  public ItNexus spc2Holder() {
    return spc2Holder;
  }

  /**
   * Whether the command {@code cdb} from {@code n} may run under the reservations now in force
   * (SPC-4 5.12.1, SBC-3 4.17, SPC-2 5.5.1). RESERVE and RELEASE are always ALLOWED here: their
   * handlers decide.
   */
  public Check check(ItNexus n, byte[] cdb) {
    ReservationAccess.Kind kind = ReservationAccess.of(cdb);
    if (kind == ReservationAccess.Kind.SPC2) return Check.ALLOWED;
    ItNexus holder = spc2Holder;
    if (holder != null) {
      if (kind == ReservationAccess.Kind.PERSISTENT) return Check.CONFLICT;
      return holder.equals(n) || ReservationAccess.passesSpc2Reservation(cdb) ? Check.ALLOWED : Check.CONFLICT;
    }
    // These never conflict with a persistent reservation, so they need no state (PERSISTENT RESERVE
    // OUT waits for it itself).
    if (kind == ReservationAccess.Kind.ALWAYS || kind == ReservationAccess.Kind.PERSISTENT) return Check.ALLOWED;
    ReservationStore.Versioned v = current;
    if (v == null) return Check.NOT_LOADED;
    return ReservationAccess.conflicts(v.state(), n, kind) ? Check.CONFLICT : Check.ALLOWED;
  }

  /**
   * PERSISTENT RESERVE IN parameter data for {@code serviceAction} (READ KEYS, READ RESERVATION,
   * REPORT CAPABILITIES, READ FULL STATUS) from the current state, or null when not loaded.
   */
  public byte[] persistentReserveIn(int serviceAction) {
    PersistentReservations s = state();
    if (s == null) return null;
    return switch (serviceAction) {
      case PersistentReserveIn.READ_KEYS -> PersistentReserveIn.readKeys(s);
      case PersistentReserveIn.READ_RESERVATION -> PersistentReserveIn.readReservation(s);
      case PersistentReserveIn.REPORT_CAPABILITIES -> PersistentReserveIn.reportCapabilities(s);
      case PersistentReserveIn.READ_FULL_STATUS -> PersistentReserveIn.readFullStatus(s);
      default -> throw new IllegalArgumentException("PERSISTENT RESERVE IN service action " + serviceAction);
    };
  }

  /**
   * Runs one PERSISTENT RESERVE OUT after every change queued before it. The future completes once
   * the new state (if any) is durable and current; exceptionally with {@link ReservationStoreException}
   * when the store failed (the state is then reloaded before the next command is decided).
   *
   * @param list the parameter list, exactly PARAMETER LIST LENGTH bytes (the caller owns it; not kept)
   */
  public CompletableFuture<ProutResult> persistentReserveOut(ItNexus n, int serviceAction, int scope, int type, byte[] list) {
    return serially(() -> load().thenCompose(v -> {
      // SPC-2 5.5.1: an SPC-2 reservation makes every PERSISTENT RESERVE OUT conflict.
      if (spc2Holder != null) return CompletableFuture.completedFuture(ProutResult.CONFLICT);
      return decideAndSave(n, serviceAction, scope, type, list, 0);
    }));
  }

  private CompletableFuture<ProutResult> decideAndSave(ItNexus n, int serviceAction, int scope, int type, byte[] list, int attempt) {
    ReservationStore.Versioned before = current;
    if (before == null) {
      return load().thenCompose(v -> decideAndSave(n, serviceAction, scope, type, list, attempt));
    }
    PersistentReserveOut.Decision d = PersistentReserveOut.decide(before.state(), n, serviceAction, scope, type, list);
    if (d.next() == null || d.next().equals(before.state())) return CompletableFuture.completedFuture(d.result());
    return store.save(vdiskId, before.version(), d.next()).handle((version, err) -> {
      if (err == null) {
        current = new ReservationStore.Versioned(version, d.next());
        return CompletableFuture.completedFuture(d.result());
      }
      Throwable cause = unwrap(err);
      if (cause instanceof ReservationStoreException rse && rse.current() != null && attempt < MAX_STALE_RETRIES) {
        // Another writer changed the state first: decide again on what it stored.
        current = rse.current();
        return decideAndSave(n, serviceAction, scope, type, list, attempt + 1);
      }
      forget();
      LOG.warn("vDisk {}: persistent reservation change not saved: {}", vdiskId, String.valueOf(cause));
      return CompletableFuture.<ProutResult>failedFuture(cause instanceof ReservationStoreException
          ? cause : new ReservationStoreException("save failed", cause));
    }).thenCompose(f -> f);
  }

  /** Drops the snapshot after a save of unknown outcome: the next use reloads what is stored. */
  private synchronized void forget() {
    current = null;
    loading = null;
  }

  /**
   * RESERVE(6)/(10) (SPC-2 7.21, with the SPC-4 5.12.3 exceptions that REPORT CAPABILITIES' CRH = 1
   * announces). With a registration on the logical unit: GOOD without effect from the persistent
   * reservation holder (or a registrant of a registrants-only or all-registrants reservation),
   * RESERVATION CONFLICT from anyone else. Otherwise as SPC-2: the holder may reserve again, another
   * I_T nexus conflicts.
   *
   * @return GOOD or RESERVATION CONFLICT ({@link ScsiResponse} status)
   */
  public CompletableFuture<Integer> reserve(ItNexus n) {
    return serially(() -> load().thenApply(v -> {
      Integer exception = persistentException(n);
      if (exception != null) return exception;
      ItNexus holder = spc2Holder;
      if (holder != null && !holder.equals(n)) return ScsiResponse.RESERVATION_CONFLICT;
      spc2Holder = n;
      return ScsiResponse.GOOD;
    }));
  }

  /**
   * RELEASE(6)/(10): with a registration on the logical unit, as {@link #reserve} (GOOD without
   * effect, or RESERVATION CONFLICT); otherwise the holder's SPC-2 reservation ends, and from any
   * other I_T nexus it is GOOD and nothing happens.
   */
  public CompletableFuture<Integer> release(ItNexus n) {
    return serially(() -> load().thenApply(v -> {
      Integer exception = persistentException(n);
      if (exception != null) return exception;
      if (n.equals(spc2Holder)) spc2Holder = null;
      return ScsiResponse.GOOD;
    }));
  }

  /** SPC-4 5.12.3 for RESERVE/RELEASE: the status when registrations exist, null when none do. */
  private Integer persistentException(ItNexus n) {
    PersistentReservations s = current.state();
    if (s.registrations().isEmpty()) return null;
    boolean exempt = s.isHolder(n)
        || (s.reservation() != null && s.reservation().type().registrantsHaveAccess() && s.registrationOf(n) != null);
    return exempt ? ScsiResponse.GOOD : ScsiResponse.RESERVATION_CONFLICT;
  }

  /** The I_T nexus is gone (logout, connection loss, session reinstatement): its SPC-2 reservation ends. */
  public void nexusLost(ItNexus n) {
    if (n.equals(spc2Holder)) spc2Holder = null;
  }

  /** A logical unit reset or a hard reset: any SPC-2 reservation ends; persistent ones stay (SAM-5 6.3). */
  public void reset() {
    spc2Holder = null;
  }

  private synchronized <T> CompletableFuture<T> serially(Supplier<CompletableFuture<T>> step) {
    CompletableFuture<T> result = tail.handle((v, e) -> null).thenCompose(x -> {
      try {
        return step.get();
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    });
    tail = result;
    return result;
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
    return t;
  }
}
