package io.cairn.datapath.iscsi;

import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.read10;
import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.scsi.TaskManagementFunction;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Task management, logout and the end of a session, over a real socket. */
@Timeout(60)
class TaskManagementTest {

  /** A vendor-specific opcode the fixture parks until aborted. */
  private static final byte HELD = (byte) 0xc0;

  private PortalHarness h;

  @BeforeEach
  void start() {
    h = new PortalHarness();
    h.scsi.hold(0xc0);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private static byte[] heldCdb() {
    byte[] cdb = new byte[16];
    cdb[0] = HELD;
    return cdb;
  }

  private static void awaitHeld(PortalHarness h, int n) throws InterruptedException {
    for (int i = 0; i < 200 && h.scsi.heldCount() < n; i++) Thread.sleep(10);
    assertEquals(n, h.scsi.heldCount());
  }

  @Test
  void shouldFillTheHoleOfACommandThatNeverArrivedWhenItIsAborted() throws Exception {
    RawIscsiClient c = h.login();
    int lost = c.cmdSn();
    int lostItt = c.newItt();
    c.cmdSn(lost + 1); // the command with CmdSN `lost` never reaches the target
    int readItt = c.newItt();
    c.send(c.scsiCommandBhs(0, read10(0, 1), 512, true, false, readItt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    assertTrue(!c.closedByTarget(300), "the read waits behind the hole");

    byte[] bhs = new byte[48];
    bhs[0] = 0x42; // immediate Task Management Function Request
    bhs[1] = (byte) 0x81; // ABORT TASK
    RawIscsiClient.putInt(bhs, 16, c.newItt());
    RawIscsiClient.putInt(bhs, 20, lostItt);
    RawIscsiClient.putInt(bhs, 24, c.cmdSn());
    RawIscsiClient.putInt(bhs, 32, lost); // RefCmdSN
    c.send(bhs, new byte[0]);

    RawIscsiClient.Pdu first = c.read();
    RawIscsiClient.Pdu second = c.read();
    RawIscsiClient.Pdu tmf = first.opcode() == 0x22 ? first : second;
    RawIscsiClient.Pdu read = first.opcode() == 0x22 ? second : first;
    assertEquals(0, tmf.byteAt(2), "FUNCTION COMPLETE: the command counts as received and aborted");
    assertEquals(readItt, read.itt(), "the read behind the hole is answered");
    // Should the lost command arrive now, it is outside the window and ignored.
    int next = c.cmdSn();
    c.cmdSn(lost);
    c.send(c.scsiCommandBhs(0, read10(0, 1), 512, true, false, lostItt, false, true), new byte[0]);
    c.cmdSn(next);
    int before = h.scsi.executed.size();
    assertEquals(0, c.read(0, read10(0, 1), 512).status());
    assertEquals(before + 1, h.scsi.executed.size(), "only the new read executed");
  }

  @Test
  void shouldAnswerTaskDoesNotExistForATagNeverSeenOutsideTheWindow() throws Exception {
    RawIscsiClient c = h.login();
    assertEquals(0, c.read(0, read10(0, 1), 512).status());

    RawIscsiClient.Pdu tmf = c.taskManagement(1, 0, 0x7777, true); // RefCmdSN = the read's, already answered

    assertEquals(1, tmf.byteAt(2), "TASK DOES NOT EXIST");
  }

  @Test
  void shouldAbortATaskStillCollectingDataOutInTheTransport() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("InitialR2T", "Yes");
    keys.put("ImmediateData", "No");
    RawIscsiClient c = h.login(keys);
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 64), 32768, false, true, itt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r2t = c.read();
    assertEquals(0x31, r2t.opcode());
    RawIscsiClient.Pdu tmf = c.taskManagement(1, 0, itt, true); // ABORT TASK
    assertEquals(0x22, tmf.opcode());
    assertEquals(0, tmf.byteAt(2), "function complete");
    assertTrue(h.scsi.taskManagementCalls.isEmpty(), "never reached the SCSI layer");
    assertTrue(h.scsi.executed.isEmpty());
    // Data-Out still in flight for the aborted task is discarded silently.
    c.sendDataOut(0, itt, r2t.intAt(20), new byte[32768], 0, 32768, 8192);
    assertArrayEquals(new byte[] {4}, c.nop(new byte[] {4}, true).data());
    // The window slot of the aborted command came back: the session goes on.
    assertEquals(0, c.read(0, read10(0, 1), 512).status());
  }

  @Test
  void shouldAbortATaskInTheScsiLayerAndSendItNoResponse() throws Exception {
    RawIscsiClient c = h.login();
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, heldCdb(), 0, false, false, itt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    awaitHeld(h, 1);
    RawIscsiClient.Pdu tmf = c.taskManagement(1, 0, itt, true);
    assertEquals(0x22, tmf.opcode());
    assertEquals(0, tmf.byteAt(2));
    assertEquals(TaskManagementFunction.ABORT_TASK, h.scsi.taskManagementCalls.get(0).function());
    assertEquals(itt, h.scsi.taskManagementCalls.get(0).referencedTaskTag());
    // No SCSI Response for the aborted task: the next PDU is the NOP-In.
    assertEquals(0x20, c.nop(new byte[0], true).opcode());
  }

  @Test
  void shouldAnswerTaskDoesNotExistFromTheScsiLayer() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.Pdu tmf = c.taskManagement(1, 0, 0x4242, true);
    assertEquals(1, tmf.byteAt(2));
  }

