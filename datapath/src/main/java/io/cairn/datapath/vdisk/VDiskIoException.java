package io.cairn.datapath.vdisk;

/**
 * Why a vDisk I/O failed. The SCSI layer maps each {@link Kind} to one (sense key, ASC/ASCQ) pair;
 * the message is for logs and operators only.
 */
public final class VDiskIoException extends RuntimeException {

  /** Failure classes the front end distinguishes. */
  public enum Kind {
    /** Stored data failed its checksum and no good copy exists: MEDIUM ERROR, UNRECOVERED READ ERROR (11h/00h). */
    UNRECOVERED_READ_ERROR,
    /** The bytes could not be made durable: MEDIUM ERROR, WRITE ERROR (0Ch/00h). */
    WRITE_ERROR,
    /** The range lies beyond the vDisk: ILLEGAL REQUEST, LBA OUT OF RANGE (21h/00h). */
    LBA_OUT_OF_RANGE,
    /** No space left to hold the data: DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT (27h/07h). */
    SPACE_EXHAUSTED,
    /** The vDisk is not (yet, or any more) available: NOT READY, LOGICAL UNIT NOT READY (04h/00h). */
    NOT_READY,
    /** The I/O did not finish within its deadline: ABORTED COMMAND, TIMEOUT ON LOGICAL UNIT (3Eh/02h). */
    TIMEOUT,
    /** Anything else: HARDWARE ERROR, INTERNAL TARGET FAILURE (44h/00h). */
    INTERNAL
  }

  private final Kind kind;

  public VDiskIoException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public VDiskIoException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Unwraps completion wrappers and classifies any throwable (non-VDiskIoException = INTERNAL). */
  public static VDiskIoException of(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException
        || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof VDiskIoException v) return v;
    if (c instanceof java.util.concurrent.TimeoutException) {
      return new VDiskIoException(Kind.TIMEOUT, "I/O timed out", c);
    }
    return new VDiskIoException(Kind.INTERNAL, String.valueOf(c), c);
  }
}
