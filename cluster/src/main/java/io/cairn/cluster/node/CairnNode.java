package io.cairn.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.curator.Chronos;
import io.cairn.actors.curator.Curator;
import io.cairn.actors.curator.Scrubber;
import io.cairn.actors.hades.Hades;
import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.actors.events.MembershipLog;
import io.cairn.actors.node.CatalogMirror;
import io.cairn.actors.node.ReplicationFactors;
import io.cairn.actors.node.NodeInfo;
import io.cairn.datapath.oplog.ReplicaLog;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.replication.OpLogReplicaService;
import io.cairn.datapath.replication.CompositeReplicaHandlers;
import io.cairn.datapath.extentstore.replicated.ExtentStoreReplicaService;
import io.cairn.datapath.extentstore.replicated.ReplicatedExtentStore;
import io.cairn.actors.egroup.ShardedReplicaResolver;
import io.cairn.actors.node.DirectoryReplicaPlacer;
import io.cairn.datapath.replication.PeerDirectory;
import io.cairn.datapath.replication.ReplicatedOpLog;
import io.cairn.datapath.replication.ReplicationClient;
import io.cairn.datapath.replication.ReplicationEndpoint;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.actors.node.NodeStorage;
import io.cairn.actors.reservation.LunReservations;
import io.cairn.actors.reservation.ShardedReservationStore;
import io.cairn.actors.vdisk.ControllerDrainSink;
import io.cairn.actors.vdisk.ControllerLocality;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.config.CairnSettings;
import io.cairn.config.ClusterSettings;
import io.cairn.config.HostPort;
import io.cairn.config.JournalSettings;
import io.cairn.config.DemoSettings;
import io.cairn.config.IscsiSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.extentstore.DiskHealth;
import io.cairn.datapath.extentstore.FileExtentStore;
import io.cairn.config.DiskSettings;
import io.cairn.datapath.iscsi.IscsiPortal;
import io.cairn.datapath.iscsi.PortalLimits;
import io.cairn.datapath.iscsi.login.ChapAuthentication;
import io.cairn.datapath.oplog.FileOpLog;
import io.cairn.datapath.scsi.ScsiSettings;
import io.cairn.datapath.scsi.ScsiTargetService;
import io.cairn.datapath.target.ChapCredentials;
import io.cairn.datapath.target.TargetAccess;
import io.cairn.datapath.target.TargetCatalog;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.setup.ActorSystemSetup;
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
  /** In the data directory: the disks held for an operator or being removed (survives restarts). */
  static final String DISK_HEALTH_FILE = "disk-health.properties";

  private final CairnSettings settings;
  private final ActorSystem<Void> system;
  private final IscsiPortal portal;
  private final TargetCatalog catalog;
  private final ActorRef<ClusterConfig.Command> config;
  private final NodeDirectory directory;
  private final CompletableFuture<Void> stopped;

  private CairnNode(CairnSettings settings, ActorSystem<Void> system, IscsiPortal portal, TargetCatalog catalog,
      ActorRef<ClusterConfig.Command> config, NodeDirectory directory, CompletableFuture<Void> stopped) {
    this.settings = settings;
    this.system = system;
    this.portal = portal;
    this.catalog = catalog;
    this.config = config;
    this.directory = directory;
    this.stopped = stopped;
  }

  /** Starts a node from a fully resolved configuration (see {@code cairn-node.conf}). */
  public static CairnNode start(Config conf) throws Exception {
    CairnSettings settings = CairnSettings.from(conf);
    conf = journalConfig(settings.journal()).withFallback(conf);
    conf = nodeRoleConfig(conf, settings.node().id()).withFallback(conf);
    Path dataDir = settings.node().dataDir();
    Files.createDirectories(dataDir);
    FileChannel lockChannel = FileChannel.open(dataDir.resolve("node.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = lockChannel.tryLock();
    if (lock == null) {
      lockChannel.close();
      throw new IllegalStateException("data directory " + dataDir + " is in use by another Cairn node");
    }

    log.info("node {} (block {}, rack {}) starting, data under {}, journal {}", settings.node().id(), settings.node().block(),
        settings.node().rack(), dataDir, settings.journal().type().settingName);
    UnifiedCache cache = UnifiedCache.create(settings.cache());
    FileExtentStore extentStore = FileExtentStore.open(settings.disks(), settings.extentStore(), cache);
    DiskHealth diskHealth = new DiskHealth(settings.disks().stream().map(DiskSettings::id).toList(), settings.diskHealth(),
        dataDir.resolve(DISK_HEALTH_FILE), System::currentTimeMillis);
    FileOpLog localOplog = FileOpLog.open(settings.oplog());
    log.info("OpLog replayed: {}", localOplog.stats());
    // The data plane: other nodes' OpLog records are kept in this node's replica log and served
    // over Aeron; this node's replicated vDisks write through the ReplicatedOpLog. Peers are found
    // through the node directory, which starts with the actor system (until then: none).
    ReplicaLog replicaLog = ReplicaLog.open(new ReplicaLog.Settings(dataDir.resolve("replicas"),
        settings.oplog().fileSizeBytes(), settings.oplog().groupCommitMaxBytes()));
    AtomicReference<NodeDirectory> directoryHolder = new AtomicReference<>();
    ReplicationFactors factors = new ReplicationFactors();
    ReplicationEndpoint endpoint = ReplicationEndpoint.start(
        io.cairn.datapath.replication.ReplicationSettings.defaults(settings.node().id(), settings.cluster().host(),
            settings.replication().aeronPort(), aeronBaseDir(dataDir)).withMtuLength(settings.replication().mtu()),
        peerId -> {
          NodeDirectory d = directoryHolder.get();
          if (d == null) return null;
          return d.view().member(peerId)
              .map(n -> new PeerDirectory.PeerAddress(n.aeron().host(), n.aeron().port())).orElse(null);
        },
        new CompositeReplicaHandlers(new OpLogReplicaService(replicaLog), new ExtentStoreReplicaService(extentStore)));
    // Extent groups of replicated containers get RF replicas on distinct nodes (placed from the
    // node directory); reads fail over to another replica and repair a bad copy. Replica sets are
    // looked up in the ExtentGroup entities, which need the actor system: hence the holder.
    AtomicReference<ShardedReplicaResolver> resolverHolder = new AtomicReference<>();
    java.util.function.Supplier<NodeDirectory.View> directoryView = () -> {
      NodeDirectory d = directoryHolder.get();
      return d == null ? NodeDirectory.View.EMPTY : d.view();
    };
    DirectoryReplicaPlacer placer = new DirectoryReplicaPlacer(settings.node().id(), directoryView,
        settings.extentStore().egroupSizeBytes());
    ReplicatedExtentStore replicatedStore = new ReplicatedExtentStore(settings.node().id(), extentStore,
        settings.extentStore(), new ReplicationClient(endpoint),
        egroupId -> {
          ShardedReplicaResolver r = resolverHolder.get();
          return r != null ? r.replicas(egroupId) : CompletableFuture.failedFuture(
              new IllegalStateException("node starting: extent group replicas not yet resolvable"));
        },
        placer);
    ReplicatedOpLog oplog = new ReplicatedOpLog(settings.node().id(), localOplog, replicaLog,
        new ReplicationClient(endpoint), new ReplicatedOpLog.Cluster() {
          @Override
          public List<Candidate> candidates() {
            NodeDirectory d = directoryHolder.get();
            if (d == null) return List.of();
            List<Candidate> out = new ArrayList<>();
            // members on probation after a return take no OpLog copies while two others can
            for (NodeInfo n : d.view().placeable(2)) {
              long capacity = 0;
              long used = 0;
              for (NodeInfo.Disk disk : n.disks()) {
                capacity += disk.capacityBytes();
                used += disk.usedBytes();
              }
              out.add(new Candidate(n.nodeId(), n.block(), n.rack(), Math.max(capacity, 1), Math.min(used, Math.max(capacity, 1)), 0));
            }
            return out;
          }

          @Override
          public int replicationFactor(long vdiskId) {
            return factors.of(vdiskId);
          }
        });
    ExecutorService blocking = Executors.newFixedThreadPool(4, daemonThreads("cairn-blocking"));
    NodeStorage storage = new NodeStorage(settings.node().id(), settings, oplog, replicatedStore, blocking);

    // The event stream takes the node id and cairn.events from these settings, not from a second parse.
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "cairn",
        ActorSystemSetup.create(BootstrapSetup.create(conf), new ClusterEvents.Setup(settings)));
    CompletableFuture<Void> storageClosed = new CompletableFuture<>();
    AtomicBoolean closing = new AtomicBoolean();
    Runnable closeStorage = () -> {
      if (!closing.compareAndSet(false, true)) return;
      // Entities are stopped: make every accepted OpLog append durable, then close the files.
      try {
        oplog.close();
        endpoint.close();
        replicaLog.close();
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
      // The event stream first, so this node's membership log sees it become Up.
      ClusterEvents.get(system);
      MembershipLog.start(system);
      joinCluster(system, settings.cluster());
      // Each statement of the plugin's script is IF NOT EXISTS or fails harmlessly once the schema
      // exists (errors are skipped statement by statement), so nodes starting together on one
      // shared database all end up with the one schema.
      SchemaUtils.createIfNotExists(system).toCompletableFuture().get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);

      ActorRef<ClusterConfig.Command> config = ClusterSingleton.get(system).init(SingletonActor.of(
          Behaviors.supervise(ClusterConfig.create(settings.iscsi().iqnPrefix(), UUID::randomUUID))
              .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)),
          "cluster-config"));
      resolverHolder.set(new ShardedReplicaResolver(system, settings.vdisk().ioTimeout()));
      VDiskController.init(system, storage, config);
      storage.localControllers().locality(ControllerLocality.start(system, factors, settings.vdisk().controllerMoveAfter(),
          settings.vdisk().controllerMovePause()));
      ExtentGroup.init(system, storage);
      LunReservations.init(system, settings.vdisk().snapshotEveryEvents());
      ClusterSharding sharding = ClusterSharding.get(system);
      oplog.startDrainer(new ControllerDrainSink(sharding, settings.vdisk().ioTimeout(), storage.localControllers(),
          factors::of));

      // This node's directory entry (domains, endpoints, disks, load). Placement works from the
      // directory's view: until it lists this node no replica can be placed here, not even an RF1
      // vDisk's, so the portal opens only after that. The portals and the management port join the
      // entry once they are bound.
      Cluster cluster = Cluster.get(system);
      AtomicReference<List<String>> advertisedPortals = new AtomicReference<>(List.of());
      AtomicReference<HostPort> advertisedManagement = new AtomicReference<>(
          new HostPort(advertised(settings.management().host(), settings), settings.management().port()));
      directoryHolder.set(NodeDirectory.start(system, () -> new NodeInfo(settings.node().id(), settings.node().block(),
          settings.node().rack(), cluster.selfMember().address().toString(), cluster.selfMember().uniqueAddress().longUid(),
          new HostPort(settings.cluster().host(), settings.replication().aeronPort()), advertisedPortals.get(),
          advertisedManagement.get(),
          extentStore.disks().stream().map(d -> new NodeInfo.Disk(d.diskId(), d.tier(), d.capacityBytes(), d.usedBytes(),
              diskHealth.state(d.diskId()).label())).toList(),
          oplog.stats().undrainedBytes()), settings.cluster().directoryRefreshInterval(),
          settings.cluster().rejoinStableAfter()));
      try {
        directoryHolder.get().awaitMember(settings.node().id()).get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("node " + settings.node().id() + " did not become an Up member of the cluster within "
            + STARTUP_TIMEOUT.toSeconds() + " s (membership: " + cluster.selfMember().status() + "); check the seed nodes "
            + settings.cluster().seeds(), e);
      }

      // Self-healing: this node's Chronos runs the Curator's maps and re-replications.
      ActorRef<Chronos.Command> chronos = system.systemActorOf(Chronos.create(settings.node().id(), settings.curator(),
          replicatedStore, placer, directoryView, settings.extentStore().egroupSizeBytes(), "jdbc-read-journal",
          oplog::report), "chronos", Props.empty());
      // Disk health: offline on errors and timeouts, probes, operator clear and removal.
      ActorRef<Hades.Command> hades = system.systemActorOf(Behaviors.supervise(Hades.create(settings.node().id(),
              settings.diskHealth(), extentStore, diskHealth, () -> {
                NodeDirectory d = directoryHolder.get();
                if (d != null) d.publishNow();
              }))
          .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2)),
          "hades", Props.empty());
      ActorRef<Scrubber.Command> scrubber = system.systemActorOf(Behaviors.supervise(Scrubber.create(settings.node().id(),
              settings.curator(), replicatedStore, settings.extentStore().sliceSizeBytes(),
              settings.extentStore().egroupSizeBytes()))
          .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2)),
          "scrubber", Props.empty());
      ActorRef<Curator.Command> curator = ClusterSingleton.get(system).init(SingletonActor.of(
          Behaviors.supervise(Curator.create(settings.curator(), directoryView, settings.extentStore().egroupSizeBytes(),
                  new Curator.CapacityWatch(settings.capacity().resilientThreshold(), factors::maxContainerRf)))
              .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)),
          "curator"));

      TargetCatalog catalog = new TargetCatalog();
      system.systemActorOf(CatalogMirror.create(config, catalog, storage.localControllers(), settings.vdisk().ioTimeout(), Duration.ofSeconds(5),
          factors),
          "catalog-mirror", Props.empty());

      IscsiSettings iscsi = settings.iscsi();
      List<Integer> portalGroups = new ArrayList<>();
      portalGroups.add(iscsi.portalGroupTag());
      iscsi.additionalPortals().forEach(p -> portalGroups.add(p.portalGroupTag()));
      // Persistent reservations live in each vDisk's LunReservations entity (the journal), so they
      // survive a restart; a LUN's are loaded before its first command is checked against them.
      // One SCSI service serves every portal, so all paths see the same reservations.
      ScsiTargetService scsi = new ScsiTargetService(catalog, ScsiSettings.DEFAULT,
          new ShardedReservationStore(sharding, settings.vdisk().ioTimeout()), portalGroups);
      IscsiPortal portal = new IscsiPortal(iscsi, catalog, scsi, iscsi.portalGroupTag(), PortalLimits.DEFAULTS,
          ChapAuthentication.factory(discoveryAccess(iscsi.discoveryChap()), new SecureRandom()));
      portal.start();
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "close-iscsi-portal", () -> {
        portal.close();
        return CompletableFuture.completedFuture(Done.getInstance());
      });

      String portalAddress = settings.iscsi().host() + ":" + portal.boundPort();
      List<String> portals = new ArrayList<>();
      portals.add(portalAddress + "," + iscsi.portalGroupTag());
      for (int i = 0; i < iscsi.additionalPortals().size(); i++) {
        IscsiSettings.Portal p = iscsi.additionalPortals().get(i);
        portals.add(p.host() + ":" + portal.boundPorts().get(i + 1) + "," + p.portalGroupTag());
      }
      NodeServices.get(system).set(new NodeServices.Services(storage, config, catalog, portalAddress,
          portal::stats, cache::stats, List.copyOf(portals), () -> {
            NodeDirectory d = directoryHolder.get();
            return d == null ? NodeDirectory.View.EMPTY : d.view();
          }, new NodeServices.Replication(endpoint, oplog, settings.replication().faultInjection()), curator, chronos,
          scrubber, hades));
      int managementPort = PekkoManagement.get(system).start().toCompletableFuture()
          .get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS).port();
      advertisedPortals.set(List.copyOf(portals));
      advertisedManagement.set(new HostPort(advertised(settings.management().host(), settings), managementPort));
      directoryHolder.get().publishNow();

      CairnNode node = new CairnNode(settings, system, portal, catalog, config, directoryHolder.get(), storageClosed);
      if (settings.demo().enabled()) node.ensureDemo(settings.demo());
      return node;
    } catch (Exception | Error e) {
      system.terminate();
      storageClosed.handle((v, t) -> null).get(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  /**
   * Where the node's embedded Aeron media driver keeps its files: under /dev/shm when the machine
   * has it (memory-mapped log buffers belong in memory), else in the data directory.
   */
  private static Path aeronBaseDir(Path dataDir) {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      return shm.resolve("cairn-" + Integer.toHexString(dataDir.toAbsolutePath().normalize().toString().hashCode()));
    }
    return dataDir.resolve("aeron");
  }

  /** Discovery sessions: open unless the node configures discovery CHAP. */
  private static TargetAccess discoveryAccess(IscsiSettings.Chap chap) {
    if (!chap.enabled()) return TargetAccess.OPEN;
    return new TargetAccess(Set.of(), ChapCredentials.of(chap.user(), chap.secret()),
        chap.mutual() ? ChapCredentials.of(chap.mutualUser(), chap.mutualSecret()) : null);
  }

  /**
   * Without seeds the node founds a cluster of its own; with seeds it joins the first seed that
   * answers (the first seed founds the cluster when none answers: Pekko's seed-node process).
   */
  private static void joinCluster(ActorSystem<Void> system, ClusterSettings settings) {
    Cluster cluster = Cluster.get(system);
    if (!settings.joinsSeeds()) {
      log.info("no seed nodes: founding a cluster at {}", cluster.selfMember().address());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    } else {
      List<Address> addresses = settings.seeds().stream()
          .map(s -> new Address("pekko", system.name(), s.host(), s.port())).toList();
      log.info("joining the cluster through seed nodes {}", addresses);
      cluster.manager().tell(new JoinSeedNodes(addresses));
    }
  }

  /**
   * The pekko-persistence-jdbc database every journal plugin shares ({@code use-shared-db =
   * "cairn"} in {@code cairn-node.conf}), from the validated journal settings.
   */
  static Config journalConfig(JournalSettings journal) {
    Map<String, Object> db = new HashMap<>();
    db.put("url", journal.url());
    db.put("user", journal.user());
    db.put("password", journal.password());
    db.put("driver", journal.driver());
    db.put("numThreads", journal.maxConnections());
    db.put("maxConnections", journal.maxConnections());
    db.put("minConnections", 1);
    Map<String, Object> shared = new HashMap<>();
    shared.put("profile", journal.slickProfile());
    shared.put("db", db);
    return ConfigFactory.empty().withValue("pekko-persistence-jdbc.shared-databases.cairn", ConfigValueFactory.fromMap(shared));
  }

  /**
   * The node's cluster roles: those configured plus {@code node-id:<id>}, by which membership
   * events name a member (its directory entry may not be published yet, or no longer).
   */
  static Config nodeRoleConfig(Config conf, String nodeId) {
    List<String> roles = new ArrayList<>(conf.hasPath("pekko.cluster.roles") ? conf.getStringList("pekko.cluster.roles") : List.of());
    roles.add(MembershipLog.nodeRole(nodeId));
    return ConfigFactory.empty().withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles));
  }

  /** The address other nodes reach a listener at: the cluster host when it binds a wildcard address. */
  private static String advertised(String host, CairnSettings settings) {
    return host.equals("0.0.0.0") || host.equals("::") ? settings.cluster().host() : host;
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

  /** The cluster's node directory as this node sees it (peers' endpoints, domains, disks). */
  public NodeDirectory directory() {
    return directory;
  }

  public int iscsiPort() {
    return portal.boundPort();
  }

  /** The ports of every iSCSI portal, the first one first. */
  public List<Integer> iscsiPorts() {
    return portal.boundPorts();
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
