package io.cairn.actors.hades;

import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.config.DiskHealthSettings;
import io.cairn.datapath.extentstore.DiskFault;
import io.cairn.datapath.extentstore.DiskHealth;
import io.cairn.datapath.extentstore.DiskHealth.State;
import io.cairn.datapath.extentstore.DiskUsage;
import io.cairn.datapath.extentstore.FileExtentStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Disk health, one per node (the AOS Hades role): watches the node's disks and keeps {@link
 * DiskHealth} true.
 *
 * <ul>
 *   <li>A disk the extent store takes offline (an error of its medium) or whose oldest running I/O
 *       is older than {@code io-timeout} (checked every {@link #CHECK_EVERY}) goes offline; the
 *       {@code offline-limit}-th time within {@code offline-window} it is held for an operator.
 *   <li>An offline disk is probed every {@code probe-interval} (a file written, synced, read back
 *       and deleted, {@link FileExtentStore#probe}); it comes back online when a probe passes.
 *   <li>Every online disk gets the same probe as a health check every {@code probe-interval}, so
 *       a disk that fails or stops answering is found even when no front-end I/O reaches it.
 *   <li>An operator clears a disk (a passed probe first) or marks it for removal; a disk being
 *       removed takes no new replicas, and is removed once it holds none (the Curator re-protects
 *       its replicas elsewhere, and the scans' orphan sweeps delete the copies left on it).
 * </ul>
 *
 * Every change is an event on the cluster event stream. The Curator learns the disks' states from
 * the node directory, where this node publishes them, and re-protects the replicas of every disk
 * that is not online.
 */
public final class Hades extends AbstractBehavior<Hades.Command> {

  /** How often running I/Os are checked against the timeout, and removals for completion. */
  static final Duration CHECK_EVERY = Duration.ofSeconds(1);

  public sealed interface Command {}

  /** An operator clears disk {@code diskId}: probed, then online (whatever held it), a removal cancelled. */
  public record Clear(String diskId, ActorRef<Reply> replyTo) implements Command {}

  /** An operator marks disk {@code diskId} for removal. */
  public record Remove(String diskId, ActorRef<Reply> replyTo) implements Command {}

  /** Test only ({@code cairn.disk-health.fault-injection}): sets the fault disk {@code diskId}'s I/O meets. */
  public record InjectFault(String diskId, DiskFault fault, ActorRef<Reply> replyTo) implements Command {}

  /** Every disk's health and usage. */
  public record GetDisks(ActorRef<Reply> replyTo) implements Command {}

  /** Why a request was refused. */
  public enum Problem { NO_SUCH_DISK, REFUSED, FORBIDDEN }

  /**
   * The answer to every request: the disks after it, or why it was refused.
   *
   * @param disks every disk of the node
   * @param problem null when done; else the kind of refusal
   * @param error null when done; else what was wrong (unknown disk, a failed probe, ...)
   */
  public record Reply(List<Disk> disks, Problem problem, String error) {}

  /**
   * One disk as the API shows it.
   *
   * @param diskId the disk
   * @param state online, offline, held, removing or removed
   * @param reason why (empty when online)
   * @param offlinesInWindow times taken offline within the offline window
   * @param sinceMs when it entered the state
   * @param usage capacity, usage and replica count
   * @param fault the injected fault ({@code NONE} normally)
   */
  public record Disk(String diskId, String state, String reason, int offlinesInWindow, long sinceMs, DiskUsage usage,
      String fault) {}

  private record Failed(String diskId, String reason) implements Command {}

  private record Check() implements Command {}

  private record Probe(String diskId) implements Command {}

  private record Probed(String diskId, Throwable failure, ActorRef<Reply> operator) implements Command {}

  private record HealthChecked(String diskId, Throwable failure) implements Command {}

  /**
   * @param changed called after any disk's state changed (the node republishes its directory
   *     entry, where the Curator reads the states)
   */
  public static Behavior<Command> create(String nodeId, DiskHealthSettings settings, FileExtentStore store,
      DiskHealth health, Runnable changed) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Hades(ctx, timers, nodeId, settings, store, health,
        changed)));
  }

  private final TimerScheduler<Command> timers;
  private final String nodeId;
  private final DiskHealthSettings settings;
  private final FileExtentStore store;
  private final DiskHealth health;
  private final ClusterEvents events;
  private final Runnable changed;
  /** Online disks whose health check is running. */
  private final java.util.Set<String> checking = new java.util.HashSet<>();
  private long nextHealthCheckNs;

  private Hades(ActorContext<Command> ctx, TimerScheduler<Command> timers, String nodeId, DiskHealthSettings settings,
      FileExtentStore store, DiskHealth health, Runnable changed) {
    super(ctx);
    this.changed = changed;
    this.timers = timers;
    this.nodeId = nodeId;
    this.settings = settings;
    this.store = store;
    this.health = health;
    this.events = ClusterEvents.get(ctx.getSystem());
    ActorRef<Command> self = ctx.getSelf();
    store.setDiskListener((diskId, reason) -> self.tell(new Failed(diskId, reason)));
    for (DiskHealth.Status s : health.statuses()) {
      switch (s.state()) {
        case HELD, REMOVED -> store.takeOffline(s.diskId(), s.state().label() + " before this start: " + s.reason());
        case REMOVING -> store.setDraining(s.diskId(), true);
        default -> { }
      }
    }
    for (DiskUsage u : store.disks()) {
      // A disk the store could not open at start is offline and cannot come back before a restart.
      if (!u.online() && health.state(u.diskId()) == State.ONLINE) {
        health.wentOffline(u.diskId(), "could not be opened at start");
      }
    }
    timers.startTimerWithFixedDelay(new Check(), CHECK_EVERY);
    ctx.getLog().info("Hades watching disks {} (I/O timeout {}, probe every {}, held after {} offlines within {})",
        store.disks().stream().map(DiskUsage::diskId).toList(), settings.ioTimeout(), settings.probeInterval(),
        settings.offlineLimit(), settings.offlineWindow());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Failed.class, m -> onFailed(m.diskId(), m.reason()))
        .onMessage(Check.class, m -> onCheck())
        .onMessage(Probe.class, m -> onProbe(m.diskId()))
        .onMessage(Probed.class, this::onProbed)
        .onMessage(HealthChecked.class, this::onHealthChecked)
        .onMessage(Clear.class, this::onClear)
        .onMessage(Remove.class, this::onRemove)
        .onMessage(InjectFault.class, this::onInjectFault)
        .onMessage(GetDisks.class, m -> {
          m.replyTo().tell(reply(null, null));
          return this;
        })
        .build();
  }

  private Behavior<Command> onFailed(String diskId, String reason) {
    State state = health.wentOffline(diskId, reason);
    DiskHealth.Status s = status(diskId);
    getContext().getLog().error("disk {} offline ({}): {}", diskId, state.label(), s.reason());
    publish(ClusterEvent.DISK_OFFLINE, state == State.HELD ? ClusterEvent.Severity.CRITICAL : ClusterEvent.Severity.WARNING, "disk " + diskId + " of " + nodeId + " is offline"
        + (state == State.HELD ? " and held for an operator" : "") + ": " + reason,
        Map.of("disk", diskId, "reason", reason, "state", state.label(), "offlinesInWindow", s.offlinesInWindow()));
    if (state == State.OFFLINE || state == State.REMOVING) scheduleProbe(diskId);
    return this;
  }

  private Behavior<Command> onCheck() {
    long now = System.nanoTime();
    if (now >= nextHealthCheckNs) {
      nextHealthCheckNs = now + settings.probeInterval().toNanos();
      ActorRef<Command> self = getContext().getSelf();
      for (DiskUsage u : store.disks()) {
        if (u.online() && checking.add(u.diskId())) {
          store.probe(u.diskId()).whenComplete((ok, err) -> self.tell(new HealthChecked(u.diskId(), err)));
        }
      }
    }
    Map<String, Duration> oldest = store.oldestIo();
    for (DiskUsage u : store.disks()) {
      Duration age = oldest.getOrDefault(u.diskId(), Duration.ZERO);
      if (u.online() && age.compareTo(settings.ioTimeout()) >= 0) {
        String reason = "an I/O unanswered for " + age.toSeconds() + " s (io-timeout " + settings.ioTimeout().toSeconds() + " s)";
        if (store.takeOffline(u.diskId(), reason)) onFailed(u.diskId(), reason);
      }
      if (health.state(u.diskId()) == State.REMOVING && u.egroups() == 0 && health.removalDone(u.diskId())) {
        store.takeOffline(u.diskId(), "removed");
        getContext().getLog().info("disk {} holds no replica any more: removed", u.diskId());
        publish(ClusterEvent.DISK_REMOVED, ClusterEvent.Severity.INFO, "disk " + u.diskId() + " of " + nodeId
            + " is removed: every replica was moved off", Map.of("disk", u.diskId()));
      }
    }
    return this;
  }

  private Behavior<Command> onHealthChecked(HealthChecked h) {
    checking.remove(h.diskId());
    if (h.failure() == null) return this;
    String reason = "health check failed: " + h.failure().getMessage();
    if (store.takeOffline(h.diskId(), reason)) onFailed(h.diskId(), reason);
    return this;
  }

  private void scheduleProbe(String diskId) {
    timers.startSingleTimer("probe-" + diskId, new Probe(diskId), settings.probeInterval());
  }

  private Behavior<Command> onProbe(String diskId) {
    State s = health.state(diskId);
    boolean offline = store.disks().stream().anyMatch(u -> u.diskId().equals(diskId) && !u.online());
    if ((s == State.OFFLINE || s == State.REMOVING) && offline) probe(diskId, null);
    return this;
  }

  private void probe(String diskId, ActorRef<Reply> operator) {
    ActorRef<Command> self = getContext().getSelf();
    store.probe(diskId).whenComplete((ok, err) -> self.tell(new Probed(diskId, err, operator)));
  }

  private Behavior<Command> onProbed(Probed p) {
    String diskId = p.diskId();
    if (p.failure() != null) {
      getContext().getLog().warn("probe of disk {} failed: {}", diskId, p.failure().toString());
      if (p.operator() != null) {
        p.operator().tell(reply(Problem.REFUSED, "disk " + diskId + " failed its probe, so it stays offline: " + p.failure()));
      } else {
        scheduleProbe(diskId);
      }
      return this;
    }
    if (p.operator() != null) {
      boolean back = store.bringOnline(diskId) || storeOnline(diskId);
      if (!back) {
        p.operator().tell(reply(Problem.REFUSED, "disk " + diskId + " was not opened at start; restart the node to use it"));
        return this;
      }
      State was = health.clear(diskId);
      store.setDraining(diskId, false);
      getContext().getLog().info("disk {} cleared by an operator (was {}): online", diskId, was.label());
      publish(ClusterEvent.DISK_ONLINE, ClusterEvent.Severity.INFO, "disk " + diskId + " of " + nodeId
          + " is online: cleared by an operator (was " + was.label() + ")", Map.of("disk", diskId, "reason", "operator"));
      p.operator().tell(reply(null, null));
      return this;
    }
    State s = health.state(diskId);
    if (s == State.REMOVING) {
      if (store.bringOnline(diskId)) getContext().getLog().info("disk {} (being removed) passed its probe: readable again", diskId);
      return this;
    }
    if (health.probePassed(diskId) && store.bringOnline(diskId)) {
      getContext().getLog().info("disk {} passed its probe: online", diskId);
      publish(ClusterEvent.DISK_ONLINE, ClusterEvent.Severity.INFO, "disk " + diskId + " of " + nodeId
          + " is online: it passed its probe", Map.of("disk", diskId, "reason", "probe passed"));
    }
    return this;
  }

  private boolean storeOnline(String diskId) {
    return store.disks().stream().anyMatch(u -> u.diskId().equals(diskId) && u.online());
  }

  private Behavior<Command> onClear(Clear m) {
    if (!known(m.diskId(), m.replyTo())) return this;
    timers.cancel("probe-" + m.diskId());
    probe(m.diskId(), m.replyTo());
    return this;
  }

  private Behavior<Command> onRemove(Remove m) {
    if (!known(m.diskId(), m.replyTo())) return this;
    if (!health.remove(m.diskId())) {
      m.replyTo().tell(reply(Problem.REFUSED, "disk " + m.diskId() + " is already " + health.state(m.diskId()).label()));
      return this;
    }
    store.setDraining(m.diskId(), true);
    getContext().getLog().warn("disk {} marked for removal by an operator: its replicas are moved off", m.diskId());
    publish(ClusterEvent.DISK_REMOVING, ClusterEvent.Severity.WARNING, "disk " + m.diskId() + " of " + nodeId
        + " is being removed: its replicas are moved to other disks", Map.of("disk", m.diskId()));
    m.replyTo().tell(reply(null, null));
    return this;
  }

  private Behavior<Command> onInjectFault(InjectFault m) {
    if (!settings.faultInjection()) {
      m.replyTo().tell(reply(Problem.FORBIDDEN, "disk fault injection is off on this node (cairn.disk-health.fault-injection)"));
      return this;
    }
    if (!known(m.diskId(), m.replyTo())) return this;
    store.injectFault(m.diskId(), m.fault());
    m.replyTo().tell(reply(null, null));
    return this;
  }

  private boolean known(String diskId, ActorRef<Reply> replyTo) {
    if (store.disks().stream().anyMatch(u -> u.diskId().equals(diskId))) return true;
    replyTo.tell(reply(Problem.NO_SUCH_DISK, "no disk '" + diskId + "' on node " + nodeId));
    return false;
  }

  private DiskHealth.Status status(String diskId) {
    return health.statuses().stream().filter(s -> s.diskId().equals(diskId)).findFirst().orElseThrow();
  }

  private Reply reply(Problem problem, String error) {
    Map<String, DiskUsage> usage = new LinkedHashMap<>();
    for (DiskUsage u : store.disks()) usage.put(u.diskId(), u);
    List<Disk> disks = health.statuses().stream().map(s -> new Disk(s.diskId(), s.state().label(), s.reason(),
        s.offlinesInWindow(), s.sinceMs(), usage.get(s.diskId()), store.fault(s.diskId()).mode().name())).toList();
    return new Reply(disks, problem, error);
  }

  /** Every state change ends here: the event, and the node's directory entry republished. */
  private void publish(String kind, ClusterEvent.Severity severity, String message, Map<String, ?> details) {
    events.publish(ClusterEvent.of(kind, severity, message, details));
    changed.run();
  }
}
