package io.cairn.datapath.scsi.reservation;

import io.cairn.datapath.scsi.ItNexus;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The persistent reservation state of one logical unit (SPC-4 5.12): the PR generation, the last
 * APTPL value received, the registrations in the order they were made, and the reservation if any.
 * Immutable: every PERSISTENT RESERVE OUT that changes something yields a new value, which is what
 * the {@link ReservationStore} persists (replaced whole, never patched).
 *
 * <p>Invariants: no two registrations match the same I_T nexus; a reservation exists only while
 * some registration exists, and a single-holder reservation's holder is the nexus of one of them.
 *
 * @param generation PRGENERATION, a 32-bit counter that wraps (SPC-4 6.16.2)
 * @param aptpl the last APTPL bit received with a registration (reported as PTPL_A)
 * @param registrations registered keys, oldest first
 * @param reservation the persistent reservation, or {@code null}
 */
public record PersistentReservations(int generation, boolean aptpl, List<Registration> registrations, Reservation reservation) {

  /** A logical unit nobody has registered with. */
  public static final PersistentReservations EMPTY = new PersistentReservations(0, false, List.of(), null);

  public PersistentReservations {
    registrations = List.copyOf(registrations);
    if (reservation != null) {
      if (registrations.isEmpty()) throw new IllegalArgumentException("a reservation without registrations");
      if (reservation.holder() != null && registrations.stream().noneMatch(r -> r.nexus().equals(reservation.holder()))) {
        throw new IllegalArgumentException("the reservation holder " + reservation.holder() + " is not registered");
      }
    }
  }

  /** The registration commands on {@code n} act through, or null when {@code n} is not registered. */
  public Registration registrationOf(ItNexus n) {
    for (Registration r : registrations) {
      if (r.matches(n)) return r;
    }
    return null;
  }

  /** Whether {@code n} holds the reservation (for the all-registrants types: is registered). */
  public boolean isHolder(ItNexus n) {
    if (reservation == null) return false;
    Registration r = registrationOf(n);
    return r != null && (reservation.type().allRegistrants() || r.nexus().equals(reservation.holder()));
  }

  /** The holder's registration, or null (no reservation, or an all-registrants one). */
  public Registration holderRegistration() {
    if (reservation == null || reservation.holder() == null) return null;
    for (Registration r : registrations) {
      if (r.nexus().equals(reservation.holder())) return r;
    }
    return null;
  }

  /**
   * The RESERVATION KEY reported by READ RESERVATION: the holder's key, or 0 for the
   * all-registrants types (SPC-4 6.16.3).
   */
  public long reservationKey() {
    Registration h = holderRegistration();
    return h == null ? 0 : h.key();
  }

  PersistentReservations nextGeneration() {
    return new PersistentReservations(generation + 1, aptpl, registrations, reservation);
  }

  PersistentReservations withAptpl(boolean value) {
    return new PersistentReservations(generation, value, registrations, reservation);
  }

  PersistentReservations withReservation(Reservation r) {
    return new PersistentReservations(generation, aptpl, registrations, r);
  }

  PersistentReservations withRegistration(Registration added) {
    List<Registration> next = new ArrayList<>(registrations);
    next.add(added);
    return new PersistentReservations(generation, aptpl, next, reservation);
  }

  /** Replaces {@code old} by {@code replacement} in place (a key change keeps its position). */
  PersistentReservations replacing(Registration old, Registration replacement) {
    List<Registration> next = new ArrayList<>(registrations);
    next.set(next.indexOf(old), replacement);
    return new PersistentReservations(generation, aptpl, next, reservation);
  }

  /**
   * Removes the matching registrations. The reservation goes with its holder's registration, and an
   * all-registrants reservation with the last registration; the caller decides what else happens.
   */
  PersistentReservations removing(Predicate<Registration> which) {
    List<Registration> next = new ArrayList<>(registrations.size());
    for (Registration r : registrations) {
      if (!which.test(r)) next.add(r);
    }
    Reservation kept = reservation;
    if (kept != null) {
      ItNexus holder = kept.holder();
      boolean holderGone = holder != null && next.stream().noneMatch(r -> r.nexus().equals(holder));
      if (holderGone || next.isEmpty()) kept = null;
    }
    return new PersistentReservations(generation, aptpl, next, kept);
  }
}
