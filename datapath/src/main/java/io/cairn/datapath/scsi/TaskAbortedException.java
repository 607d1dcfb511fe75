package io.cairn.datapath.scsi;

/**
 * Completes a command's future when task management aborted it: the transport sends no SCSI
 * Response for it (RFC 7143 section 11.5.1, TAS = 0).
 */
public final class TaskAbortedException extends RuntimeException {
  public TaskAbortedException(String message) {
    super(message, null, false, false);
  }
}
