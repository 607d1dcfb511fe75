package io.cairn.datapath.replication;

/**
 * A replication request failed: the peer answered NACK ({@link #remote()} true), or the requester
 * gave up (timeout, not connected, back-pressure, closed). The message names the peer.
 */
public final class ReplicationException extends RuntimeException {
  private final String peer;
  private final Status status;
  private final boolean remote;

  public ReplicationException(String peer, Status status, boolean remote, String message) {
    super(message);
    this.peer = peer;
    this.status = status;
    this.remote = remote;
  }

  /**
   * For handlers: fail a request with a chosen status (the endpoint sends it in the NACK).
   */
  public static ReplicationException of(Status status, String message) {
    return new ReplicationException(null, status, false, message);
  }

  /** The peer node id (null when thrown by a handler). */
  public String peer() {
    return peer;
  }

  public Status status() {
    return status;
  }

  /** Whether the peer reported the failure (a NACK) rather than this node deciding it. */
  public boolean remote() {
    return remote;
  }
}
