package io.cairn.datapath.iscsi;

import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.read10;
import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input ends the offending connection only, or is answered with the RFC's Reject, while
 * another session on the same portal keeps working (ARCHITECTURE invariant 5).
 */
@Timeout(60)
class MalformedInputTest {

  private PortalHarness h;
  private RawIscsiClient bystander;

  @BeforeEach
  void start() throws Exception {
    h = new PortalHarness();
    bystander = h.connect().isid(0x400001370099L);
    bystander.login(PortalHarness.TARGET, PortalHarness.keys());
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  /** The other session still reads and writes. */
  private void assertBystanderWorks() throws Exception {
    byte[] data = new byte[4096];
    Arrays.fill(data, (byte) 0x5a);
    assertEquals(0, bystander.write(0, write10(100, 8), data).status());
    assertArrayEquals(data, bystander.read(0, read10(100, 8), 4096).dataIn());
  }

  private static byte[] header(int opcodeByte, int dataLength) {
    byte[] b = new byte[48];
    b[0] = (byte) opcodeByte;
    b[1] = (byte) 0x80;
    RawIscsiClient.putMedium(b, 5, dataLength);
    return b;
  }

  @Test
  void shouldCloseAConnectionSendingGarbage() throws Exception {
    RawIscsiClient c = h.connect();
    byte[] garbage = new byte[64];
    Arrays.fill(garbage, (byte) 0xff); // DataSegmentLength 16 MiB - 1
    c.sendRaw(garbage);
    assertTrue(c.closedByTarget(3000));
    assertBystanderWorks();
    assertTrue(h.portal.stats().protocolErrors() >= 1);
  }

  @Test
  void shouldCloseAConnectionStartingWithANonLoginPdu() throws Exception {
    RawIscsiClient c = h.connect();
    c.send(header(0x01, 0), new byte[0]);
    assertTrue(c.closedByTarget(3000));
    assertBystanderWorks();
  }

  @Test
  void shouldCloseAConnectionSendingAnOversizeDataSegment() throws Exception {
    RawIscsiClient c = h.login();
    byte[] nop = header(0x40, 0);
    RawIscsiClient.putInt(nop, 16, c.newItt());
    RawIscsiClient.putInt(nop, 20, RawIscsiClient.RESERVED);
    c.send(nop, new byte[PortalHarness.TARGET_MRDSL + 4]);
    assertTrue(c.closedByTarget(3000));
    assertBystanderWorks();
  }

  @Test
  void shouldCloseAConnectionWhoseHeaderDigestFails() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("HeaderDigest", "CRC32C");
    RawIscsiClient c = h.login(keys);
    byte[] nop = header(0x40, 0);
    RawIscsiClient.putInt(nop, 16, c.newItt());
    byte[] wire = new byte[52];
    System.arraycopy(nop, 0, wire, 0, 48);
    wire[48] = 1; // not the CRC32C of the header
    c.sendRaw(wire);
    assertTrue(c.closedByTarget(3000));
    assertBystanderWorks();
    assertTrue(h.portal.stats().digestErrors() >= 1);
  }

