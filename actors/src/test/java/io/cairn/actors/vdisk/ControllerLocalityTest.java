package io.cairn.actors.vdisk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.actors.config.ConfigView;
import io.cairn.actors.config.ContainerSpec;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.node.ReplicationFactors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.external.ShardLocations;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.junit.jupiter.api.Test;

/** When a node claims a vDisk's controller: at the first remote I/O when unplaced, after sustained remote I/O otherwise, never for RF1. */
class ControllerLocalityTest {

  private static final Address SELF = new Address("pekko", "cairn", "127.0.0.1", 25520);
  private static final Address OTHER = new Address("pekko", "cairn", "127.0.0.1", 25530);
  private static final long S = 1_000_000_000L;

  /** The external allocation state, in memory: counts look-ups and records claims. */
  private static final class FakeClient implements ExternalShardAllocationClient {
    final Map<String, Address> locations = new HashMap<>();
    final List<String> claims = new ArrayList<>();
    int lookups;

    @Override
    public CompletionStage<ShardLocations> getShardLocations() {
      lookups++;
      Map<String, ExternalShardAllocationStrategy.ShardLocation> m = new HashMap<>();
      locations.forEach((k, v) -> m.put(k, new ExternalShardAllocationStrategy.ShardLocation(v)));
      return CompletableFuture.completedFuture(new ShardLocations(
          scala.collection.immutable.Map$.MODULE$.from(scala.jdk.javaapi.CollectionConverters.asScala(m))));
    }

    @Override
    public CompletionStage<Done> setShardLocation(String shard, Address location) {
      claims.add(shard);
      locations.put(shard, location);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> setShardLocations(Map<String, Address> all) {
      throw new UnsupportedOperationException();
    }
  }

  private final FakeClient client = new FakeClient();
  private long now = 1000 * S;
  private final ReplicationFactors factors = new ReplicationFactors();
  private final ControllerLocality locality = new ControllerLocality(client, SELF, factors, Duration.ofSeconds(300),
      Duration.ofSeconds(30), () -> now);

  ControllerLocalityTest() {
    factors.update(new ConfigView(List.of(new ContainerSpec(1, "rf1", 1), new ContainerSpec(2, "rf2", 2)), List.of(),
        List.of(vdisk(1, "rf1"), vdisk(2, "rf2"))));
  }

  private static VDiskSpec vdisk(long id, String container) {
    return new VDiskSpec(id, "v" + id, new UUID(0, id), 1L << 30, 512, 4096, container, "demo", (int) id, false);
  }

  @Test
  void shouldClaimAnUnplacedReplicatedVDiskAtItsFirstRemoteIo() {
    locality.remoteIo(2);
    assertEquals(List.of("2"), client.claims);
    assertEquals(SELF, client.locations.get("2"));
    locality.remoteIo(2);
    assertEquals(1, client.lookups, "one look-up, then nothing more until a streak is sustained");
  }

  @Test
  void shouldHoldIoFromTheClaimUntilTheControllerArrives() {
    assertEquals(null, locality.arrival(2), "no claim, no hold");
    locality.remoteIo(2);
    var arrival = locality.arrival(2);
    org.junit.jupiter.api.Assertions.assertNotNull(arrival, "claimed: I/O waits for the controller");
    org.junit.jupiter.api.Assertions.assertFalse(arrival.isDone());
    locality.arrived(2);
    org.junit.jupiter.api.Assertions.assertTrue(arrival.isDone(), "the controller started here: I/O goes on");
    assertEquals(null, locality.arrival(2));
  }

  @Test
  void shouldAskForTheClaimedControllerUntilItArrives() throws Exception {
    // Sharding starts a handed-off shard only when a message for it comes, and this node holds the
    // vDisk's I/O: it must ask for the controller itself, and stop once it is here.
    java.util.concurrent.ConcurrentLinkedQueue<Long> wakes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    ControllerLocality waking = new ControllerLocality(client, SELF, factors, Duration.ofSeconds(300),
        Duration.ofSeconds(30), () -> now, wakes::add, a -> true);
    waking.remoteIo(2);
    assertEquals(List.of(2L), List.copyOf(wakes), "asked at once after the claim");
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (wakes.size() < 3 && System.nanoTime() < deadline) Thread.sleep(50);
    org.junit.jupiter.api.Assertions.assertTrue(wakes.size() >= 3, "asked again while it has not arrived: " + wakes);
    waking.arrived(2);
    Thread.sleep(ControllerLocality.WAKE_INTERVAL.toMillis() + 100); // a wake already scheduled may still run
    int after = wakes.size();
    Thread.sleep(3 * ControllerLocality.WAKE_INTERVAL.toMillis());
    assertEquals(after, wakes.size(), "no more asks once the controller is here");
  }

