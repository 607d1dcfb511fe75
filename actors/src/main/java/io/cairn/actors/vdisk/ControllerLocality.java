package io.cairn.actors.vdisk;

import io.cairn.actors.node.ReplicationFactors;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data locality of vDisk controllers (AOS: the vDisk is hosted where its I/O arrives). Each vDisk
 * controller is a shard of its own ({@link OneShardPerVDisk}) whose node is chosen by Pekko's
 * {@link org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy}: a vDisk with
 * no chosen location goes to the node whose region first asks for it, one with a location goes
 * (and is rebalanced) there. This node's portal reports every I/O it must send to a controller on
 * another node ({@link #remoteIo}); for a replicated vDisk (RF &ge; 2):
 *
 * <ul>
 *   <li>with no location chosen yet (or one on a node that is gone), this node claims it at once: the controller is placed where
 *       its iSCSI I/O arrives. A controller that serves front-end I/O on its own node gets that
 *       node recorded as its location ({@link #localIo}), so a first I/O elsewhere (a second
 *       multipath path) does not move it;
 *   <li>otherwise, once this node has sent it remote I/O without a pause longer than {@code
 *       pause} for {@code moveAfter} (AOS: 300 s), it claims it, and sharding moves the controller
 *       here at its next rebalance. The old controller finishes its mutations in flight first
 *       ({@link VDiskController.HandOff}); the new one takes the OpLog records over from the peers.
 * </ul>
 *
 * An RF1 vDisk is never moved for locality: its only copy of undrained OpLog data and of its extent
 * groups is on the node that runs it. Thread-safe; {@link #remoteIo} is cheap (a map lookup and two
 * volatile writes), claims are asynchronous.
 */
public final class ControllerLocality {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerLocality.class);

  /**
   * Asks for the vDisk's controller every {@link #WAKE_INTERVAL} until it has arrived here. Sharding
   * starts a handed-off shard again only when a message for it comes, and this node holds the
   * vDisk's I/O meanwhile: without these asks the controller would come only when the hold ends.
   * Until the old node has handed it off, the asks reach the old controller (harmless).
   */
  private void wakeUntilArrived(long vdiskId, CompletableFuture<Void> arrival) {
    if (arrival.isDone()) return;
    try {
      wake.accept(vdiskId);
    } catch (RuntimeException e) {
      LOG.debug("vDisk {}: waking its controller failed: {}", vdiskId, e.toString());
    }
    CompletableFuture.delayedExecutor(WAKE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)
        .execute(() -> wakeUntilArrived(vdiskId, arrival));
  }

  /** The controllers' shard id is their entity id (the vDisk id). */
  public static final class OneShardPerVDisk
      extends ShardingMessageExtractor<ShardingEnvelope<VDiskController.Command>, VDiskController.Command> {
    @Override
    public String entityId(ShardingEnvelope<VDiskController.Command> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return entityId;
    }

    @Override
    public VDiskController.Command unwrapMessage(ShardingEnvelope<VDiskController.Command> envelope) {
      return envelope.message();
    }
  }

  /** This node's remote I/O to one vDisk: since when without a pause, and when it last was. */
  private static final class Streak {
    volatile long sinceNanos;
    volatile long lastNanos;
    /** When this node last decided about the vDisk (0: never); at most one decision per moveAfter. */
    volatile long claimedNanos;
    /** Whether the vDisk's location was looked up (then only a sustained streak looks again). */
    volatile boolean checked;
    /** Set once this node claimed the vDisk, until its controller runs here (or the hold ends). */
    volatile CompletableFuture<Void> arrival;
  }

  private final ExternalShardAllocationClient client;
  private final LongConsumer wake;
  private final java.util.function.Predicate<Address> member;
  /** vDisks whose local front-end I/O this node has seen ({@link #localIo}). */
  private final java.util.Set<Long> recorded = ConcurrentHashMap.newKeySet();
  private final Address self;
  private final ReplicationFactors factors;
  private final long moveAfterNanos;
  private final long pauseNanos;
  private final LongSupplier clock;
  private final Map<Long, Streak> streaks = new ConcurrentHashMap<>();

  ControllerLocality(ExternalShardAllocationClient client, Address self, ReplicationFactors factors, Duration moveAfter,
      Duration pause, LongSupplier clock) {
    this(client, self, factors, moveAfter, pause, clock, id -> {}, a -> true);
  }

  /**
   * @param wake asks for a vDisk's controller (through sharding)
   * @param member whether an address is a cluster member that is up (a location on a node that is
   *     gone counts as none)
   */
  ControllerLocality(ExternalShardAllocationClient client, Address self, ReplicationFactors factors, Duration moveAfter,
      Duration pause, LongSupplier clock, LongConsumer wake, java.util.function.Predicate<Address> member) {
    this.client = client;
    this.wake = wake;
    this.member = member;
    this.self = self;
    this.factors = factors;
    this.moveAfterNanos = moveAfter.toNanos();
    this.pauseNanos = pause.toNanos();
    this.clock = clock;
  }

  /**
   * The node's tracker.
   *
   * @param moveAfter sustained remote I/O after which the controller moves here
   * @param pause a gap in remote I/O longer than this starts the count again
   */
  public static ControllerLocality start(ActorSystem<?> system, ReplicationFactors factors, Duration moveAfter, Duration pause) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return new ControllerLocality(ExternalShardAllocation.get(system).getClient(VDiskController.ENTITY_TYPE_KEY.name()),
        Cluster.get(system).selfMember().address(), factors, moveAfter, pause, System::nanoTime,
        id -> sharding.entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(id))
            .<VDiskController.Stats>ask(VDiskController.GetStats::new, WAKE_INTERVAL),
        address -> {
          for (org.apache.pekko.cluster.Member m : Cluster.get(system).state().getMembers()) {
            if (m.address().equals(address)) {
              return m.status() == org.apache.pekko.cluster.MemberStatus.up()
                  || m.status() == org.apache.pekko.cluster.MemberStatus.weaklyUp();
            }
          }
          return false;
        });
  }

  /** How often a node that claimed a controller asks for it until it arrives. */
  static final Duration WAKE_INTERVAL = Duration.ofMillis(500);

  /** Longest time this node holds a vDisk's I/O after claiming its controller. */
  static final Duration HOLD_LIMIT = Duration.ofSeconds(10);

  /**
   * When this node has claimed the vDisk and its controller is on its way here: completes when it
   * has arrived (or after {@link #HOLD_LIMIT}); null when I/O may go out at once.
   */
  CompletableFuture<Void> arrival(long vdiskId) {
    Streak s = streaks.get(vdiskId);
    return s == null ? null : s.arrival;
  }

  /** The vDisk's controller started on this node. */
  void arrived(long vdiskId) {
    Streak s = streaks.get(vdiskId);
    CompletableFuture<Void> a = s == null ? null : s.arrival;
    if (a != null) a.complete(null);
  }

  /**
   * The portal sent an I/O of the vDisk to its controller running here. The first time for a
   * replicated vDisk, a controller that runs here only because sharding placed it where it was
   * first asked for (the API's initialisation, a drain) is recorded as placed here: its front-end
   * I/O arrives here, so another node's first I/O must not claim it (only a sustained streak may).
   */
  public void localIo(long vdiskId) {
    if (recorded.contains(vdiskId)) return;
    int rf = factors.of(vdiskId);
    if (rf == ReplicationFactors.UNKNOWN) return; // not in this node's view yet: again at the next I/O
    if (!recorded.add(vdiskId) || rf < 2) return;
    String shard = Long.toString(vdiskId);
    client.getShardLocations().whenComplete((locations, err) -> {
      if (err != null) {
        recorded.remove(vdiskId);
        return;
      }
      var chosen = locations.getShardLocations().get(shard);
      if (chosen != null && member.test(chosen.address())) return; // chosen already
      client.setShardLocation(shard, self).whenComplete((done, e) -> {
        if (e != null) {
          LOG.debug("vDisk {}: recording its controller's location failed: {}", vdiskId, e.toString());
          recorded.remove(vdiskId);
          return;
        }
        LOG.info("vDisk {}: its controller stays on this node (its front-end I/O arrives here)", vdiskId);
      });
    });
  }

  /** The portal sent an I/O of the vDisk to its controller on another node. */
  public void remoteIo(long vdiskId) {
    if (factors.of(vdiskId) < 2) return;
    long now = clock.getAsLong();
    Streak s = streaks.computeIfAbsent(vdiskId, id -> {
      Streak fresh = new Streak();
      fresh.sinceNanos = now;
      fresh.lastNanos = now;
      return fresh;
    });
    if (now - s.lastNanos > pauseNanos) s.sinceNanos = now;
    s.lastNanos = now;
    if (s.claimedNanos != 0 && now - s.claimedNanos < moveAfterNanos) return;
    boolean sustained = now - s.sinceNanos >= moveAfterNanos;
    if (s.checked && !sustained) return;
    s.checked = true;
    s.claimedNanos = now;
    String shard = Long.toString(vdiskId);
    client.getShardLocations().whenComplete((locations, err) -> {
      if (err != null) {
        s.checked = false;
        s.claimedNanos = 0;
        return;
      }
      var location = locations.getShardLocations().get(shard);
      Address current = location == null || !member.test(location.address()) ? null : location.address();
      if (self.equals(current)) return;
      if (current != null && !sustained) {
        s.claimedNanos = 0; // placed elsewhere on purpose: claim only after a sustained streak
        return;
      }
      LOG.info("vDisk {}: its controller moves to this node ({})", vdiskId, current == null
          ? "its first I/O arrived here, and no live node was chosen for it" : "remote I/O from here for " + Duration.ofNanos(now - s.sinceNanos).toSeconds() + " s");
      client.setShardLocation(shard, self).whenComplete((done, e) -> {
        if (e != null) {
          LOG.warn("vDisk {}: claiming its controller failed: {}", vdiskId, e.toString());
          s.checked = false;
          s.claimedNanos = 0;
          return;
        }
        // Until the controller runs here, this node holds the vDisk's I/O rather than sending it to
        // the old controller: sharding drops what it buffers for a shard that it hands off.
        CompletableFuture<Void> arrival = new CompletableFuture<>();
        arrival.completeOnTimeout(null, HOLD_LIMIT.toMillis(), TimeUnit.MILLISECONDS)
            .whenComplete((v, t) -> s.arrival = null);
        s.arrival = arrival;
        wakeUntilArrived(vdiskId, arrival);
      });
    });
  }

}
