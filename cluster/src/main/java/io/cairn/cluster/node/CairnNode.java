package io.cairn.cluster.node;

import com.typesafe.config.Config;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.node.CatalogMirror;
import io.cairn.actors.node.NodeStorage;
import io.cairn.actors.reservation.LunReservations;
import io.cairn.actors.reservation.ShardedReservationStore;
import io.cairn.actors.vdisk.ControllerDrainSink;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.config.CairnSettings;
import io.cairn.config.DemoSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.extentstore.FileExtentStore;
import io.cairn.datapath.iscsi.IscsiPortal;
import io.cairn.datapath.oplog.FileOpLog;
import io.cairn.datapath.scsi.ScsiSettings;
import io.cairn.datapath.scsi.ScsiTargetService;
import io.cairn.datapath.target.TargetCatalog;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Cairn node: its data path (OpLog, extent store, cache), its actor system (cluster,
 * sharding, persistence), its iSCSI portal and its management endpoint.
 *
 * <p>Start-up order: lock the data directory, open (and replay) the storage, start the actor
 * system and join the cluster, make sure the journal schema exists, register the entities, start
 * draining, export targets, open the portal and the management endpoint. Shutdown runs through
 * Pekko's CoordinatedShutdown: the portal closes first (no new I/O), the actor system stops, then
 * the OpLog makes every accepted write durable and the files close.
 */
