package io.cairn.datapath.replication;

/**
 * Why a request failed. Codes below 100 travel in NACK frames (the {@code status} field); codes
 * from 100 are decided locally by the requester and never sent.
 */
public enum Status {
  /** The frame failed its CRC (or framing checks) at the receiver; the sender retries. */
  CHECKSUM(1, true),
  /** The request was well-formed on the wire but its fields make no sense to the handler. */
  BAD_REQUEST(2, true),
  /** The object (egroup, vDisk) is not on the replica. */
  NOT_FOUND(3, true),
  /** The replica's storage failed (write error, read checksum mismatch). */
  IO_ERROR(4, true),
  /** The vDisk or egroup no longer exists (deleted, or moved to another owner). */
  GONE(5, true),
  /** The replica has no handler for this request type. */
  UNSUPPORTED(6, true),
  /** Any other failure of the handler (the message says what). */
  ERROR(7, true),
  /** The replica has no space for the data. */
  NO_SPACE(8, true),

  /** No response within the request timeout. */
  TIMEOUT(100, false),
  /** The peer's publication is not connected (the peer is down or unreachable). */
  NOT_CONNECTED(101, false),
  /** The peer did not take the frame within the back-pressure wait. */
  BACK_PRESSURED(102, false),
  /** This endpoint (or its publication to the peer) is closed. */
  CLOSED(103, false),
  /** The peer directory does not know the node id. */
  UNKNOWN_PEER(104, false),
  /** The payload does not fit one replication frame. */
  TOO_LARGE(105, false);

  private final int code;
  private final boolean onWire;

  Status(int code, boolean onWire) {
    this.code = code;
    this.onWire = onWire;
  }

  /** The wire code (NACK status field). */
  public int code() {
    return code;
  }

  /** Whether this status is sent in NACKs (false: decided by the requester). */
  public boolean onWire() {
    return onWire;
  }

  /** The status of a NACK's code; unknown codes read as {@link #ERROR}. */
  public static Status ofCode(int code) {
    for (Status s : values()) {
      if (s.code == code && s.onWire) return s;
    }
    return ERROR;
  }
}
