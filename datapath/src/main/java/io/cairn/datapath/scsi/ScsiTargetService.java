package io.cairn.datapath.scsi;

import io.cairn.datapath.scsi.copy.ChunkedDataCopier;
import io.cairn.datapath.scsi.copy.CopyLimits;
import io.cairn.datapath.scsi.copy.CopyManager;
import io.cairn.datapath.scsi.copy.RangeCopier;
import io.cairn.datapath.scsi.reservation.LogicalUnitReservations;
import io.cairn.datapath.scsi.reservation.ReservationStore;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI target device layer (SAM-5 device server and task manager, SPC-4, SBC-3) over the
 * targets of a {@link TargetCatalog}: every exported vDisk is a direct-access logical unit.
 *
 * <p>A command goes: target and LUN resolution from the catalog (a LUN the target lacks answers
 * only INQUIRY, REPORT LUNS and REQUEST SENSE; anything else gets LOGICAL UNIT NOT SUPPORTED) →
 * the {@link CommandTable} entry for its opcode → a pending unit attention, if any, instead of the
 * command → admission to the logical unit's task set (task attributes), which also waits for the
 * logical unit's persistent reservations to be loaded → the CDB checks → the reservation check
 * (RESERVATION CONFLICT) → the handler → the vDisk I/O, whose {@link VDiskIoException.Kind}
 * becomes sense data.
 *
 * <p>Threading: called from portal threads, never blocks; vDisk futures complete on any thread and
 * finish the command there. Buffers: the command's Data-Out is owned here from {@link #execute}
 * on and released on every path (handed to {@code VDiskIo.write}, which releases it, or released
 * here); a Data-In buffer goes to the transport with the response, or is released here when the
 * response lost to an abort or timeout.
 */
public final class ScsiTargetService implements ScsiService {

  private static final Logger LOG = LoggerFactory.getLogger(ScsiTargetService.class);

  /** RFC 7143 11.6.1 task management function response codes. */
  static final int FUNCTION_COMPLETE = 0;
  static final int TASK_DOES_NOT_EXIST = 1;
  static final int LUN_DOES_NOT_EXIST = 2;
  static final int TASK_REASSIGNMENT_NOT_SUPPORTED = 4;
  static final int FUNCTION_NOT_SUPPORTED = 5;

  /** The answer of a medium command whose I/O outlived the timeout; shared, its sense is never written. */
  private static final ScsiResponse IO_TIMEOUT = ScsiResponse.checkCondition(SenseData.of(SenseCode.TIMEOUT_ON_LOGICAL_UNIT));

  private final TargetCatalog catalog;
  private final ScsiSettings settings;
  private final ReservationStore reservationStore;
  private final CommandTable table;
  private final long ioTimeoutNs;
  private final ConcurrentHashMap<UnitKey, LogicalUnit> units = new ConcurrentHashMap<>();
  /** Every nexus that sent a command to a target, by target name: the recipients of unit attentions. */
  private final ConcurrentHashMap<String, Set<ItNexus>> nexusesByTarget = new ConcurrentHashMap<>();

  private record UnitKey(String targetName, int lun) {}

  /** A service whose persistent reservations live in memory only (tests, tools). */
  public ScsiTargetService(TargetCatalog catalog) {
    this(catalog, ScsiSettings.DEFAULT);
  }

  /** A service whose persistent reservations live in memory only (tests, tools). */
  public ScsiTargetService(TargetCatalog catalog, ScsiSettings settings) {
    this(catalog, settings, ReservationStore.inMemory(), List.of());
  }

  /**
   * @param reservationStore where each vDisk's persistent reservations are loaded from and saved to
   * @param portalGroupTags the target portal groups of this node's portals (each a target port
   *     group of implicit ALUA, REPORT TARGET PORT GROUPS lists them all); empty reports only the
   *     group of the path a command came through
   */
  public ScsiTargetService(TargetCatalog catalog, ScsiSettings settings, ReservationStore reservationStore,
      List<Integer> portalGroupTags) {
    this(catalog, settings, reservationStore, portalGroupTags,
        new ChunkedDataCopier(CopyLimits.DEFAULT.chunkBytes(), settings.ioTimeout()));
  }

