package io.cairn.datapath.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * One command in a logical unit's task set, from admission until its response is decided.
 *
 * <p>{@link #result} is the future the transport holds: completed once, by the command's outcome,
 * by the I/O timeout, or exceptionally by task management ({@link TaskAbortedException}); whichever
 * comes first wins, and a losing outcome's Data-In buffer is released by the service.
 * {@link #settled} completes when the command's own work has finished (every vDisk I/O it started
 * has returned), which may be after an abort: task management waits on it before it reports
 * FUNCTION COMPLETE, so an aborted write can no longer land after the initiator was told it is gone.
 */
final class Task {

  /** SAM-5 task attributes as iSCSI carries them (RFC 7143 11.3.1.2). */
  static final int UNTAGGED = 0;
  static final int SIMPLE = 1;
  static final int ORDERED = 2;
  static final int HEAD_OF_QUEUE = 3;
  static final int ACA = 4;

  /** A task's identity within a logical unit: the nexus it came on and its task tag. */
  record Key(ItNexus nexus, int tag) {}

  final Key key;
  final int attribute;
  final CommandEntry entry;
  final CompletableFuture<ScsiResponse> result = new CompletableFuture<>();
  final CompletableFuture<Void> settled = new CompletableFuture<>();

  Task(ItNexus nexus, ScsiCommand command, CommandEntry entry) {
    this.key = new Key(nexus, command.taskTag());
    this.attribute = command.taskAttribute();
    this.entry = entry;
  }

  ItNexus nexus() {
    return key.nexus();
  }

  /** Completes the transport's future with {@link TaskAbortedException}; false when already decided. */
  boolean abort(String why) {
    return result.completeExceptionally(new TaskAbortedException(entry.name() + " (tag " + key.tag() + ") aborted by " + why));
  }
}
