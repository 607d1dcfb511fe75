package io.cairn.actors.reservation;

import io.cairn.datapath.scsi.reservation.PersistentReservations;
import io.cairn.datapath.scsi.reservation.ReservationStore;
import io.cairn.datapath.scsi.reservation.ReservationStoreException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * {@link ReservationStore} over the sharded {@link LunReservations} entity of each vDisk: one ask
 * per call, bounded by {@code timeout}. A timeout or an unreachable entity fails the future with a
 * {@link ReservationStoreException} without a current state (the outcome of a save is then unknown);
 * a refused save carries the stored state. Called from portal threads; holds no state.
 */
public final class ShardedReservationStore implements ReservationStore {

  private final ClusterSharding sharding;
  private final Duration timeout;

  public ShardedReservationStore(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<Versioned> load(long vdiskId) {
    return sharding.entityRefFor(LunReservations.ENTITY_TYPE_KEY, Long.toString(vdiskId))
        .<LunReservations.Loaded>ask(LunReservations.Load::new, timeout)
        .toCompletableFuture()
        .handle((loaded, err) -> {
          if (err != null) throw new ReservationStoreException("reservations of vDisk " + vdiskId + " not loaded", err);
          return new Versioned(loaded.version(), loaded.state());
        });
  }

  @Override
  public CompletableFuture<Long> save(long vdiskId, long expectedVersion, PersistentReservations state) {
    return sharding.entityRefFor(LunReservations.ENTITY_TYPE_KEY, Long.toString(vdiskId))
        .<LunReservations.SaveReply>ask(r -> new LunReservations.Save(expectedVersion, state, r), timeout)
        .toCompletableFuture()
        .handle((reply, err) -> {
          if (err != null) throw new ReservationStoreException("reservations of vDisk " + vdiskId + " maybe not saved", err);
          if (reply instanceof LunReservations.Stale stale) {
            throw new ReservationStoreException("reservations of vDisk " + vdiskId + " are at version " + stale.version()
                + ", not " + expectedVersion, new Versioned(stale.version(), stale.state()));
          }
          return ((LunReservations.Saved) reply).version();
        });
  }
}
