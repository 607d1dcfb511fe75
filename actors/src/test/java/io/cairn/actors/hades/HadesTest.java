package io.cairn.actors.hades;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.actors.events.SequencedEvent;
import io.cairn.config.DiskHealthSettings;
import io.cairn.config.DiskSettings;
import io.cairn.config.ExtentStoreSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.extentstore.DiskFault;
import io.cairn.datapath.extentstore.DiskHealth;
import io.cairn.datapath.extentstore.FileExtentStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hades over a real extent store: a silent disk goes offline and comes back, holds, removal, refusals. */
class HadesTest {

  static final ExtentStoreSettings STORE = new ExtentStoreSettings(64 << 10, 2, 4096, 2);

  @TempDir
  Path dir;

  private ActorTestKit kit;
  private FileExtentStore store;
  private DiskHealth health;
  private final AtomicInteger changes = new AtomicInteger();

  @BeforeEach
  void start() {
    kit = ActorTestKit.create(ConfigFactory.parseString("""
        pekko.actor.provider = local
        cairn.node.id = node-7
        """).withFallback(ConfigFactory.load()));
    store = FileExtentStore.open(List.of(new DiskSettings("d0", dir.resolve("d0"), DiskSettings.Tier.SSD, 1L << 30)), STORE,
        UnifiedCache.disabled());
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
    store.close();
  }

  private ActorRef<Hades.Command> hades(int offlineLimit, boolean faults) {
    DiskHealthSettings s = new DiskHealthSettings(Duration.ofMillis(800), Duration.ofMillis(300), offlineLimit,
        Duration.ofHours(1), faults);
    health = new DiskHealth(List.of("d0"), s, dir.resolve("disk-health.properties"), System::currentTimeMillis);
    return kit.spawn(Hades.create("node-7", s, store, health, changes::incrementAndGet));
  }

  private Hades.Reply ask(ActorRef<Hades.Command> h, java.util.function.Function<ActorRef<Hades.Reply>, Hades.Command> m) {
    TestProbe<Hades.Reply> probe = kit.createTestProbe();
    h.tell(m.apply(probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  private Hades.Disk awaitState(ActorRef<Hades.Command> h, String state) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Hades.Disk d;
    do {
      d = ask(h, Hades.GetDisks::new).disks().get(0);
      if (d.state().equals(state)) return d;
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    } while (System.nanoTime() < deadline);
    throw new AssertionError("disk d0 never " + state + ": " + d);
  }

  private List<String> eventKinds() throws Exception {
    return ClusterEvents.get(kit.system()).recent(100, "disk.", Duration.ofSeconds(5)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).stream().map(SequencedEvent::event).map(ClusterEvent::kind).toList();
  }

  @Test
  void shouldTakeASilentDiskOfflineAndBringItBackWhenItAnswersAgain() throws Exception {
    ActorRef<Hades.Command> h = hades(3, true);
    assertNull(ask(h, r -> new Hades.InjectFault("d0", DiskFault.hang(Duration.ofMillis(2500)), r)).error());

    Hades.Disk off = awaitState(h, "offline"); // the health check hangs past the I/O timeout
    assertTrue(off.reason().contains("unanswered"), off.reason());
    assertEquals(1, off.offlinesInWindow());
    assertTrue(!off.usage().online(), "the store fails the disk's I/O at once");

    ask(h, r -> new Hades.InjectFault("d0", DiskFault.NONE, r));
    Hades.Disk on = awaitState(h, "online"); // the next probe passes
    assertTrue(on.usage().online());
    assertTrue(changes.get() >= 2, "the directory entry was republished on each change");
    assertEquals(List.of(ClusterEvent.DISK_OFFLINE, ClusterEvent.DISK_ONLINE), eventKinds());
  }

  @Test
  void shouldHoldADiskAtTheOfflineLimitAndLetAnOperatorClearIt() throws Exception {
    ActorRef<Hades.Command> h = hades(1, true);
    ask(h, r -> new Hades.InjectFault("d0", DiskFault.error(), r));
    Hades.Disk held = awaitState(h, "held");
    assertTrue(held.reason().contains("injected I/O error"), held.reason());

    Hades.Reply refused = ask(h, r -> new Hades.Clear("d0", r));
    assertEquals(Hades.Problem.REFUSED, refused.problem(), "the clear's probe fails while the fault lasts");
    ask(h, r -> new Hades.InjectFault("d0", DiskFault.NONE, r));
    Thread.sleep(1000);
    assertEquals("held", ask(h, Hades.GetDisks::new).disks().get(0).state(), "no probe brings a held disk back");

    Hades.Reply cleared = ask(h, r -> new Hades.Clear("d0", r));
    assertNull(cleared.error());
    assertEquals("online", cleared.disks().get(0).state());
    assertTrue(store.disks().get(0).online());
  }

  @Test
  void shouldRemoveADiskOnceItHoldsNoReplicaAndRefuseWhatItCannotDo() throws Exception {
    ActorRef<Hades.Command> h = hades(3, false);
    store.create(1, "d0");
    assertNull(ask(h, r -> new Hades.Remove("d0", r)).error());
    assertEquals(Hades.Problem.REFUSED, ask(h, r -> new Hades.Remove("d0", r)).problem(), "already removing");
    Thread.sleep(1500);
    assertEquals("removing", ask(h, Hades.GetDisks::new).disks().get(0).state(), "it still holds a replica");
    store.delete(1).get(10, TimeUnit.SECONDS);
    Hades.Disk removed = awaitState(h, "removed");
    assertTrue(!removed.usage().online());
    assertEquals(List.of(ClusterEvent.DISK_REMOVING, ClusterEvent.DISK_REMOVED), eventKinds());

    assertEquals(Hades.Problem.NO_SUCH_DISK, ask(h, r -> new Hades.Clear("d9", r)).problem());
    assertEquals(Hades.Problem.FORBIDDEN, ask(h, r -> new Hades.InjectFault("d0", DiskFault.error(), r)).problem());
  }
}
