package io.cairn.datapath.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * The SCSI layer as the iSCSI transport sees it: executes commands for a nexus, performs task
 * management, and forgets a nexus when its session ends. Thread-safe; called from portal threads.
 */
public interface ScsiService {

  /**
   * Executes one command. The future never completes exceptionally except with
   * {@link TaskAbortedException} (the command was aborted by task management: send no response);
   * every SCSI-level failure is a {@link ScsiResponse} with CHECK CONDITION and sense data.
   */
  CompletableFuture<ScsiResponse> execute(ItNexus nexus, ScsiCommand command);

  /**
   * Performs a task management function. Returns the iSCSI Task Management Function Response code
   * (RFC 7143 section 11.6.1): 0 function complete, 1 task does not exist, 2 LUN does not exist,
   * 3 task still allegiant, 4 reassignment not supported, 5 function not supported,
   * 6 authorization failed, 255 function rejected.
   *
   * @param referencedTaskTag the task tag to act on (ABORT TASK), else ignored
   */
  CompletableFuture<Integer> taskManagement(ItNexus nexus, TaskManagementFunction function, int lun, int referencedTaskTag);

  /** The nexus's session ended: its outstanding tasks are aborted and its state released. */
  void nexusLost(ItNexus nexus);
}
