package io.cairn.datapath.scsi;

import io.cairn.datapath.scsi.copy.CopyResults;
import io.cairn.datapath.scsi.reservation.LogicalUnitReservations;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The device-server state of one LUN of one target: its task set (one for all I_T nexuses, TST =
 * 000b in the Control mode page), the unit attention conditions pending per nexus, the mode
 * parameters that can change (SWP), and its reservations. Lives as long as the LUN keeps the same
 * vDisk; not persisted (mode pages are not saveable, so a restart returns to the defaults as SPC-4
 * allows), except the persistent reservations, which {@link LogicalUnitReservations} keeps in the
 * vDisk's reservation store.
 *
 * <p>Thread-safe: portal threads admit tasks and take unit attentions concurrently; admission is
 * serialized per logical unit so ORDERED tasks see a consistent task set.
 */
final class LogicalUnit {

  final String targetName;
  final int lun;
  final UUID uuid;
  final LogicalUnitReservations reservations;
  /** Status of the EXTENDED COPY commands this LUN's copy manager ran, for RECEIVE COPY RESULTS. */
  final CopyResults<ItNexus> copyResults = new CopyResults<>();

  /** Every nexus seen on the target (shared by its logical units): who gets a unit attention. */
  private final Set<ItNexus> targetNexuses;
  private final ConcurrentHashMap<Task.Key, Task> tasks = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ItNexus, ArrayDeque<SenseCode>> unitAttentions = new ConcurrentHashMap<>();
  private volatile boolean softwareWriteProtect;
  /** Sanitize state (SBC-4 4.11): one of the SANITIZE_* values. Guarded by this for changes. */
  private volatile int sanitize = SANITIZE_IDLE;

  static final int SANITIZE_IDLE = 0;
  static final int SANITIZE_IN_PROGRESS = 1;
  /** The last sanitize failed with AUSE = 0: only a sanitize that completes without error exits. */
  static final int SANITIZE_FAILED_RESTRICTED = 2;
  /** The last sanitize failed with AUSE = 1: EXIT FAILURE MODE may also exit. */
  static final int SANITIZE_FAILED_UNRESTRICTED = 3;
  /** Settles when the last admitted ORDERED task has finished; later SIMPLE tasks wait for it. Guarded by this. */
  private CompletableFuture<Void> orderedTail;

  LogicalUnit(String targetName, int lun, UUID uuid, Set<ItNexus> targetNexuses, LogicalUnitReservations reservations) {
    this.targetName = targetName;
    this.lun = lun;
    this.uuid = uuid;
    this.targetNexuses = targetNexuses;
    this.reservations = reservations;
  }

  /**
   * Adds a task to the task set and says when it may start (SAM-5 8.6): a SIMPLE (or untagged, or
   * ACA, treated as SIMPLE since NACA is unsupported) task waits for the last ORDERED task; an ORDERED
   * task waits for every task admitted before it; a HEAD OF QUEUE task starts at once.
   *
   * @return the future to wait for, or null to start now
   * @throws CheckCondition OVERLAPPED COMMANDS ATTEMPTED when the nexus reuses a live task tag
   */
  synchronized CompletableFuture<?> admit(Task t) {
    if (tasks.putIfAbsent(t.key, t) != null) throw CheckCondition.of(SenseCode.OVERLAPPED_COMMANDS_ATTEMPTED);
    t.result.whenComplete((r, e) -> tasks.remove(t.key, t));
    switch (t.attribute) {
      case Task.HEAD_OF_QUEUE:
        return null;
      case Task.ORDERED: {
        List<CompletableFuture<Void>> before = new ArrayList<>();
        for (Task other : tasks.values()) {
          if (other != t) before.add(other.settled);
        }
        orderedTail = t.settled;
        return before.isEmpty() ? null : CompletableFuture.allOf(before.toArray(new CompletableFuture<?>[0]));
      }
      default: {
        CompletableFuture<Void> tail = orderedTail;
        return tail == null || tail.isDone() ? null : tail;
      }
    }
  }

  Task task(ItNexus nexus, int tag) {
    return tasks.get(new Task.Key(nexus, tag));
  }

  /** The tasks matching {@code which}, at the moment of the call. */
  List<Task> tasks(Predicate<Task> which) {
    List<Task> out = new ArrayList<>();
    for (Task t : tasks.values()) if (which.test(t)) out.add(t);
    return out;
  }

  /**
   * Takes the oldest unit attention pending for this nexus (it is reported once), as sense data,
   * or null when none is pending.
   */
  byte[] takeUnitAttention(ItNexus nexus) {
    if (unitAttentions.isEmpty()) return null;
    SenseCode[] taken = new SenseCode[1];
    unitAttentions.computeIfPresent(nexus, (n, q) -> {
      taken[0] = q.poll();
      return q.isEmpty() ? null : q;
    });
    return taken[0] == null ? null : SenseData.of(taken[0]);
  }

