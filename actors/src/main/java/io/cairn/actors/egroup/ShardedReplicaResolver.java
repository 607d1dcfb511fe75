package io.cairn.actors.egroup;

import io.cairn.datapath.extentstore.replicated.ReplicaLocation;
import io.cairn.datapath.extentstore.replicated.ReplicaResolver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The {@link ReplicaResolver} of a node: asks the egroup's {@link ExtentGroup} entity (wherever
 * sharding runs it) for its replicas. Any thread, non-blocking; the replicated store caches the
 * answers. An egroup that was never created, or is deleted, has none.
 */
public final class ShardedReplicaResolver implements ReplicaResolver {
  private final ClusterSharding sharding;
  private final Duration timeout;

  /** @param timeout how long to wait for the entity (e.g. the vDisk I/O timeout) */
  public ShardedReplicaResolver(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<List<ReplicaLocation>> replicas(long egroupId) {
    return sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(egroupId))
        .<ExtentGroup.Info>ask(ExtentGroup.Get::new, timeout)
        .toCompletableFuture()
        .thenApply(ShardedReplicaResolver::locations);
  }

  /** The replica locations an entity's answer names (none when the egroup does not exist). */
  static List<ReplicaLocation> locations(ExtentGroup.Info info) {
    if (!info.exists()) return List.of();
    return info.replicas().stream().map(r -> new ReplicaLocation(r.nodeId(), r.diskId())).toList();
  }
}
