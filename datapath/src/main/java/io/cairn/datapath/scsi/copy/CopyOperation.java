package io.cairn.datapath.scsi.copy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The progress and outcome of one EXTENDED COPY, as RECEIVE COPY RESULTS reports it. Written by the
 * copy's own steps (any thread), read by RECEIVE COPY RESULTS commands on portal threads: every
 * field is atomic or volatile, and {@link #state} is written last, so a reader that sees a final
 * state also sees the counters and sense data that go with it.
 */
public final class CopyOperation {

  /** Where the copy is. */
  public enum State { IN_PROGRESS, COMPLETED, FAILED, ABORTED }

  private final int serviceAction;
  private final long listIdentifier;
  private final int listIdUsage;
  private final AtomicInteger segmentsProcessed = new AtomicInteger();
  private final AtomicLong bytesTransferred = new AtomicLong();
  private final AtomicInteger operations = new AtomicInteger();
  private volatile byte[] sense;
  private volatile State state = State.IN_PROGRESS;

  CopyOperation(int serviceAction, long listIdentifier, int listIdUsage) {
    this.serviceAction = serviceAction;
    this.listIdentifier = listIdentifier;
    this.listIdUsage = listIdUsage;
  }

  /** The EXTENDED COPY service action that started it (LID1 00h or LID4 01h). */
  public int serviceAction() {
    return serviceAction;
  }

  public long listIdentifier() {
    return listIdentifier;
  }

  public int listIdUsage() {
    return listIdUsage;
  }

  public State state() {
    return state;
  }

  /** Segment descriptors whose copy finished. */
  public int segmentsProcessed() {
    return segmentsProcessed.get();
  }

  /** Destination bytes written (durable) so far. */
  public long bytesTransferred() {
    return bytesTransferred.get();
  }

  /** Read-then-write steps done, as the LID4 OPERATION COUNTER reports them. */
  public int operations() {
    return operations.get();
  }

  /** The sense data the EXTENDED COPY ended with, or null while it runs or when it succeeded. */
  public byte[] sense() {
    return sense;
  }

  void transferred(long bytes) {
    bytesTransferred.addAndGet(bytes);
    operations.incrementAndGet();
  }

  void segmentDone() {
    segmentsProcessed.incrementAndGet();
  }

  void completed() {
    state = State.COMPLETED;
  }

  void failed(byte[] sense, boolean aborted) {
    this.sense = sense;
    state = aborted ? State.ABORTED : State.FAILED;
  }
}
