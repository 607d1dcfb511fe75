package io.cairn.datapath.scsi.reservation;

import java.util.concurrent.CompletableFuture;

/**
 * Where the persistent reservations of a logical unit live durably: the narrow interface through
 * which the SCSI layer reaches the cluster's metadata (implemented in {@code actors/} by a sharded
 * persistent entity per vDisk; the data path never imports Pekko).
 *
 * <p>The state of a vDisk is versioned: {@link #load} returns it with its version (0 and
 * {@link PersistentReservations#EMPTY} for a vDisk never saved), and {@link #save} replaces it only
 * if the stored version is still the one the caller read, so two writers (two nodes serving the
 * same vDisk) cannot overwrite each other's change unseen. Both methods may be called from any
 * thread and never block; futures complete on an arbitrary thread.
 */
public interface ReservationStore {

  /** A stored state and its version; version 0 is the never-saved {@link PersistentReservations#EMPTY}. */
  record Versioned(long version, PersistentReservations state) {}

  /** The stored state of vDisk {@code vdiskId}. Fails with {@link ReservationStoreException} when unreachable. */
  CompletableFuture<Versioned> load(long vdiskId);

  /**
   * Replaces the state of vDisk {@code vdiskId} if its version is {@code expectedVersion}. Completes
   * with the new version only when the state is durable (it survives a crash of every node). Fails
   * with {@link ReservationStoreException}: {@link ReservationStoreException#current()} non-null
   * when the version did not match (nothing was written), null when the outcome is unknown (the
   * store was unreachable or timed out: the state may or may not have been written).
   */
  CompletableFuture<Long> save(long vdiskId, long expectedVersion, PersistentReservations state);

  /** A store in this process's memory: reservations survive nothing. For tests and tools. */
  static ReservationStore inMemory() {
    return new InMemoryReservationStore();
  }
}
