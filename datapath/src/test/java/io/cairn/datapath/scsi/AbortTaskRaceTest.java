package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.rw10;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * ABORT TASK against a command whose outcome is decided but that is still in the task set (its
 * completion callbacks are running): the command's response stands, so the abort must answer
 * TASK DOES NOT EXIST, never FUNCTION COMPLETE (RFC 7143 section 11.6.1; libiscsi's
 * iSCSITMF.AbortTaskSimpleAsync fails a target that says both).
 */
class AbortTaskRaceTest {

  @Test
  void shouldAnswerTaskDoesNotExistWhenTheCommandsOutcomeIsAlreadyDecided() throws Exception {
    ScsiHarness h = new ScsiHarness();
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> write = h.submit(A, 0, rw10(0x2A, 0, 0, 1), new byte[512], 512, Task.SIMPLE, 9);
    AtomicReference<CompletableFuture<Integer>> abort = new AtomicReference<>();
    // Runs inside the write's completion, before the task leaves the task set: the transport's
    // ABORT TASK racing the response.
    write.whenComplete((r, e) -> abort.set(h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, 0, 9)));

    pending.completeAll();

    assertEquals(ScsiResponse.GOOD, write.get(5, TimeUnit.SECONDS).status());
    assertEquals(ScsiTargetService.TASK_DOES_NOT_EXIST, abort.get().get(5, TimeUnit.SECONDS));
  }
}
