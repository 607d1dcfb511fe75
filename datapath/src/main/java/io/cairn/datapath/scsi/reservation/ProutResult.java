package io.cairn.datapath.scsi.reservation;

import io.cairn.datapath.scsi.ScsiResponse;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.util.List;

/**
 * The outcome of a PERSISTENT RESERVE OUT once its new state is durable, with what the SCSI layer
 * still has to do before it answers: the unit attentions to establish and, for PREEMPT AND ABORT,
 * whose tasks to abort.
 *
 * @param status GOOD, RESERVATION CONFLICT or CHECK CONDITION ({@link ScsiResponse} constants)
 * @param sense sense data with CHECK CONDITION, else null
 * @param unitAttentions unit attentions, each for every I_T nexus its registration matches except
 *     the one the command came on
 * @param aborted registrations whose I_T nexuses' tasks PREEMPT AND ABORT aborts (empty otherwise)
 */
public record ProutResult(int status, byte[] sense, List<UnitAttention> unitAttentions, List<Registration> aborted) {

  /** A unit attention {@code code} for the I_T nexuses of registration {@code to}. */
  public record UnitAttention(Registration to, SenseCode code) {}

  public ProutResult {
    unitAttentions = List.copyOf(unitAttentions);
    aborted = List.copyOf(aborted);
  }

  static final ProutResult GOOD = new ProutResult(ScsiResponse.GOOD, null, List.of(), List.of());
  static final ProutResult CONFLICT = new ProutResult(ScsiResponse.RESERVATION_CONFLICT, null, List.of(), List.of());

  static ProutResult check(byte[] sense) {
    return new ProutResult(ScsiResponse.CHECK_CONDITION, sense, List.of(), List.of());
  }
}
