package io.cairn.datapath.extentstore.replicated;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the replicas of an extent group are: implemented by the node over the ExtentGroup entity
 * (its {@code Info.replicas()}). {@link ReplicatedExtentStore} caches the answers.
 */
@FunctionalInterface
public interface ReplicaResolver {

  /**
   * The replicas of {@code egroupId}, in the order they were placed; empty when the egroup does not
   * exist (never created, or deleted). Called from any thread; must not block.
   */
  CompletableFuture<List<ReplicaLocation>> replicas(long egroupId);
}