  /**
   * @param reservationStore where each vDisk's persistent reservations are loaded from and saved to
   * @param portalGroupTags the target portal groups of this node's portals
   * @param copier how the copy manager moves the bytes of an EXTENDED COPY segment (the seam where a
   *     metadata copy replaces the data copy); its limits are {@link CopyLimits#DEFAULT}, which the
   *     Third-party Copy VPD page reports
   */
  ScsiTargetService(TargetCatalog catalog, ScsiSettings settings, ReservationStore reservationStore,
      List<Integer> portalGroupTags, RangeCopier copier) {
    this.catalog = catalog;
    this.settings = settings;
    this.reservationStore = reservationStore;
    this.table = CommandTable.standard(settings);
    new ThirdPartyCopyCommands(new CopyManager(CopyLimits.DEFAULT, copier),
        (target, lun) -> unit(target, lun, nexuses(target.iqn()))).register(table);
    AluaCommands.register(table, List.copyOf(portalGroupTags));
    this.ioTimeoutNs = settings.ioTimeout().toNanos();
  }

  @Override
  public CompletableFuture<ScsiResponse> execute(ItNexus nexus, ScsiCommand command) {
    boolean dataOutHandedOver = false;
    try {
      byte[] cdb = command.cdb();
      if (cdb == null || cdb.length == 0) {
        return checkCondition(SenseCode.INVALID_COMMAND_OPERATION_CODE);
      }
      TargetInfo target = catalog.target(nexus.targetName()).orElse(null);
      LunEntry lun = target == null ? null : target.lun(command.lun()).orElse(null);
      CommandEntry entry = table.lookup(cdb);
      if (lun == null) {
        if (!entry.has(CommandEntry.ANY_LUN)) return checkCondition(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
        dataOutHandedOver = true;
        return invoke(entry, new CommandContext(nexus, command, target, null, null, settings))
            .handle((r, e) -> e == null ? r : failureResponse(e));
      }
      Set<ItNexus> nexuses = nexuses(target.iqn());
      if (!nexuses.contains(nexus)) nexuses.add(nexus);
      LogicalUnit unit = unit(target, lun, nexuses);
      if (!entry.has(CommandEntry.NO_UNIT_ATTENTION)) {
        byte[] ua = unit.takeUnitAttention(nexus);
        if (ua != null) return CompletableFuture.completedFuture(ScsiResponse.checkCondition(ua));
      }
      if (!entry.has(CommandEntry.ANY_LUN)) {
        SenseCode sanitizing = unit.sanitizeCondition(entry.opcode() == SbcDataCommands.SANITIZE);
        if (sanitizing != null) return checkCondition(sanitizing);
      }
      Task task = new Task(nexus, command, entry);
      CompletableFuture<?> barrier = unit.admit(task);
      if (!unit.reservations.loaded()) {
        // After a restart the reservations are read before the first command is checked against
        // them (a failed read is retried here, by the next command).
        CompletableFuture<Void> settledLoad = unit.reservations.load().handle((v, e) -> null);
        if (!settledLoad.isDone()) barrier = barrier == null ? settledLoad : CompletableFuture.allOf(barrier, settledLoad);
      }
      CommandContext ctx = new CommandContext(nexus, command, target, lun, unit, settings);
      ctx.task = task;
      dataOutHandedOver = true;
      if (barrier == null) {
        start(task, ctx);
      } else {
        barrier.whenComplete((v, e) -> start(task, ctx));
      }
      return task.result;
    } catch (CheckCondition cc) {
      return CompletableFuture.completedFuture(cc.response());
    } catch (RuntimeException e) {
      LOG.warn("{}: command {} failed before it started", nexus, command.opcode(), e);
      return checkCondition(SenseCode.INTERNAL_TARGET_FAILURE);
    } finally {
      if (!dataOutHandedOver && command.dataOut() != null) command.dataOut().release();
    }
  }

  /**
   * Starts an admitted task: unless it was aborted while it waited, with the I/O timeout armed for
   * medium commands. The outcome is offered to the transport's future; if that was already decided
   * (abort, timeout) the outcome's Data-In is released. Either way the task then counts as settled.
   */
  private void start(Task task, CommandContext ctx) {
    if (task.result.isDone()) {
      ctx.releaseDataOut();
      task.settled.complete(null);
      return;
    }
    if (task.entry.has(CommandEntry.MEDIUM_ACCESS)) {
      task.result.completeOnTimeout(IO_TIMEOUT, ioTimeoutNs, TimeUnit.NANOSECONDS);
    }
    invoke(task.entry, ctx).whenComplete((r, e) -> {
      ScsiResponse response = e == null ? r : failureResponse(e);
      if (!task.result.complete(response)) release(response);
      task.settled.complete(null);
    });
  }

  /**
   * Checks the CDB, then (for an implemented command on an existing LUN) the reservations, and runs
   * the handler; releases the Data-Out the handler did not take.
   */
  private CompletableFuture<ScsiResponse> invoke(CommandEntry entry, CommandContext ctx) {
    try {
      CommandTable.checkCdb(entry, ctx.cdb);
      if (ctx.unit != null && table.implemented(entry)) {
        ScsiResponse conflict = ReservationCommands.conflictResponse(ctx.unit.reservations.check(ctx.nexus, ctx.cdb));
        if (conflict != null) return CompletableFuture.completedFuture(conflict);
      }
      return entry.handler().execute(ctx);
    } catch (CheckCondition cc) {
      return CompletableFuture.completedFuture(cc.response());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    } finally {
      ctx.releaseDataOut();
    }
  }

  /** CHECK CONDITION for a failed command: its own sense, or the vDisk failure's, per VDiskIoException.Kind. */
  static ScsiResponse failureResponse(Throwable failure) {
    Throwable c = failure;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof CheckCondition cc) return cc.response();
    VDiskIoException v = VDiskIoException.of(c);
    SenseCode code = switch (v.kind()) {
      case UNRECOVERED_READ_ERROR -> SenseCode.UNRECOVERED_READ_ERROR;
      case WRITE_ERROR -> SenseCode.WRITE_ERROR;
      case LBA_OUT_OF_RANGE -> SenseCode.LBA_OUT_OF_RANGE;
      case SPACE_EXHAUSTED -> SenseCode.SPACE_ALLOCATION_FAILED_WRITE_PROTECT;
      case NOT_READY -> SenseCode.LOGICAL_UNIT_NOT_READY;
      case TIMEOUT -> SenseCode.TIMEOUT_ON_LOGICAL_UNIT;
      case INTERNAL -> SenseCode.INTERNAL_TARGET_FAILURE;
    };
    if (v.kind() == VDiskIoException.Kind.INTERNAL) {
      LOG.warn("command failed: internal target failure", v);
    } else {
      LOG.debug("command failed: {} ({})", v.kind(), v.getMessage());
    }
    return ScsiResponse.checkCondition(SenseData.of(code));
  }

