package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.Bytes.u16;
import static io.cairn.datapath.scsi.Bytes.u32;
import static io.cairn.datapath.scsi.CommandEntry.usage;

import io.cairn.datapath.scsi.reservation.LogicalUnitReservations;
import io.cairn.datapath.scsi.reservation.ProutResult;
import io.cairn.datapath.scsi.reservation.Registration;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reservation commands: PERSISTENT RESERVE IN (SPC-4 6.16) and OUT (6.17) with every service
 * action, and the SPC-2 RESERVE(6)/(10), RELEASE(6)/(10). The model lives in
 * {@link io.cairn.datapath.scsi.reservation}; these handlers check the CDB, move the parameter data,
 * and apply what a PERSISTENT RESERVE OUT leaves to the device server (unit attentions, aborted tasks)
 * before they answer.
 *
 * <pre>
 *   PERSISTENT RESERVE IN (5Eh):  1 SERVICE ACTION (4..0)  7-8 ALLOCATION LENGTH
 *   PERSISTENT RESERVE OUT (5Fh): 1 SERVICE ACTION (4..0)  2 SCOPE (7..4) | TYPE (3..0)
 *                                 5-8 PARAMETER LIST LENGTH
 *   RESERVE(6) 16h, RELEASE(6) 17h:   no field (third-party and extent reservations, obsolete,
 *                                     are rejected)
 *   RESERVE(10) 56h, RELEASE(10) 57h: 3RDPTY and LONGID rejected; bytes 2-3 and the PARAMETER LIST
 *                                     LENGTH (7-8) only matter with 3RDPTY and are ignored
 * </pre>
 */
final class ReservationCommands {

  static final int RESERVE_6 = 0x16;
  static final int RELEASE_6 = 0x17;
  static final int RESERVE_10 = 0x56;
  static final int RELEASE_10 = 0x57;
  static final int PERSISTENT_RESERVE_IN = 0x5E;
  static final int PERSISTENT_RESERVE_OUT = 0x5F;

  static final String[] PRIN_NAMES = {"READ KEYS", "READ RESERVATION", "REPORT CAPABILITIES", "READ FULL STATUS"};
  static final String[] PROUT_NAMES = {"REGISTER", "RESERVE", "RELEASE", "CLEAR", "PREEMPT", "PREEMPT AND ABORT",
      "REGISTER AND IGNORE EXISTING KEY", "REGISTER AND MOVE"};

  /** Largest PARAMETER LIST LENGTH read: REGISTER AND MOVE with the longest iSCSI TransportID. */
  static final int MAX_PROUT_PARAMETER_LIST_LENGTH = 24 + 4 + 256 + 24;

  private ReservationCommands() {}

  static void register(CommandTable t, ScsiSettings settings) {
    for (int sa = 0; sa < PRIN_NAMES.length; sa++) {
      int serviceAction = sa;
      t.register(new CommandEntry(PERSISTENT_RESERVE_IN, sa, "PERSISTENT RESERVE IN " + PRIN_NAMES[sa],
          usage(0xFF, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00), 0,
          ctx -> persistentReserveIn(ctx, serviceAction)));
    }
    for (int sa = 0; sa < PROUT_NAMES.length; sa++) {
      t.register(new CommandEntry(PERSISTENT_RESERVE_OUT, sa, "PERSISTENT RESERVE OUT " + PROUT_NAMES[sa],
          usage(0xFF, 0x1F, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00), 0,
          ctx -> persistentReserveOut(ctx, settings)));
    }
    t.register(new CommandEntry(RESERVE_6, -1, "RESERVE(6)",
        usage(0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0x00), 0, ReservationCommands::reserve));
    t.register(new CommandEntry(RELEASE_6, -1, "RELEASE(6)",
        usage(0xFF, 0x00, 0xFF, 0x00, 0x00, 0x00), 0, ReservationCommands::release));
    t.register(new CommandEntry(RESERVE_10, -1, "RESERVE(10)",
        usage(0xFF, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00), 0, ReservationCommands::reserve));
    t.register(new CommandEntry(RELEASE_10, -1, "RELEASE(10)",
        usage(0xFF, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00), 0, ReservationCommands::release));
  }

