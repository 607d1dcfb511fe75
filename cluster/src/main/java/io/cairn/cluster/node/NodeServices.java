package io.cairn.cluster.node;

import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeStorage;
import io.cairn.datapath.replication.ReplicatedOpLog;
import io.cairn.datapath.replication.ReplicationEndpoint;
import io.cairn.datapath.target.TargetCatalog;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What the node's HTTP API needs of the running node, published as a Pekko extension of the
 * node's actor system (the management route provider is instantiated by Pekko and finds it here).
 * Set once by {@link CairnNode} before the management endpoint starts.
 */
public final class NodeServices implements Extension {

  /**
   * @param storage the node's data path
   * @param config the cluster configuration singleton (proxy)
   * @param catalog the targets exported by this node's portal
   * @param portalAddress host:port of this node's first iSCSI portal
   * @param portals every iSCSI portal of this node as {@code host:port,tpgt} (multipath)
   * @param directory the node directory's current view ({@link NodeDirectory.View#EMPTY} until it starts)
   * @param replication the node's replication data plane
   * @param curator the Curator singleton (proxy)
   * @param chronos this node's Chronos
   * @param scrubber this node's scrubber
   */
  public record Services(NodeStorage storage, ActorRef<ClusterConfig.Command> config, TargetCatalog catalog,
      String portalAddress, java.util.function.Supplier<Object> portalStats, java.util.function.Supplier<Object> cacheStats,
      java.util.List<String> portals, java.util.function.Supplier<NodeDirectory.View> directory, Replication replication,
      ActorRef<io.cairn.actors.curator.Curator.Command> curator, ActorRef<io.cairn.actors.curator.Chronos.Command> chronos,
      ActorRef<io.cairn.actors.curator.Scrubber.Command> scrubber) {}

  /**
   * The replication data plane as the API sees it.
   *
   * @param endpoint the node's Aeron endpoint (counters, fault injection)
   * @param oplog the node's replicated OpLog (OpLog peers per vDisk episode)
   * @param faultInjection whether the API may set the endpoint's faults ({@code cairn.replication.fault-injection})
   */
  public record Replication(ReplicationEndpoint endpoint, ReplicatedOpLog oplog, boolean faultInjection) {}

  private final AtomicReference<Services> services = new AtomicReference<>();

  public Services get() {
    Services s = services.get();
    if (s == null) throw new IllegalStateException("node services not started");
    return s;
  }

  void set(Services s) {
    if (!services.compareAndSet(null, s)) throw new IllegalStateException("node services already set");
  }

  public static NodeServices get(ActorSystem<?> system) {
    return Id.INSTANCE.get(system);
  }

  public static NodeServices get(org.apache.pekko.actor.ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  /** Extension id. */
  public static final class Id extends AbstractExtensionId<NodeServices> implements ExtensionIdProvider {
    public static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public Id lookup() {
      return INSTANCE;
    }

    @Override
    public NodeServices createExtension(ExtendedActorSystem system) {
      return new NodeServices();
    }
  }
}