public final class CairnNode implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CairnNode.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final CairnSettings settings;
  private final ActorSystem<Void> system;
  private final IscsiPortal portal;
  private final TargetCatalog catalog;
  private final ActorRef<ClusterConfig.Command> config;
  private final CompletableFuture<Void> stopped;

  private CairnNode(CairnSettings settings, ActorSystem<Void> system, IscsiPortal portal, TargetCatalog catalog,
      ActorRef<ClusterConfig.Command> config, CompletableFuture<Void> stopped) {
    this.settings = settings;
    this.system = system;
    this.portal = portal;
    this.catalog = catalog;
    this.config = config;
    this.stopped = stopped;
  }

  /** Starts a node from a fully resolved configuration (see {@code cairn-node.conf}). */
  public static CairnNode start(Config conf) throws Exception {
    CairnSettings settings = CairnSettings.from(conf);
    Path dataDir = settings.node().dataDir();
    Files.createDirectories(dataDir);
    FileChannel lockChannel = FileChannel.open(dataDir.resolve("node.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = lockChannel.tryLock();
    if (lock == null) {
      lockChannel.close();
      throw new IllegalStateException("data directory " + dataDir + " is in use by another Cairn node");
    }

    log.info("node {} starting, data under {}", settings.node().id(), dataDir);
    UnifiedCache cache = UnifiedCache.create(settings.cache());
    FileExtentStore extentStore = FileExtentStore.open(settings.disks(), settings.extentStore(), cache);
    FileOpLog oplog = FileOpLog.open(settings.oplog());
    log.info("OpLog replayed: {}", oplog.stats());
    ExecutorService blocking = Executors.newFixedThreadPool(4, daemonThreads("cairn-blocking"));
    NodeStorage storage = new NodeStorage(settings.node().id(), settings, oplog, extentStore, blocking);

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "cairn", conf);
    CompletableFuture<Void> storageClosed = new CompletableFuture<>();
    AtomicBoolean closing = new AtomicBoolean();
    Runnable closeStorage = () -> {
      if (!closing.compareAndSet(false, true)) return;
      // Entities are stopped: make every accepted OpLog append durable, then close the files.
      try {
        oplog.close();
        extentStore.close();
        blocking.shutdown();
        lock.release();
        lockChannel.close();
        log.info("node {} stopped; OpLog flushed", settings.node().id());
        storageClosed.complete(null);
      } catch (Throwable t) {
        log.error("closing storage failed", t);
        storageClosed.completeExceptionally(t);
      }
    };
    // Normally inside CoordinatedShutdown (also on SIGTERM, before the JVM exits), after sharding
    // has stopped the entities; the termination hook covers a system that stops any other way.
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-storage", () -> {
      closeStorage.run();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    system.getWhenTerminated().whenComplete((done, err) -> closeStorage.run());

    try {
      joinCluster(system, conf);
      SchemaUtils.createIfNotExists(system).toCompletableFuture().get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);

      ActorRef<ClusterConfig.Command> config = ClusterSingleton.get(system).init(SingletonActor.of(
          Behaviors.supervise(ClusterConfig.create(settings.iscsi().iqnPrefix(), UUID::randomUUID))
              .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)),
          "cluster-config"));
      VDiskController.init(system, storage, config);
      ExtentGroup.init(system, storage);
      LunReservations.init(system, settings.vdisk().snapshotEveryEvents());
      ClusterSharding sharding = ClusterSharding.get(system);
      oplog.startDrainer(new ControllerDrainSink(sharding, settings.vdisk().ioTimeout()));

      TargetCatalog catalog = new TargetCatalog();
      system.systemActorOf(CatalogMirror.create(config, catalog, storage.localControllers(), settings.vdisk().ioTimeout(), Duration.ofSeconds(5)),
          "catalog-mirror", Props.empty());

      // Persistent reservations live in each vDisk's LunReservations entity (the journal), so they
      // survive a restart; a LUN's are loaded before its first command is checked against them.
      ScsiTargetService scsi = new ScsiTargetService(catalog, ScsiSettings.DEFAULT,
          new ShardedReservationStore(sharding, settings.vdisk().ioTimeout()));
      IscsiPortal portal = new IscsiPortal(settings.iscsi(), catalog, scsi, 1);
      portal.start();
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "close-iscsi-portal", () -> {
        portal.close();
        return CompletableFuture.completedFuture(Done.getInstance());
      });

      String portalAddress = settings.iscsi().host() + ":" + portal.boundPort();
      NodeServices.get(system).set(new NodeServices.Services(storage, config, catalog, portalAddress,
          portal::stats, cache::stats));
      PekkoManagement.get(system).start().toCompletableFuture().get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);

      CairnNode node = new CairnNode(settings, system, portal, catalog, config, storageClosed);
      if (settings.demo().enabled()) node.ensureDemo(settings.demo());
      return node;
    } catch (Exception | Error e) {
      system.terminate();
      storageClosed.handle((v, t) -> null).get(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  private static void joinCluster(ActorSystem<Void> system, Config conf) {
    Cluster cluster = Cluster.get(system);
    List<String> seeds = conf.getStringList("cairn.cluster.seeds");
    if (seeds.isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    } else {
      List<Address> addresses = seeds.stream().map(s -> {
        int colon = s.lastIndexOf(':');
        return new Address("pekko", system.name(), s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
      }).toList();
      cluster.manager().tell(new JoinSeedNodes(addresses));
    }
  }

  /** Creates the demo objects once per cluster; retries while the configuration singleton starts. */
  private void ensureDemo(DemoSettings demo) {
    int lbs = settings.vdisk().logicalBlockSize();
    int pbs = settings.vdisk().physicalBlockSize();
    AtomicInteger attempts = new AtomicInteger();
    Runnable[] attempt = new Runnable[1];
    attempt[0] = () -> AskPattern.<ClusterConfig.Command, ClusterConfig.Reply>ask(config,
            r -> new ClusterConfig.EnsureDemo(demo.container(), demo.volumeGroup(), demo.vdisk(), demo.vdiskSizeBytes(), lbs, pbs, r),
            Duration.ofSeconds(5), system.scheduler())
        .whenComplete((reply, err) -> {
          if (reply instanceof ClusterConfig.Done) return;
          if (reply instanceof ClusterConfig.Rejected r) {
            log.error("demo objects not created: {}", r.message());
          } else if (attempts.incrementAndGet() < 60) {
            system.scheduler().scheduleOnce(Duration.ofSeconds(1), attempt[0], system.executionContext());
          } else {
            log.error("demo objects not created: configuration unreachable ({})", String.valueOf(err));
          }
        });
    attempt[0].run();
  }

  public CairnSettings settings() {
    return settings;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public TargetCatalog catalog() {
    return catalog;
  }

  public int iscsiPort() {
    return portal.boundPort();
  }

  /** Completes when the node has stopped and its storage is closed. */
  public CompletableFuture<Void> whenStopped() {
    return stopped;
  }

  /** Runs CoordinatedShutdown and waits until the storage is closed. */
  @Override
  public void close() throws Exception {
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    stopped.get(60, TimeUnit.SECONDS);
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