  /** PERSISTENT RESERVE IN: the service action's data from the current state, cut to the allocation length. */
  static CompletableFuture<ScsiResponse> persistentReserveIn(CommandContext ctx, int serviceAction) {
    int allocation = u16(ctx.cdb, 7);
    byte[] data = ctx.unit.reservations.persistentReserveIn(serviceAction);
    if (data == null) throw CheckCondition.of(SenseCode.LOGICAL_UNIT_NOT_READY);
    return CommandContext.dataIn(data, data.length, allocation);
  }

  /**
   * PERSISTENT RESERVE OUT: answers once the new state is durable, after establishing the unit
   * attentions the change causes and, for PREEMPT AND ABORT, once the preempted I_T nexuses' tasks
   * (all but this one) are aborted and their I/O has returned (at most the I/O timeout later).
   */
  static CompletableFuture<ScsiResponse> persistentReserveOut(CommandContext ctx, ScsiSettings settings) {
    byte[] cdb = ctx.cdb;
    int serviceAction = cdb[1] & 0x1F;
    int scope = (cdb[2] >> 4) & 0x0F;
    int type = cdb[2] & 0x0F;
    long length = u32(cdb, 5);
    if (length > MAX_PROUT_PARAMETER_LIST_LENGTH) throw CheckCondition.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
    byte[] list = new byte[(int) length];
    ByteBuf data = ctx.takeDataOut(length);
    if (data != null) {
      try {
        data.getBytes(data.readerIndex(), list);
      } finally {
        data.release();
      }
    }
    LogicalUnit unit = ctx.unit;
    ItNexus nexus = ctx.nexus;
    Task.Key self = new Task.Key(nexus, ctx.command.taskTag());
    return unit.reservations.persistentReserveOut(nexus, serviceAction, scope, type, list)
        .handle((r, e) -> {
          if (e != null) return CompletableFuture.completedFuture(ScsiResponse.checkCondition(SenseData.of(SenseCode.INTERNAL_TARGET_FAILURE)));
          for (ProutResult.UnitAttention ua : r.unitAttentions()) {
            unit.establishUnitAttention(k -> !k.equals(nexus) && ua.to().matches(k), ua.code());
          }
          ScsiResponse response = response(r);
          if (r.aborted().isEmpty()) return CompletableFuture.completedFuture(response);
          List<Registration> preempted = r.aborted();
          List<Task> aborted = unit.abortAll(
              t -> !t.key.equals(self) && preempted.stream().anyMatch(reg -> reg.matches(t.nexus())), "PREEMPT AND ABORT");
          CompletableFuture<?>[] settled = aborted.stream().map(t -> t.settled).toArray(CompletableFuture<?>[]::new);
          return CompletableFuture.allOf(settled)
              .completeOnTimeout(null, settings.ioTimeout().toNanos(), TimeUnit.NANOSECONDS)
              .thenApply(v -> response);
        })
        .thenCompose(f -> f);
  }

  private static ScsiResponse response(ProutResult r) {
    return switch (r.status()) {
      case ScsiResponse.GOOD -> ScsiResponse.good();
      case ScsiResponse.CHECK_CONDITION -> ScsiResponse.checkCondition(r.sense());
      default -> new ScsiResponse(r.status(), null, null, -1);
    };
  }

  static CompletableFuture<ScsiResponse> reserve(CommandContext ctx) {
    return ctx.unit.reservations.reserve(ctx.nexus).handle(ReservationCommands::statusResponse);
  }

  static CompletableFuture<ScsiResponse> release(CommandContext ctx) {
    return ctx.unit.reservations.release(ctx.nexus).handle(ReservationCommands::statusResponse);
  }

  private static ScsiResponse statusResponse(Integer status, Throwable failure) {
    if (failure != null) return ScsiResponse.checkCondition(SenseData.of(SenseCode.LOGICAL_UNIT_NOT_READY));
    return status == ScsiResponse.GOOD ? ScsiResponse.good() : new ScsiResponse(status, null, null, -1);
  }

  /** A {@link LogicalUnitReservations} check outcome as the response that ends the command, or null to run it. */
  static ScsiResponse conflictResponse(LogicalUnitReservations.Check check) {
    return switch (check) {
      case ALLOWED -> null;
      case CONFLICT -> new ScsiResponse(ScsiResponse.RESERVATION_CONFLICT, null, null, -1);
      case NOT_LOADED -> ScsiResponse.checkCondition(SenseData.of(SenseCode.LOGICAL_UNIT_NOT_READY));
    };
  }
}