  void establishUnitAttention(ItNexus nexus, SenseCode code) {
    unitAttentions.compute(nexus, (n, q) -> {
      if (q == null) q = new ArrayDeque<>(2);
      if (!q.contains(code)) q.add(code);
      return q;
    });
  }

  /** Establishes a unit attention for every nexus known to the target except {@code except}. */
  void establishUnitAttentionForOthers(ItNexus except, SenseCode code) {
    establishUnitAttention(n -> !n.equals(except), code);
  }

  /** Establishes a unit attention for every nexus known to the target that {@code who} accepts. */
  void establishUnitAttention(Predicate<ItNexus> who, SenseCode code) {
    Set<ItNexus> all = new HashSet<>(targetNexuses);
    for (Task t : tasks.values()) all.add(t.nexus());
    all.addAll(unitAttentions.keySet());
    for (ItNexus n : all) {
      if (who.test(n)) establishUnitAttention(n, code);
    }
  }

  /**
   * Logical unit reset (SAM-5 6.3.3): aborts every task, returns mode parameters to their defaults,
   * releases an SPC-2 reservation (persistent reservations stay), discards held copy status and
   * establishes {@code ua} for every nexus known to the target, the issuer's included (SAM-5
   * 6.3.3 e: "for the initiator port associated with every I_T nexus"; a multipath host sees it on
   * each of its paths).
   *
   * @return the aborted tasks
   */
  List<Task> reset(ItNexus issuer, SenseCode ua, String why) {
    List<Task> aborted = abortAll(t -> true, why);
    synchronized (this) {
      orderedTail = null;
    }
    softwareWriteProtect = false;
    reservations.reset();
    copyResults.clear();
    establishUnitAttentionForOthers(issuer, ua);
    establishUnitAttention(issuer, ua);
    return aborted;
  }

  /** Aborts the matching tasks; returns those this call aborted. */
  List<Task> abortAll(Predicate<Task> which, String why) {
    List<Task> aborted = new ArrayList<>();
    for (Task t : tasks(which)) {
      if (t.abort(why)) aborted.add(t);
    }
    return aborted;
  }

  /**
   * The nexus is gone: its tasks are aborted, its unit attentions and held copy status dropped, its
   * SPC-2 reservation released.
   */
  List<Task> forget(ItNexus nexus) {
    List<Task> aborted = abortAll(t -> t.nexus().equals(nexus), "I_T nexus loss");
    unitAttentions.remove(nexus);
    reservations.nexusLost(nexus);
    copyResults.forget(nexus);
    return aborted;
  }

  /**
   * Why a command may not run now because of a sanitize operation, or null: while one is in
   * progress every command but those that run for any LUN (INQUIRY, REPORT LUNS, REQUEST SENSE)
   * gets NOT READY, SANITIZE IN PROGRESS; after one failed, everything but SANITIZE gets MEDIUM
   * ERROR, SANITIZE COMMAND FAILED. Not persisted, and not cleared by resets (a sanitize runs on).
   */
  SenseCode sanitizeCondition(boolean isSanitize) {
    int state = sanitize;
    if (state == SANITIZE_IN_PROGRESS) return SenseCode.SANITIZE_IN_PROGRESS;
    if (state != SANITIZE_IDLE && !isSanitize) return SenseCode.SANITIZE_COMMAND_FAILED;
    return null;
  }

  boolean sanitizeInProgress() {
    return sanitize == SANITIZE_IN_PROGRESS;
  }

  /** Starts a sanitize operation; false when one is already in progress. */
  synchronized boolean beginSanitize() {
    if (sanitize == SANITIZE_IN_PROGRESS) return false;
    sanitize = SANITIZE_IN_PROGRESS;
    return true;
  }

  /** Ends the sanitize operation in progress: idle when it succeeded, else failure mode. */
  synchronized void endSanitize(boolean ok, boolean ause) {
    sanitize = ok ? SANITIZE_IDLE : ause ? SANITIZE_FAILED_UNRESTRICTED : SANITIZE_FAILED_RESTRICTED;
  }

  /**
   * EXIT FAILURE MODE: leaves an unrestricted failure mode (or does nothing when there is none);
   * false when the failure mode is restricted and must not be left that way.
   */
  synchronized boolean exitSanitizeFailureMode() {
    if (sanitize == SANITIZE_FAILED_RESTRICTED) return false;
    if (sanitize == SANITIZE_FAILED_UNRESTRICTED) sanitize = SANITIZE_IDLE;
    return true;
  }

  boolean softwareWriteProtect() {
    return softwareWriteProtect;
  }

  void softwareWriteProtect(boolean on) {
    softwareWriteProtect = on;
  }
}
