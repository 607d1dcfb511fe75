package io.cairn.actors.node;

import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.config.ConfigView;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.config.VolumeGroupSpec;
import io.cairn.actors.vdisk.LocalControllers;
import io.cairn.actors.vdisk.ShardedVDiskIo;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.datapath.target.ChapCredentials;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.target.TargetAccess;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Keeps this node's portal {@link TargetCatalog} equal to the cluster configuration: follows the
 * configuration topic, re-reads the whole configuration on start and every {@code refreshEvery},
 * and makes sure every vDisk's controller is initialized before its LUN is exported.
 */
public final class CatalogMirror {

  public sealed interface Command {}

  /** Re-read the configuration now. */
  public record Refresh() implements Command {}

  private record ViewReceived(ConfigView view) implements Command {}

  private record GetFailed(Throwable cause) implements Command {}

  private record ControllerReady(VDiskSpec spec, boolean ok, String message) implements Command {}

  private CatalogMirror() {}

  public static Behavior<Command> create(ActorRef<ClusterConfig.Command> config, TargetCatalog catalog,
      LocalControllers local, Duration ioTimeout, Duration refreshEvery) {
    return create(config, catalog, local, ioTimeout, refreshEvery, new ReplicationFactors());
  }

  /** As above, also keeping {@code factors} equal to the configuration's replication factors. */
  public static Behavior<Command> create(ActorRef<ClusterConfig.Command> config, TargetCatalog catalog,
      LocalControllers local, Duration ioTimeout, Duration refreshEvery, ReplicationFactors factors) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<Topic.Command<ClusterConfig.ConfigChanged>> topic =
          ctx.spawn(Topic.create(ClusterConfig.ConfigChanged.class, ClusterConfig.TOPIC), "config-topic");
      topic.tell(Topic.subscribe(ctx.messageAdapter(ClusterConfig.ConfigChanged.class, c -> new ViewReceived(c.view()))));
      timers.startTimerWithFixedDelay(new Refresh(), Duration.ZERO, refreshEvery);
      return new Mirror(ctx, config, catalog, local, ioTimeout, factors).behavior();
    }));
  }

  private static final class Mirror {
    private final ActorContext<Command> ctx;
    private final ActorRef<ClusterConfig.Command> config;
    private final TargetCatalog catalog;
    private final LocalControllers local;
    private final Duration ioTimeout;
    private final ReplicationFactors factors;
    private final ClusterSharding sharding;
    /** vDisks whose controller confirmed initialization (exported from then on). */
    private final Map<Long, VDiskSpec> ready = new HashMap<>();
    private final Set<Long> initializing = new HashSet<>();
    private final Map<Long, ShardedVDiskIo> ios = new HashMap<>();
    private ConfigView last = new ConfigView(List.of(), List.of(), List.of());

    Mirror(ActorContext<Command> ctx, ActorRef<ClusterConfig.Command> config, TargetCatalog catalog,
        LocalControllers local, Duration ioTimeout, ReplicationFactors factors) {
      this.factors = factors;
      this.ctx = ctx;
      this.config = config;
      this.catalog = catalog;
      this.local = local;
      this.ioTimeout = ioTimeout;
      this.sharding = ClusterSharding.get(ctx.getSystem());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Refresh.class, r -> {
            ctx.ask(ClusterConfig.Reply.class, config, ioTimeout, ClusterConfig.Get::new, (reply, err) ->
                reply instanceof ClusterConfig.Done d ? new ViewReceived(d.view()) : new GetFailed(err));
            return Behaviors.same();
          })
          .onMessage(GetFailed.class, f -> {
            ctx.getLog().debug("configuration not readable yet: {}", String.valueOf(f.cause()));
            return Behaviors.same();
          })
          .onMessage(ViewReceived.class, v -> {
            onView(v.view());
            return Behaviors.same();
          })
          .onMessage(ControllerReady.class, r -> {
            initializing.remove(r.spec().id());
            if (r.ok()) {
              ready.put(r.spec().id(), r.spec());
              publish();
            } else {
              ctx.getLog().warn("controller of vDisk {} not ready: {}", r.spec().name(), r.message());
            }
            return Behaviors.same();
          })
          .build();
    }

    private void onView(ConfigView view) {
      last = view;
      factors.update(view); // before any controller starts for a vDisk of this view
      Set<Long> live = new HashSet<>();
      for (VDiskSpec v : view.vdisks()) {
        live.add(v.id());
        if (!ready.containsKey(v.id()) && initializing.add(v.id())) {
          ActorRef<Command> self = ctx.getSelf();
          sharding.entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(v.id()))
              .<VDiskController.Ack>ask(r -> new VDiskController.Initialize(v, r), ioTimeout)
              .whenComplete((ack, err) -> self.tell(new ControllerReady(v, ack != null && ack.ok(),
                  err != null ? String.valueOf(err) : ack.message())));
        }
      }
      ready.keySet().retainAll(live);
      ios.keySet().retainAll(live);
      publish();
    }

    private void publish() {
      List<TargetInfo> targets = new ArrayList<>();
      for (VolumeGroupSpec g : last.volumeGroups()) {
        List<LunEntry> luns = new ArrayList<>();
        for (VDiskSpec v : last.vdisks()) {
          if (!v.volumeGroup().equals(g.name()) || !ready.containsKey(v.id())) continue;
          LunInfo info = new LunInfo(v.id(), v.name(), v.uuid(), v.sizeBytes(), v.logicalBlockSize(),
              v.physicalBlockSize(), v.readOnly(), true);
          ShardedVDiskIo io = ios.computeIfAbsent(v.id(), id -> new ShardedVDiskIo(sharding, id, ioTimeout, local));
          luns.add(new LunEntry(v.lun(), info, io));
        }
        luns.sort((a, b) -> Integer.compare(a.lun(), b.lun()));
        TargetAccess access = access(g);
        if (access == null) continue; // fail closed: a policy that cannot be enforced exports nothing
        targets.add(new TargetInfo(g.iqn(), g.name(), luns, access));
      }
      catalog.replaceAll(targets);
    }

    /** The portal's view of a volume group's access policy, or null when it is unusable. */
    private TargetAccess access(VolumeGroupSpec g) {
      try {
        ChapCredentials chap = g.chap() == null ? null : ChapCredentials.of(g.chap().user(), g.chap().secret());
        ChapCredentials mutual = g.mutualChap() == null ? null
            : ChapCredentials.of(g.mutualChap().user(), g.mutualChap().secret());
        return new TargetAccess(Set.copyOf(g.initiators()), chap, mutual);
      } catch (IllegalArgumentException e) {
        // The message names the rule broken, never a secret.
        ctx.getLog().warn("volume group {} not exported: its access policy is invalid ({})", g.name(), e.getMessage());
        return null;
      }
    }
  }
}
