package io.cairn.datapath.scsi;

import io.netty.buffer.ByteBuf;

/**
 * The outcome of a SCSI command.
 *
 * @param status SAM status byte (GOOD 00h, CHECK CONDITION 02h, BUSY 08h, RESERVATION CONFLICT 18h,
 *     TASK SET FULL 28h, ...)
 * @param dataIn Data-In bytes, or {@code null}; owned by the transport, which releases it. May be
 *     longer than the expected data transfer length: the transport sends at most that much and
 *     reports the overflow as a residual.
 * @param sense sense data (fixed format, SPC-4 4.5.3) when status is CHECK CONDITION, else {@code null}
 * @param transferLength bytes the command transfers according to its CDB (Data-In length for reads,
 *     the CDB's write length for writes), so the transport can compute residual counts;
 *     {@code -1} when it equals what was actually transferred
 */
public record ScsiResponse(int status, ByteBuf dataIn, byte[] sense, long transferLength) {

  public static final int GOOD = 0x00;
  public static final int CHECK_CONDITION = 0x02;
  public static final int CONDITION_MET = 0x04;
  public static final int BUSY = 0x08;
  public static final int RESERVATION_CONFLICT = 0x18;
  public static final int TASK_SET_FULL = 0x28;
  public static final int TASK_ABORTED = 0x40;

  public static ScsiResponse good() {
    return new ScsiResponse(GOOD, null, null, -1);
  }

  public static ScsiResponse good(ByteBuf dataIn) {
    return new ScsiResponse(GOOD, dataIn, null, -1);
  }

  public static ScsiResponse checkCondition(byte[] sense) {
    return new ScsiResponse(CHECK_CONDITION, null, sense, -1);
  }
}