  @Test
  void shouldRecordAControllerServingLocalIoAsPlacedHereOnce() {
    locality.localIo(2);
    assertEquals(SELF, client.locations.get("2"), "front-end I/O arrives here: the controller stays here");
    locality.localIo(2);
    locality.localIo(2);
    assertEquals(1, client.lookups, "one look-up per vDisk, not per I/O");
    locality.localIo(1);
    assertEquals(null, client.locations.get("1"), "RF1 vDisks are never placed by locality");
  }

  @Test
  void shouldRecordAVDiskThatThisNodeDidNotKnowYetAtALaterIo() {
    locality.localIo(3);
    assertEquals(0, client.lookups, "vDisk 3 is not in this node's view yet");
    factors.update(new ConfigView(List.of(new ContainerSpec(1, "rf1", 1), new ContainerSpec(2, "rf2", 2)), List.of(),
        List.of(vdisk(1, "rf1"), vdisk(2, "rf2"), vdisk(3, "rf2"))));
    locality.localIo(3);
    assertEquals(SELF, client.locations.get("3"));
  }

  @Test
  void shouldNotOverrideALocationChosenOnALiveNode() {
    client.locations.put("2", OTHER);
    locality.localIo(2);
    assertEquals(OTHER, client.locations.get("2"));
    assertEquals(List.of(), client.claims);
  }

  @Test
  void shouldTreatALocationOnANodeThatIsGoneAsNone() {
    ControllerLocality onlySelfUp = new ControllerLocality(client, SELF, factors, Duration.ofSeconds(300),
        Duration.ofSeconds(30), () -> now, id -> {}, SELF::equals);
    client.locations.put("2", OTHER);
    onlySelfUp.remoteIo(2);
    assertEquals(List.of("2"), client.claims, "the chosen node is gone: the first I/O here claims it");
    assertEquals(SELF, client.locations.get("2"));

    ControllerLocality restarted = new ControllerLocality(client, SELF, factors, Duration.ofSeconds(300),
        Duration.ofSeconds(30), () -> now, id -> {}, SELF::equals);
    client.locations.put("2", OTHER);
    restarted.localIo(2);
    assertEquals(SELF, client.locations.get("2"), "serving local I/O, over a location on a node that is gone");
  }

  @Test
  void shouldNeverClaimAnRf1VDisk() {
    for (int i = 0; i < 400; i++) {
      locality.remoteIo(1);
      now += S;
    }
    assertEquals(List.of(), client.claims);
    assertEquals(0, client.lookups);
  }

  @Test
  void shouldClaimAVDiskPlacedElsewhereOnlyAfterSustainedRemoteIo() {
    client.locations.put("2", OTHER);
    for (int i = 0; i < 299; i++) {
      locality.remoteIo(2);
      now += S;
    }
    assertEquals(List.of(), client.claims, "not before 300 s");
    assertEquals(1, client.lookups, "the streak looks the location up once, not per I/O");
    now += 2 * S;
    locality.remoteIo(2);
    assertEquals(List.of("2"), client.claims, "claimed after 300 s of remote I/O");
    assertEquals(SELF, client.locations.get("2"));
  }

  @Test
  void shouldStartCountingAgainAfterAPause() {
    client.locations.put("2", OTHER);
    for (int i = 0; i < 200; i++) {
      locality.remoteIo(2);
      now += S;
    }
    now += 31 * S; // a pause longer than 30 s
    for (int i = 0; i < 200; i++) {
      locality.remoteIo(2);
      now += S;
    }
    assertEquals(List.of(), client.claims, "two streaks of 200 s are not 300 s");
    for (int i = 0; i < 101; i++) {
      locality.remoteIo(2);
      now += S;
    }
    assertEquals(List.of("2"), client.claims);
  }
}