  @Test
  void shouldResetALogicalUnitAbortingItsTasks() throws Exception {
    RawIscsiClient c = h.login();
    for (int i = 0; i < 3; i++) {
      c.send(c.scsiCommandBhs(0, heldCdb(), 0, false, false, c.newItt(), false, true), new byte[0]);
      c.cmdSn(c.cmdSn() + 1);
    }
    awaitHeld(h, 3);
    RawIscsiClient.Pdu tmf = c.taskManagement(5, 0, RawIscsiClient.RESERVED, false); // LOGICAL UNIT RESET
    assertEquals(0, tmf.byteAt(2));
    assertEquals(0, h.scsi.heldCount());
    assertEquals(TaskManagementFunction.LOGICAL_UNIT_RESET, h.scsi.taskManagementCalls.get(0).function());
    assertEquals(0, c.read(0, read10(0, 1), 512).status());
  }

  @Test
  void shouldAnswerUnsupportedAndReassignFunctions() throws Exception {
    RawIscsiClient c = h.login();
    assertEquals(5, c.taskManagement(20, 0, 0, true).byteAt(2)); // undefined function
    assertEquals(4, c.taskManagement(8, 0, 0, true).byteAt(2)); // TASK REASSIGN at ERL 0
  }

  @Test
  void shouldRespondToTargetColdResetThenDropTheConnection() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.Pdu tmf = c.taskManagement(7, 0, RawIscsiClient.RESERVED, true);
    assertEquals(0x22, tmf.opcode());
    assertEquals(0, tmf.byteAt(2));
    assertTrue(c.closedByTarget(3000));
    for (int i = 0; i < 100 && h.scsi.lostNexuses.isEmpty(); i++) Thread.sleep(10);
    assertEquals(1, h.scsi.lostNexuses.size());
  }

  @Test
  void shouldLogOutAfterOutstandingCommandsAndTellTheScsiLayer() throws Exception {
    RawIscsiClient c = h.login();
    assertEquals(0, c.read(0, read10(0, 1), 512).status());
    RawIscsiClient.Pdu r = c.logout(0);
    assertEquals(0x26, r.opcode());
    assertEquals(0, r.byteAt(2));
    assertTrue(c.closedByTarget(3000));
    for (int i = 0; i < 100 && h.scsi.lostNexuses.isEmpty(); i++) Thread.sleep(10);
    assertEquals(1, h.scsi.lostNexuses.size());
    assertEquals(0x400001370000L, h.scsi.lostNexuses.get(0).isid());
    for (int i = 0; i < 100 && h.portal.stats().sessionsActive() > 0; i++) Thread.sleep(10);
    assertEquals(0, h.portal.stats().sessionsActive());
    assertEquals(1, h.portal.stats().sessionsOpened());
  }

  @Test
  void shouldRefuseConnectionRecoveryLogoutAtErrorRecoveryLevelZero() throws Exception {
    RawIscsiClient c = h.login();
    assertEquals(2, c.logout(2).byteAt(2));
    assertEquals(0x20, c.nop(new byte[0], true).opcode());
  }

  @Test
  void shouldAbortHeldTasksWhenTheConnectionDrops() throws Exception {
    RawIscsiClient c = h.login();
    c.send(c.scsiCommandBhs(0, heldCdb(), 0, false, false, c.newItt(), false, true), new byte[0]);
    awaitHeld(h, 1);
    c.close();
    for (int i = 0; i < 200 && h.scsi.heldCount() > 0; i++) Thread.sleep(10);
    assertEquals(0, h.scsi.heldCount(), "nexusLost aborted the held task");
    assertEquals(1, h.scsi.lostNexuses.size());
  }
}
