package io.cairn.datapath.scsi;

import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;

/**
 * Thrown by CDB checks and command handlers to end a command with CHECK CONDITION and the sense
 * data it carries. Control flow on error paths only; no stack trace is captured.
 */
final class CheckCondition extends RuntimeException {

  private final byte[] sense;
  private final long transferLength;

  CheckCondition(byte[] sense) {
    this(sense, -1);
  }

  /**
   * @param transferLength bytes the CDB asked to transfer, reported in the response so the
   *     transport computes residuals against it ({@code -1}: none)
   */
  CheckCondition(byte[] sense, long transferLength) {
    super(null, null, false, false);
    this.sense = sense;
    this.transferLength = transferLength;
  }

  byte[] sense() {
    return sense;
  }

  ScsiResponse response() {
    return new ScsiResponse(ScsiResponse.CHECK_CONDITION, null, sense, transferLength);
  }

  @Override
  public String getMessage() {
    return SenseData.code(sense).toString();
  }

  static CheckCondition of(SenseCode code) {
    return new CheckCondition(SenseData.of(code));
  }

  /** INVALID FIELD IN CDB pointing at {@code bit} of CDB byte {@code offset} (bit -1: whole byte). */
  static CheckCondition invalidFieldInCdb(int offset, int bit) {
    return new CheckCondition(SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_CDB, true, offset, bit));
  }

  /** INVALID FIELD IN PARAMETER LIST pointing at {@code bit} of parameter byte {@code offset}. */
  static CheckCondition invalidFieldInParameterList(int offset, int bit) {
    return new CheckCondition(SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, false, offset, bit));
  }

  static CheckCondition lbaOutOfRange() {
    return of(SenseCode.LBA_OUT_OF_RANGE);
  }
}
