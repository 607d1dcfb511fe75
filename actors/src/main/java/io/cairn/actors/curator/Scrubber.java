package io.cairn.actors.curator;

import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.egroup.Replica;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.config.CuratorSettings;
import io.cairn.datapath.extentstore.ExtentStore;
import io.cairn.datapath.extentstore.ExtentStoreFormat;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.serialization.CairnSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A node's scrubber: walks the replicas on the node's own disks, {@link #CHUNK} bytes at a time at
 * {@code curator.scrub-rate}, and checks every written slice against its checksum on the medium
 * ({@link ExtentStore#verify}). It waits while the node's disks have I/O queued (front-end I/O
 * goes first), but never more than {@link #MAX_DEFER} in a row, so a node that is always busy is
 * still scrubbed, slowly.
 *
 * <p>A bad slice is repaired by the egroup's owner controller ({@link VDiskController.ScrubRepair}):
 * it reads the slice from this replica, meets the checksum failure, reads a good replica and
 * rewrites this one, ordered with the egroup's writes on the writer's node. The scrubber then
 * checks the slices again. A replica no metadata lists (an orphan, deleted by a later scan) and an
 * egroup with no live data are only reported. A new pass starts at most every {@code
 * curator.scrub-pass-interval} after the previous one started.
 */
public final class Scrubber extends AbstractBehavior<Scrubber.Command> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Scrubber.class);

  /** Bytes of one egroup checked per step. */
  static final int CHUNK = 1 << 20;
  /** How long to wait before looking again when the disks are busy. */
  static final Duration BUSY_RETRY = Duration.ofMillis(200);
  /** Longest run of waits for busy disks before a step runs anyway. */
  static final Duration MAX_DEFER = Duration.ofSeconds(5);
  /** Longest sleep between passes before looking at the clock again. */
  static final Duration IDLE_CHECK = Duration.ofSeconds(30);
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

  public sealed interface Command extends CairnSerializable {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * @param enabled whether this node scrubs ({@code curator.scrub-rate} > 0)
   * @param passes passes finished since the node started
   * @param bytesScrubbed bytes of egroup ranges checked (unwritten slices cost nothing)
   * @param badSlices slices found failing their checksum
   * @param repairedSlices of those, slices rewritten from a good replica and found good afterwards
   * @param unrepairedSlices slices still bad after a repair attempt, or with nobody to repair them
   * @param passEgroups egroups of the pass running (0 between passes)
   * @param passDone egroups of it checked so far
   * @param deferrals steps put off because the disks were busy
   */
  public record Stats(String nodeId, boolean enabled, long passes, long bytesScrubbed, long badSlices,
      long repairedSlices, long unrepairedSlices, int passEgroups, int passDone, long deferrals)
      implements CairnSerializable {}

  private record Tick() implements Command {}

  private record Verified(long egroupId, long offset, int length, BitSet bad, Throwable failure) implements Command {}

  private record Repaired(long egroupId, int badSlices, int stillBad, String note) implements Command {}

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final String nodeId;
  private final CuratorSettings settings;
  private final ExtentStore store;
  private final int sliceSize;
  private final long egroupBytes;
  private final ClusterSharding sharding;

  private List<Long> pass = List.of();
  private int index;
  private long offset;
  private long passStartNs;
  private long deferredSinceNs;
  private long passes;
  private long bytesScrubbed;
  private long badSlices;
  private long repairedSlices;
  private long unrepairedSlices;
  private long deferrals;
  private long passBad;

  public static Behavior<Command> create(String nodeId, CuratorSettings settings, ExtentStore store, int sliceSize,
      long egroupBytes) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (settings.scrubBytesPerSecond() == 0) {
        return Behaviors.receive(Command.class)
            .onMessage(GetStats.class, m -> {
              m.replyTo().tell(new Stats(nodeId, false, 0, 0, 0, 0, 0, 0, 0, 0));
              return Behaviors.same();
            })
            .onAnyMessage(m -> Behaviors.same())
            .build();
      }
      return new Scrubber(ctx, timers, nodeId, settings, store, sliceSize, egroupBytes);
    }));
  }

  private Scrubber(ActorContext<Command> ctx, TimerScheduler<Command> timers, String nodeId, CuratorSettings settings,
      ExtentStore store, int sliceSize, long egroupBytes) {
    super(ctx);
    this.ctx = ctx;
    this.timers = timers;
    this.nodeId = nodeId;
    this.settings = settings;
    this.store = store;
    this.sliceSize = sliceSize;
    this.egroupBytes = egroupBytes;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    timers.startSingleTimer(new Tick(), IDLE_CHECK.dividedBy(6)); // let the node settle first
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, m -> onTick())
        .onMessage(Verified.class, this::onVerified)
        .onMessage(Repaired.class, this::onRepaired)
        .onMessage(GetStats.class, m -> {
          m.replyTo().tell(new Stats(nodeId, true, passes, bytesScrubbed, badSlices, repairedSlices, unrepairedSlices,
              index < pass.size() ? pass.size() : 0, index < pass.size() ? index : 0, deferrals));
          return this;
        })
        .build();
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    if (index >= pass.size()) {
      long wait = passStartNs == 0 ? 0 : settings.scrubPassInterval().toNanos() - (now - passStartNs);
      if (wait > 0) {
        timers.startSingleTimer(new Tick(), Duration.ofNanos(Math.min(wait, IDLE_CHECK.toNanos())));
        return this;
      }
      pass = store.egroupIds().stream().sorted().toList();
      index = 0;
      offset = 0;
      passBad = 0;
      passStartNs = now;
      if (pass.isEmpty()) {
        timers.startSingleTimer(new Tick(), IDLE_CHECK);
        return this;
      }
      LOG.info("scrub pass {}: {} replica(s) to check", passes + 1, pass.size());
    }
    if (store.pendingIo() > 0) {
      if (deferredSinceNs == 0) deferredSinceNs = now;
      if (now - deferredSinceNs < MAX_DEFER.toNanos()) {
        deferrals++;
        timers.startSingleTimer(new Tick(), BUSY_RETRY);
        return this;
      }
    }
    deferredSinceNs = 0;
    long egroupId = pass.get(index);
    long at = offset;
    int length = (int) Math.min(CHUNK, egroupBytes - at);
    ctx.pipeToSelf(store.verify(egroupId, at, length),
        (bad, err) -> new Verified(egroupId, at, length, bad, err));
    return this;
  }

  private Behavior<Command> onVerified(Verified v) {
    if (v.failure() != null) {
      Throwable t = unwrap(v.failure());
      if (!(t instanceof VDiskIoException e && e.kind() == VDiskIoException.Kind.NOT_READY)) {
        LOG.error("scrub of egroup {} failed: {}", ExtentStoreFormat.hex(v.egroupId()), t.toString());
      } // NOT_READY: deleted since the pass began
      nextEgroup();
      return this;
    }
    bytesScrubbed += v.length();
    if (v.bad().isEmpty()) {
      advance(v.length());
      return this;
    }
    int n = v.bad().cardinality();
    badSlices += n;
    passBad += n;
    ctx.pipeToSelf(repair(v), (r, err) -> err == null ? r
        : new Repaired(v.egroupId(), n, n, String.valueOf(unwrap(err))));
    return this;
  }

  private Behavior<Command> onRepaired(Repaired r) {
    String eg = ExtentStoreFormat.hex(r.egroupId());
    repairedSlices += r.badSlices() - r.stillBad();
    unrepairedSlices += r.stillBad();
    if (r.stillBad() == 0) {
      LOG.warn("scrub: egroup {}: {} slice(s) of this node's replica failed their checksum; repaired from another replica",
          eg, r.badSlices());
    } else {
      LOG.error("scrub: egroup {}: {} of {} bad slice(s) of this node's replica not repaired: {}", eg, r.stillBad(),
          r.badSlices(), r.note());
    }
    advance(CHUNK);
    return this;
  }

  /** Repairs each run of bad slices through the owner controller, then checks the chunk again. */
  private CompletionStage<Repaired> repair(Verified v) {
    int n = v.bad().cardinality();
    long first = v.offset() / sliceSize;
    return sharding.entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(v.egroupId()))
        .<ExtentGroup.Info>ask(ExtentGroup.Get::new, ASK_TIMEOUT)
        .thenCompose(info -> {
          Optional<Replica> mine = info.exists()
              ? info.replicas().stream().filter(r -> r.nodeId().equals(nodeId)).findFirst() : Optional.empty();
          if (mine.isEmpty()) {
            return CompletableFuture.completedFuture(new Repaired(v.egroupId(), n, n,
                "no metadata lists this replica (an orphan: a scan deletes it)"));
          }
          if (info.ownerVdisk() == 0) {
            return CompletableFuture.completedFuture(new Repaired(v.egroupId(), n, n, "the egroup holds no live data"));
          }
          var controller = sharding.entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(info.ownerVdisk()));
          CompletableFuture<String> chain = CompletableFuture.completedFuture(null);
          for (int[] run : runs(v.bad())) {
            long from = (first + run[0]) * sliceSize;
            int length = (run[1] - run[0]) * sliceSize;
            chain = chain.thenCompose(prior -> controller.<VDiskController.ScrubRepaired>ask(
                    r -> new VDiskController.ScrubRepair(v.egroupId(), from, length, mine.get(), r), ASK_TIMEOUT)
                .toCompletableFuture()
                .thenApply(done -> done.error() == null ? prior : done.error()));
          }
          return chain.thenCompose(note -> store.verify(v.egroupId(), v.offset(), v.length())
              .thenApply(still -> new Repaired(v.egroupId(), n, Math.min(n, still.cardinality()), note)));
        });
  }

  /** Runs of set bits as [start, end) pairs. */
  static List<int[]> runs(BitSet bits) {
    List<int[]> out = new ArrayList<>();
    for (int s = bits.nextSetBit(0); s >= 0; ) {
      int e = bits.nextClearBit(s);
      out.add(new int[] {s, e});
      s = bits.nextSetBit(e);
    }
    return out;
  }

  /** The step checked {@code length} bytes: move on, at the scrub rate. */
  private void advance(long length) {
    offset += CHUNK;
    if (offset >= egroupBytes) {
      nextEgroup();
      return;
    }
    timers.startSingleTimer(new Tick(), Duration.ofNanos(length * 1_000_000_000L / settings.scrubBytesPerSecond()));
  }

  private void nextEgroup() {
    index++;
    offset = 0;
    if (index >= pass.size()) {
      passes++;
      LOG.info("scrub pass {} done: {} replica(s) checked in {} s, {} bad slice(s)", passes, pass.size(),
          Duration.ofNanos(System.nanoTime() - passStartNs).toSeconds(), passBad);
    }
    timers.startSingleTimer(new Tick(), Duration.ofNanos(CHUNK * 1_000_000_000L / settings.scrubBytesPerSecond()));
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) c = c.getCause();
    return c;
  }
}