  private static void release(ScsiResponse r) {
    ByteBuf b = r.dataIn();
    if (b != null) b.release();
  }

  private static CompletableFuture<ScsiResponse> checkCondition(SenseCode code) {
    return CompletableFuture.completedFuture(ScsiResponse.checkCondition(SenseData.of(code)));
  }

  private Set<ItNexus> nexuses(String targetName) {
    return nexusesByTarget.computeIfAbsent(targetName, k -> ConcurrentHashMap.newKeySet());
  }

  /** The device-server state of a LUN; new when the LUN now maps to another vDisk. */
  private LogicalUnit unit(TargetInfo target, LunEntry lun, Set<ItNexus> nexuses) {
    UnitKey key = new UnitKey(target.iqn(), lun.lun());
    UUID uuid = lun.info().uuid();
    LogicalUnit u = units.get(key);
    if (u != null && u.uuid.equals(uuid)) return u;
    LogicalUnit unit = units.compute(key, (k, old) -> old != null && old.uuid.equals(uuid) ? old
        : new LogicalUnit(target.iqn(), lun.lun(), uuid, nexuses, new LogicalUnitReservations(lun.info().vdiskId(), reservationStore)));
    // Start reading the LUN's persistent reservations as soon as it is first addressed.
    unit.reservations.load();
    return unit;
  }

