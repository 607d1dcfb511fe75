package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.B;
import static io.cairn.datapath.scsi.ScsiHarness.await;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.pattern;
import static io.cairn.datapath.scsi.ScsiHarness.rw10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TaskManagementTest {

  private static final byte[] TUR = cdb(0x00, 0, 0, 0, 0, 0);
  private static final int LBS = 512;

  private final ScsiHarness h = new ScsiHarness();
  private final PendingVDiskIo pending = new PendingVDiskIo();

  private CompletableFuture<ScsiResponse> read(ItNexus nexus, int tag, int attribute) {
    return h.submit(nexus, 0, rw10(0x28, 0, 0, 1), null, LBS, attribute, tag);
  }

  private CompletableFuture<ScsiResponse> write(ItNexus nexus, int tag, int attribute, byte[] data) {
    return h.submit(nexus, 0, rw10(0x2A, 0, 0, data.length / LBS), data, data.length, attribute, tag);
  }

  private static int tmf(CompletableFuture<Integer> f) {
    try {
      return f.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("task management did not complete", e);
    }
  }

  private static void assertAborted(CompletableFuture<ScsiResponse> f) {
    assertTrue(f.isDone(), "aborted command's future is completed");
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(1, TimeUnit.SECONDS));
    assertInstanceOf(TaskAbortedException.class, e.getCause());
  }

  @Test
  void shouldFailAnAbortedInFlightReadAndReleaseItsBufferWhenTheIoReturns() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> r = read(A, 5, Task.SIMPLE);
    assertEquals(1, pending.pendingCount());

    CompletableFuture<Integer> abort = h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, 0, 5);

    assertAborted(r);
    assertFalse(abort.isDone(), "ABORT TASK waits for the aborted I/O to return");
    pending.completeAll();
    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, tmf(abort));
    assertTrue(pending.ram.allReadBuffersReleased(), "late read buffer released");
  }

  @Test
  void shouldReleaseTheDataOutOfAnAbortedInFlightWrite() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> w = write(A, 6, Task.SIMPLE, pattern(LBS, 1));

    CompletableFuture<Integer> abort = h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, 0, 6);
    assertAborted(w);
    pending.completeAll();

    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, tmf(abort));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldAnswerTaskDoesNotExistAndLunDoesNotExist() {
    assertEquals(ScsiTargetService.TASK_DOES_NOT_EXIST, tmf(h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, 0, 99)));
    assertEquals(ScsiTargetService.LUN_DOES_NOT_EXIST,
        tmf(h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, ScsiHarness.MISSING_LUN, 1)));
    assertEquals(ScsiTargetService.LUN_DOES_NOT_EXIST,
        tmf(h.service.taskManagement(A, TaskManagementFunction.LOGICAL_UNIT_RESET, ScsiHarness.MISSING_LUN, 0)));
  }

  @Test
  void shouldNotAbortAnotherNexusTaskWithTheSameTag() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> b = read(B, 5, Task.SIMPLE);

    assertEquals(ScsiTargetService.TASK_DOES_NOT_EXIST, tmf(h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, 0, 5)));
    pending.completeAll();
    await(b).assertGood();
  }

  @Test
  void shouldAbortOnlyTheIssuersTasksOnAbortTaskSet() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> a = read(A, 1, Task.SIMPLE);
    CompletableFuture<ScsiResponse> b = read(B, 2, Task.SIMPLE);

    CompletableFuture<Integer> f = h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK_SET, 0, 0);
    assertAborted(a);
    assertFalse(b.isDone());
    pending.completeAll();

    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, tmf(f));
    await(b).assertGood();
    h.run(B, 0, TUR).assertGood();
    assertTrue(pending.ram.allReadBuffersReleased());
  }

  @Test
  void shouldClearEveryNexusTasksAndTellTheOthersOnClearTaskSet() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> a = read(A, 1, Task.SIMPLE);
    CompletableFuture<ScsiResponse> b = read(B, 2, Task.SIMPLE);

    CompletableFuture<Integer> f = h.service.taskManagement(A, TaskManagementFunction.CLEAR_TASK_SET, 0, 0);
    assertAborted(a);
    assertAborted(b);
    pending.completeAll();

    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, tmf(f));
    h.replaceIo(0, h.disk0);
    h.run(B, 0, TUR).assertCheck(SenseCode.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
    h.run(B, 0, TUR).assertGood();
    h.run(A, 0, TUR).assertGood();
  }

  @Test
  void shouldReportUnitAttentionAfterLunResetOnceToEveryNexusTheIssuerIncluded() {
    h.run(A, 0, TUR).assertGood();
    h.run(B, 0, TUR).assertGood();

    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, tmf(h.service.taskManagement(A, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0)));

    h.run(A, 0, TUR).assertCheck(SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    h.run(A, 0, TUR).assertGood();
    h.run(B, 1, TUR).assertGood();
    h.run(B, 0, ScsiHarness.rw10(0x28, 0, 0, 1)).assertCheck(SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    h.run(B, 0, ScsiHarness.rw10(0x28, 0, 0, 1)).assertGood();
    h.assertNoBufferLeft();
  }

  @Test
  void shouldLetInquiryAndReportLunsPassAUnitAttentionAndRequestSenseReportIt() {
    h.run(B, 0, TUR).assertGood();
    tmf(h.service.taskManagement(A, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));

    h.run(B, 0, cdb(0x12, 0, 0, 0, 96, 0)).assertGood();
    h.run(B, 0, cdb(0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)).assertGood();
    Outcome sense = h.run(B, 0, cdb(0x03, 0, 0, 0, 252, 0)).assertGood();

    assertArrayEquals(SenseData.of(SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED), sense.data());
    h.run(B, 0, TUR).assertGood();
  }

  @Test
  void shouldWaitForAbortedIoBeforeCompletingLunReset() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> w = write(B, 1, Task.SIMPLE, pattern(2 * LBS, 3));

    CompletableFuture<Integer> reset = h.service.taskManagement(A, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0);

    assertAborted(w);
    assertFalse(reset.isDone());
    pending.completeAll();
    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, tmf(reset));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldResetEveryLunOnTargetWarmResetWithItsUnitAttention() {
    h.run(B, 0, TUR).assertGood();

    tmf(h.service.taskManagement(A, TaskManagementFunction.TARGET_WARM_RESET, 0, 0));

    h.run(B, 0, TUR).assertCheck(SenseCode.POWER_ON_RESET_OCCURRED);
    h.run(B, 1, TUR).assertCheck(SenseCode.POWER_ON_RESET_OCCURRED);
    h.run(B, 1, TUR).assertGood();
    h.run(A, 0, TUR).assertCheck(SenseCode.POWER_ON_RESET_OCCURRED);
    h.run(A, 0, TUR).assertGood();
  }

  @Test
  void shouldReportPowerOnAfterTargetColdReset() {
    h.run(B, 2, TUR).assertGood();

    tmf(h.service.taskManagement(A, TaskManagementFunction.TARGET_COLD_RESET, 0, 0));

    h.run(B, 2, TUR).assertCheck(SenseCode.POWER_ON_OCCURRED);
  }

  @Test
  void shouldAbortTheLostNexusTasksAndForgetItsUnitAttentions() {
    h.replaceIo(0, pending);
    h.run(B, 1, TUR).assertGood();
    CompletableFuture<ScsiResponse> b = read(B, 9, Task.SIMPLE);
    tmf(h.service.taskManagement(A, TaskManagementFunction.LOGICAL_UNIT_RESET, 1, 0));

    h.service.nexusLost(B);

    assertAborted(b);
    pending.completeAll();
    h.run(B, 1, TUR).assertGood();
    assertTrue(pending.ram.allReadBuffersReleased());
  }

  @Test
  void shouldStartAnOrderedTaskOnlyAfterEarlierTasksAndHoldLaterSimpleTasks() {
    h.replaceIo(0, pending);
    byte[] data = pattern(LBS, 4);
    CompletableFuture<ScsiResponse> first = read(A, 1, Task.SIMPLE);
    CompletableFuture<ScsiResponse> ordered = write(A, 2, Task.ORDERED, data);
    CompletableFuture<ScsiResponse> later = read(A, 3, Task.SIMPLE);
    assertEquals(1, pending.pendingCount(), "only the first read reached the vDisk");

    pending.completeAll();
    await(first).assertGood();
    assertEquals(1, pending.pendingCount(), "the ordered write started, the later read still waits");
    assertFalse(later.isDone());

    pending.completeAll();
    await(ordered).assertGood();
    assertEquals(1, pending.pendingCount(), "the later read started after the ordered write");
    pending.completeAll();
    assertArrayEquals(data, await(later).assertGood().data());
    assertTrue(pending.ram.allReadBuffersReleased());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldStartHeadOfQueueTaskAtOnce() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> first = read(A, 1, Task.SIMPLE);
    CompletableFuture<ScsiResponse> ordered = write(A, 2, Task.ORDERED, pattern(LBS, 5));

    CompletableFuture<ScsiResponse> urgent = read(A, 3, Task.HEAD_OF_QUEUE);

    assertEquals(2, pending.pendingCount(), "first read and head-of-queue read are at the vDisk");
    pending.completeAll();
    await(urgent).assertGood();
    await(first).assertGood();
    pending.completeAll();
    await(ordered).assertGood();
    assertTrue(pending.ram.allReadBuffersReleased());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldReleaseDataOutOfATaskAbortedWhileWaitingBehindAnOrderedTask() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> first = read(A, 1, Task.SIMPLE);
    CompletableFuture<ScsiResponse> ordered = write(A, 2, Task.ORDERED, pattern(LBS, 6));
    CompletableFuture<ScsiResponse> waiting = write(A, 3, Task.SIMPLE, pattern(LBS, 7));

    CompletableFuture<Integer> abort = h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, 0, 3);
    assertAborted(waiting);
    pending.completeAll();
    await(first).assertGood();
    pending.completeAll();
    await(ordered).assertGood();

    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, tmf(abort));
    assertArrayEquals(pattern(LBS, 6), pending.ram.bytes(0, LBS), "the aborted write never reached the vDisk");
    assertTrue(pending.ram.allReadBuffersReleased());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldTimeOutAStuckIoAndReleaseItsBufferWhenItFinallyReturns() {
    ScsiHarness slow = new ScsiHarness(ScsiHarness.withTimeout(Duration.ofMillis(50)));
    slow.replaceIo(0, pending);

    Outcome o = await(slow.submit(A, 0, rw10(0x28, 0, 0, 1), null, LBS, Task.SIMPLE, 1));

    o.assertCheck(SenseCode.TIMEOUT_ON_LOGICAL_UNIT);
    pending.completeAll();
    assertTrue(pending.ram.allReadBuffersReleased());
  }

  @Test
  void shouldRejectATaskTagReusedWhileItsTaskRuns() {
    h.replaceIo(0, pending);
    CompletableFuture<ScsiResponse> first = read(A, 4, Task.SIMPLE);

    Outcome second = await(write(A, 4, Task.SIMPLE, pattern(LBS, 1)));

    second.assertCheck(SenseCode.OVERLAPPED_COMMANDS_ATTEMPTED);
    pending.completeAll();
    await(first).assertGood();
    h.assertNoBufferLeft();
  }

  @Test
  void shouldNotSupportClearAcaOrTaskReassign() {
    assertEquals(ScsiTargetService.FUNCTION_NOT_SUPPORTED, tmf(h.service.taskManagement(A, TaskManagementFunction.CLEAR_ACA, 0, 0)));
    assertEquals(ScsiTargetService.TASK_REASSIGNMENT_NOT_SUPPORTED, tmf(h.service.taskManagement(A, TaskManagementFunction.TASK_REASSIGN, 0, 7)));
  }
}
