package io.cairn.datapath.scsi.reservation;

/**
 * A {@link ReservationStore} operation failed: either the stored version was not the expected one
 * ({@link #current()} is the stored state, nothing was written), or the store could not be reached
 * ({@link #current()} is null and the outcome of a save is unknown).
 */
public final class ReservationStoreException extends RuntimeException {

  private final ReservationStore.Versioned current;

  public ReservationStoreException(String message, ReservationStore.Versioned current) {
    super(message, null, false, false);
    this.current = current;
  }

  public ReservationStoreException(String message, Throwable cause) {
    super(message, cause, false, false);
    this.current = null;
  }

  /** The stored state when the save was refused for a stale version, else null. */
  public ReservationStore.Versioned current() {
    return current;
  }
}