  /**
   * Task management (SAM-5 7, RFC 7143 11.5). The aborted commands' futures fail at once with
   * {@link TaskAbortedException}; the function itself completes when their vDisk I/O has returned
   * (at most the I/O timeout later), so that an aborted write cannot land after the initiator was
   * told it is gone. ABORT TASK answers TASK DOES NOT EXIST for a tag with no task; the transport
   * turns that into FUNCTION COMPLETE when RefCmdSN says the command was never received (RFC 7143
   * 11.6.1 b). CLEAR ACA is not supported (NACA is rejected, so no ACA exists); TASK REASSIGN is
   * connection recovery, which this layer does not do.
   */
  @Override
  public CompletableFuture<Integer> taskManagement(ItNexus nexus, TaskManagementFunction function, int lun, int referencedTaskTag) {
    TargetInfo target = catalog.target(nexus.targetName()).orElse(null);
    switch (function) {
      case TARGET_WARM_RESET, TARGET_COLD_RESET -> {
        if (target == null) return CompletableFuture.completedFuture(FUNCTION_COMPLETE);
        SenseCode ua = function == TaskManagementFunction.TARGET_WARM_RESET
            ? SenseCode.POWER_ON_RESET_OCCURRED : SenseCode.POWER_ON_OCCURRED;
        Set<ItNexus> nexuses = nexuses(target.iqn());
        List<Task> aborted = new ArrayList<>();
        for (LunEntry e : target.luns()) aborted.addAll(unit(target, e, nexuses).reset(nexus, ua, function.name()));
        return whenSettled(aborted);
      }
      case TASK_REASSIGN -> {
        return CompletableFuture.completedFuture(TASK_REASSIGNMENT_NOT_SUPPORTED);
      }
      default -> { }
    }
    LunEntry entry = target == null ? null : target.lun(lun).orElse(null);
    if (entry == null) return CompletableFuture.completedFuture(LUN_DOES_NOT_EXIST);
    LogicalUnit unit = unit(target, entry, nexuses(target.iqn()));
    switch (function) {
      case ABORT_TASK -> {
        Task task = unit.task(nexus, referencedTaskTag);
        // A task whose outcome is already decided (its response is on its way) cannot be aborted:
        // answering FUNCTION COMPLETE for it would let the initiator see both.
        if (task == null || !task.abort("ABORT TASK")) return CompletableFuture.completedFuture(TASK_DOES_NOT_EXIST);
        return whenSettled(List.of(task));
      }
      case ABORT_TASK_SET -> {
        return whenSettled(unit.abortAll(t -> t.nexus().equals(nexus), "ABORT TASK SET"));
      }
      case CLEAR_TASK_SET -> {
        List<Task> aborted = unit.abortAll(t -> true, "CLEAR TASK SET");
        for (Task t : aborted) {
          if (!t.nexus().equals(nexus)) unit.establishUnitAttention(t.nexus(), SenseCode.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
        }
        return whenSettled(aborted);
      }
      case LOGICAL_UNIT_RESET -> {
        return whenSettled(unit.reset(nexus, SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED, "LOGICAL UNIT RESET"));
      }
      default -> {
        return CompletableFuture.completedFuture(FUNCTION_NOT_SUPPORTED);
      }
    }
  }

  private CompletableFuture<Integer> whenSettled(List<Task> aborted) {
    if (aborted.isEmpty()) return CompletableFuture.completedFuture(FUNCTION_COMPLETE);
    CompletableFuture<?>[] settled = new CompletableFuture<?>[aborted.size()];
    for (int i = 0; i < settled.length; i++) settled[i] = aborted.get(i).settled;
    return CompletableFuture.allOf(settled)
        .completeOnTimeout(null, ioTimeoutNs, TimeUnit.NANOSECONDS)
        .thenApply(v -> FUNCTION_COMPLETE);
  }

  @Override
  public void nexusLost(ItNexus nexus) {
    for (LogicalUnit u : units.values()) {
      if (u.targetName.equals(nexus.targetName())) u.forget(nexus);
    }
    Set<ItNexus> nexuses = nexusesByTarget.get(nexus.targetName());
    if (nexuses != null) nexuses.remove(nexus);
  }
}
