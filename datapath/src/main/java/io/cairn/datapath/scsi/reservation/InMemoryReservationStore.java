package io.cairn.datapath.scsi.reservation;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** {@link ReservationStore#inMemory()}: a map, completed synchronously; versions as the interface says. */
final class InMemoryReservationStore implements ReservationStore {

  private final ConcurrentHashMap<Long, Versioned> byVdisk = new ConcurrentHashMap<>();

  @Override
  public CompletableFuture<Versioned> load(long vdiskId) {
    return CompletableFuture.completedFuture(byVdisk.getOrDefault(vdiskId, new Versioned(0, PersistentReservations.EMPTY)));
  }

  @Override
  public CompletableFuture<Long> save(long vdiskId, long expectedVersion, PersistentReservations state) {
    Versioned[] refused = new Versioned[1];
    Versioned now = byVdisk.compute(vdiskId, (id, old) -> {
      Versioned stored = old == null ? new Versioned(0, PersistentReservations.EMPTY) : old;
      if (stored.version() != expectedVersion) {
        refused[0] = stored;
        return old;
      }
      return new Versioned(stored.version() + 1, state);
    });
    if (refused[0] != null) {
      return CompletableFuture.failedFuture(new ReservationStoreException(
          "vDisk " + vdiskId + ": stored version " + refused[0].version() + ", expected " + expectedVersion, refused[0]));
    }
    return CompletableFuture.completedFuture(now.version());
  }
}