  @Test
  void shouldRejectAPduWhoseDataDigestFailsAndCarryOn() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("DataDigest", "CRC32C");
    RawIscsiClient c = h.login(keys);
    byte[] nop = header(0x40, 4);
    RawIscsiClient.putInt(nop, 16, c.newItt());
    RawIscsiClient.putInt(nop, 20, RawIscsiClient.RESERVED);
    byte[] wire = new byte[48 + 4 + 4];
    System.arraycopy(nop, 0, wire, 0, 48);
    wire[48] = 7;
    wire[52] = (byte) 0xee; // wrong data digest
    c.sendRaw(wire);
    RawIscsiClient.Pdu reject = c.read();
    assertEquals(0x3f, reject.opcode());
    assertEquals(0x02, reject.byteAt(2), "data digest error");
    assertArrayEquals(Arrays.copyOf(wire, 48), reject.data(), "the rejected PDU's header comes back");
    assertArrayEquals(new byte[] {3}, c.nop(new byte[] {3}, true).data());
  }

  @Test
  void shouldFailAWriteWhoseDataOutFailedItsDigestWithACrcErrorSense() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("DataDigest", "CRC32C");
    keys.put("ImmediateData", "No");
    keys.put("InitialR2T", "Yes");
    RawIscsiClient c = h.login(keys);
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 1), 512, false, true, itt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r2t = c.read();
    byte[] out = c.dataOutBhs(0, itt, r2t.intAt(20), 0, 0, true);
    RawIscsiClient.putMedium(out, 5, 512);
    byte[] wire = new byte[48 + 512 + 4];
    System.arraycopy(out, 0, wire, 0, 48);
    c.sendRaw(wire); // digest of 512 zero bytes is not 0
    RawIscsiClient.Pdu reject = c.read();
    assertEquals(0x3f, reject.opcode());
    assertEquals(0x02, reject.byteAt(2));
    RawIscsiClient.Pdu response = c.read();
    assertEquals(0x21, response.opcode());
    assertEquals(0x02, response.byteAt(3), "CHECK CONDITION");
    assertEquals(0x0b, response.data()[2 + 2], "ABORTED COMMAND");
    assertEquals(0x47, response.data()[2 + 12], "PROTOCOL SERVICE CRC ERROR");
    assertEquals(0x05, response.data()[2 + 13]);
    assertTrue(h.scsi.executed.isEmpty());
  }

  @Test
  void shouldRejectUnsupportedOpcodesAndSnackInFullFeaturePhase() throws Exception {
    RawIscsiClient c = h.login();
    byte[] vendor = header(0x1c, 0);
    c.send(vendor, new byte[0]);
    RawIscsiClient.Pdu r1 = c.read();
    assertEquals(0x3f, r1.opcode());
    assertEquals(0x05, r1.byteAt(2), "command not supported");
    assertEquals(0x1c, r1.data()[0]);
    byte[] snack = header(0x10, 0);
    c.send(snack, new byte[0]);
    RawIscsiClient.Pdu r2 = c.read();
    assertEquals(0x04, r2.byteAt(2), "SNACK at ErrorRecoveryLevel 0 is a protocol error");
    assertEquals(0x20, c.nop(new byte[0], true).opcode());
  }

  @Test
  void shouldRejectADuplicateTaskTag() throws Exception {
    h.scsi.hold(0xc0);
    RawIscsiClient c = h.login();
    byte[] cdb = new byte[16];
    cdb[0] = (byte) 0xc0;
    c.send(c.scsiCommandBhs(0, cdb, 0, false, false, 0x999, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    c.send(c.scsiCommandBhs(0, read10(0, 1), 512, true, false, 0x999, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r = c.read();
    assertEquals(0x3f, r.opcode());
    assertEquals(0x07, r.byteAt(2), "task in progress");
    c.taskManagement(1, 0, 0x999, true);
  }

  @Test
  void shouldFailOnlyTheTaskWhoseDataOutIsOutOfSequence() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("InitialR2T", "Yes");
    keys.put("ImmediateData", "No");
    RawIscsiClient c = h.login(keys);
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 16), 8192, false, true, itt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r2t = c.read();
    c.send(c.dataOutBhs(0, itt, r2t.intAt(20), 5, 0, true), new byte[8192]); // DataSN 5, expected 0
    RawIscsiClient.Pdu response = c.read();
    assertEquals(0x21, response.opcode());
    assertEquals(itt, response.itt());
    assertEquals(0x02, response.byteAt(3), "CHECK CONDITION");
    assertEquals(0x0b, response.data()[2 + 2], "ABORTED COMMAND");
    assertEquals(0x4b, response.data()[2 + 12], "DATA PHASE ERROR");
    assertTrue(h.scsi.executed.isEmpty(), "the SCSI layer never saw the command");
    assertEquals(0, c.read(0, read10(0, 1), 512).status(), "the session goes on");
  }

  @Test
  void shouldFailATaskSendingUnsolicitedDataWhenInitialR2tIsYes() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("InitialR2T", "Yes");
    RawIscsiClient c = h.login(keys);
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 1), 1024, false, true, itt, false, true), new byte[512]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r2t = c.read();
    assertEquals(512, r2t.intAt(40));
    c.send(c.dataOutBhs(0, itt, RawIscsiClient.RESERVED, 0, 512, true), new byte[512]); // unsolicited
    c.send(c.dataOutBhs(0, itt, r2t.intAt(20), 0, 512, true), new byte[512]); // the solicited one ends it
    RawIscsiClient.Pdu response = c.read();
    assertEquals(0x21, response.opcode());
    assertEquals(0x0c, response.data()[2 + 12], "unexpected unsolicited data");
    assertEquals(0x0c, response.data()[2 + 13]);
  }

  @Test
  void shouldRejectImmediateDataWhenNotNegotiated() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("ImmediateData", "No");
    RawIscsiClient c = h.login(keys);
    c.send(c.scsiCommandBhs(0, write10(0, 1), 512, false, true, c.newItt(), false, true), new byte[512]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r = c.read();
    assertEquals(0x3f, r.opcode());
    assertEquals(0x04, r.byteAt(2));
    // The rejected command consumed its CmdSN: the next one is accepted.
    assertEquals(0, c.read(0, read10(0, 1), 512).status());
  }

  @Test
  void shouldRejectScsiCommandsInADiscoverySession() throws Exception {
    RawIscsiClient c = h.connect();
    c.login(null, Map.of("HeaderDigest", "None"));
    c.send(c.scsiCommandBhs(0, read10(0, 1), 512, true, false, c.newItt(), false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r = c.read();
    assertEquals(0x3f, r.opcode());
    assertEquals(0x04, r.byteAt(2));
    assertFalse(c.sendTargets("All").isEmpty());
  }

  @Test
  void shouldAnswerTaskSetFullWhenDataOutBuffersRunOut() throws Exception {
    h.close();
    h = new PortalHarness(PortalHarness.settings(Duration.ofSeconds(5), Duration.ZERO), new PortalLimits(65536, 40960, 4));
    bystander = h.connect().isid(0x400001370099L);
    bystander.login(PortalHarness.TARGET, PortalHarness.keys());
    Map<String, String> keys = PortalHarness.keys();
    keys.put("InitialR2T", "Yes");
    keys.put("ImmediateData", "No");
    RawIscsiClient c = h.login(keys);
    // First write takes 32 KiB of the 40 KiB budget and waits for its data.
    int first = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 64), 32768, false, true, first, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r2t = c.read();
    // A second 16 KiB write does not fit: TASK SET FULL (after the first, in CmdSN order).
    int second = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(64, 32), 16384, false, true, second, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    // A 64 KiB write can never fit: iSCSI target failure.
    int third = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(96, 128), 65536, false, true, third, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    c.sendDataOut(0, first, r2t.intAt(20), new byte[32768], 0, 32768, 8192);
    int seen = 0;
    while (seen < 3) {
      RawIscsiClient.Pdu p = c.read();
      assertEquals(0x21, p.opcode());
      if (p.itt() == first) assertEquals(0x00, p.byteAt(3));
      if (p.itt() == second) assertEquals(0x28, p.byteAt(3), "TASK SET FULL");
      if (p.itt() == third) assertEquals(0x01, p.byteAt(2), "target failure");
      seen++;
    }
    assertBystanderWorks();
  }
}
