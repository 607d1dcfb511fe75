package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;

/**
 * Ends an EXTENDED COPY or RECEIVE COPY RESULTS command with CHECK CONDITION and the (fixed
 * format) sense data it carries. Thrown on error paths only; no stack trace is captured.
 */
public final class CopyException extends RuntimeException {

  private final byte[] sense;

  public CopyException(byte[] sense) {
    super(null, null, false, false);
    this.sense = sense;
  }

  /** The sense data; the caller must not modify it. */
  public byte[] sense() {
    return sense;
  }

  @Override
  public String getMessage() {
    return SenseData.code(sense).toString();
  }

  static CopyException of(SenseCode code) {
    return new CopyException(SenseData.of(code));
  }

  /** PARAMETER LIST LENGTH ERROR (1Ah/00h): the list is truncated, or longer than the limits allow. */
  static CopyException parameterListLength() {
    return of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
  }

  /** An ILLEGAL REQUEST code with a field pointer into the parameter list (C/D = 0). */
  static CopyException inParameterList(SenseCode code, int offset, int bit) {
    return new CopyException(SenseData.withFieldPointer(code, false, offset, bit));
  }

  /** INVALID FIELD IN PARAMETER LIST at {@code bit} of parameter list byte {@code offset}. */
  static CopyException invalidField(int offset, int bit) {
    return inParameterList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, offset, bit);
  }

  /** INVALID FIELD IN CDB at {@code bit} of CDB byte {@code offset}. */
  public static CopyException invalidFieldInCdb(int offset, int bit) {
    return new CopyException(SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_CDB, true, offset, bit));
  }

  /**
   * COPY ABORTED while processing segment {@code segment}, the segment pointer at {@code fieldPointer}
   * (from the start of the segment descriptor when {@code inSegment}, else of the parameter list).
   */
  static CopyException aborted(SenseCode code, int segment, boolean inSegment, int fieldPointer, int bit) {
    return new CopyException(SenseData.copyAborted(code, segment, inSegment, fieldPointer, bit));
  }
}
