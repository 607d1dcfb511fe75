package io.cairn.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.node.NodeStorage;
import io.cairn.actors.vdisk.ControllerDrainSink;
import io.cairn.actors.vdisk.ShardedVDiskIo;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.config.CairnSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.extentstore.ExtentStore;
import io.cairn.datapath.extentstore.FileExtentStore;
import io.cairn.datapath.oplog.FileOpLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * A single-node Cairn inside a test: real OpLog and extent store under a temp directory, a real
 * H2 journal, cluster sharding, and the configuration actor. {@link #restart} stops it all and
 * opens everything again over the same files (the OpLog replays, entities recover from the journal).
 */
public final class TestNode implements AutoCloseable {
  public static final String NODE_ID = "test-node";

  public final Path dir;
  public final Config config;
  public final CairnSettings settings;
  public ActorTestKit kit;
  public FileOpLog oplog;
  public FileExtentStore store;
  public NodeStorage storage;
  public ActorRef<ClusterConfig.Command> configActor;
  private ExecutorService blocking;
  private final StoreWrapper wrapper;

  /**
   * Wraps the node's own extent store before the entities see it (e.g. in a replicated store).
   * {@code system} gives the node's actor system once it runs (not yet during the call).
   */
  @FunctionalInterface
  public interface StoreWrapper {
    ExtentStore wrap(String nodeId, CairnSettings settings, FileExtentStore local, Supplier<ActorSystem<?>> system);
  }

  private TestNode(Path dir, String overrides, StoreWrapper wrapper) {
    this.dir = dir;
    this.wrapper = wrapper;
    this.config = ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseString("""
            cairn.node.data-dir = "%s"
            cairn.default-disk-capacity = 8GiB
            cairn.cache.capacity = 16MiB
            cairn.oplog.drain-idle-delay = 1h
            cairn.oplog.drain-threshold-bytes = 1GiB
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.enabled = off
            pekko.cluster.sharding.passivation.strategy = none
            pekko.persistence.journal.plugin = jdbc-journal
            pekko.persistence.snapshot-store.plugin = jdbc-snapshot-store
            jdbc-journal.use-shared-db = cairn
            jdbc-snapshot-store.use-shared-db = cairn
            jdbc-read-journal.use-shared-db = cairn
            pekko-persistence-jdbc.shared-databases.cairn {
              profile = "slick.jdbc.H2Profile$"
              db {
                url = "jdbc:h2:file:%s/journal/cairn;DB_CLOSE_ON_EXIT=FALSE"
                user = sa
                password = ""
                driver = "org.h2.Driver"
                numThreads = 2
                maxConnections = 2
                minConnections = 1
              }
            }
            pekko.loglevel = WARNING
            """.formatted(dir, dir)))
        .withFallback(ConfigFactory.load())
        .resolve();
    this.settings = CairnSettings.from(config);
  }

  public static TestNode start(Path dir) throws Exception {
    return start(dir, "");
  }

  public static TestNode start(Path dir, String overrides) throws Exception {
    return start(dir, overrides, null);
  }

  /** A node whose entities use {@code wrapper}'s store over the FileExtentStore (null: the FileExtentStore). */
  public static TestNode start(Path dir, String overrides, StoreWrapper wrapper) throws Exception {
    TestNode n = new TestNode(dir, overrides, wrapper);
    n.open();
    return n;
  }

  private void open() throws Exception {
    UnifiedCache cache = UnifiedCache.create(settings.cache());
    store = FileExtentStore.open(settings.disks(), settings.extentStore(), cache);
    oplog = FileOpLog.open(settings.oplog());
    blocking = Executors.newFixedThreadPool(2);
    ExtentStore extentStore = wrapper == null ? store : wrapper.wrap(NODE_ID, settings, store, () -> kit.system());
    storage = new NodeStorage(NODE_ID, settings, oplog, extentStore, blocking);
    kit = ActorTestKit.create("cairn", config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    SchemaUtils.createIfNotExists(kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    configActor = kit.spawn(ClusterConfig.create("iqn.2026-11.io.cairn", UUID::randomUUID), "config");
    VDiskController.init(kit.system(), storage, configActor);
    ExtentGroup.init(kit.system(), storage);
    oplog.startDrainer(new ControllerDrainSink(ClusterSharding.get(kit.system()), Duration.ofSeconds(10)));
  }

  /** Creates a vDisk in the configuration and initializes its controller; returns its spec. */
  public VDiskSpec createVDisk(String name, long size) throws Exception {
    ask(r -> new ClusterConfig.EnsureDemo("default", "demo", "unused-demo", 1 << 20, 512, 4096, r));
    ClusterConfig.Reply reply = ask(r -> new ClusterConfig.CreateVDisk(name, size, 512, 4096, "demo", "default", false, r));
    if (!(reply instanceof ClusterConfig.Done d)) throw new AssertionError("create failed: " + reply);
    VDiskSpec spec = d.view().vdisk(name).orElseThrow();
    initialize(spec);
    return spec;
  }

  public void initialize(VDiskSpec spec) throws Exception {
    VDiskController.Ack ack = controller(spec.id())
        .<VDiskController.Ack>ask(r -> new VDiskController.Initialize(spec, r), Duration.ofSeconds(10))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (!ack.ok()) throw new AssertionError(ack.message());
  }

  public ClusterConfig.Reply ask(java.util.function.Function<ActorRef<ClusterConfig.Reply>, ClusterConfig.Command> f)
      throws Exception {
    return AskPattern.ask(configActor, f::apply, Duration.ofSeconds(10), kit.system().scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<VDiskController.Command> controller(long id) {
    return ClusterSharding.get(kit.system()).entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(id));
  }

  public ShardedVDiskIo io(long vdiskId) {
    return new ShardedVDiskIo(ClusterSharding.get(kit.system()), vdiskId, Duration.ofSeconds(20), storage.localControllers());
  }

  public VDiskController.Stats stats(long vdiskId) throws Exception {
    return controller(vdiskId).<VDiskController.Stats>ask(VDiskController.GetStats::new, Duration.ofSeconds(10))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Clean stop then start over the same files. */
  public void restart() throws Exception {
    kit.shutdownTestKit();
    oplog.close();
    store.close();
    blocking.shutdownNow();
    open();
  }

  @Override
  public void close() {
    try {
      kit.shutdownTestKit();
    } catch (RuntimeException ignored) {
      // already down
    }
    oplog.close();
    store.close();
    blocking.shutdownNow();
  }
}
