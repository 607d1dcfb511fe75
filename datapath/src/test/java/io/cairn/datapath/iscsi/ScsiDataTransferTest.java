package io.cairn.datapath.iscsi;

import static io.cairn.datapath.iscsi.PortalHarness.FIRST_BURST;
import static io.cairn.datapath.iscsi.PortalHarness.MAX_BURST;
import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.read10;
import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.fixture.RamLunScsiService;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SCSI commands over a real socket: writes with immediate, unsolicited and solicited data around
 * FirstBurstLength (16 KiB) and MaxBurstLength (32 KiB), reads over many Data-In PDUs, residuals,
 * sense data, digests, command ordering and the window.
 */
@Timeout(60)
class ScsiDataTransferTest {

  private PortalHarness h;

  @BeforeEach
  void start() {
    h = new PortalHarness();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private static byte[] pattern(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {512, 8192, 8704, FIRST_BURST - 512, FIRST_BURST, FIRST_BURST + 512, MAX_BURST,
      FIRST_BURST + MAX_BURST, FIRST_BURST + MAX_BURST + 512, 3 * MAX_BURST + 1024, 262144})
  void shouldWriteWithImmediateUnsolicitedAndSolicitedData(int size) throws Exception {
    RawIscsiClient c = h.login();
    byte[] data = pattern(size, size);
    RawIscsiClient.ScsiResult r = c.write(0, write10(8, size / 512), data);
    assertEquals(0, r.status());
    assertEquals(0, r.residualFlags());
    assertArrayEquals(data, Arrays.copyOfRange(h.scsi.disk(0), 8 * 512, 8 * 512 + size));
    int unsolicited = Math.min(size, FIRST_BURST);
    assertEquals(ceilDiv(size - unsolicited, MAX_BURST), r.r2ts());
    for (RawIscsiClient.Pdu r2t : r.r2tPdus()) {
      assertTrue(r2t.intAt(44) <= MAX_BURST, "R2T within MaxBurstLength");
    }
    assertEquals(r.r2ts(), r.expDataSn(), "ExpDataSN of a write counts its R2Ts");
    RamLunScsiService.Executed ex = h.scsi.executed.get(h.scsi.executed.size() - 1);
    assertTrue(ex.write());
    assertEquals(size, ex.expectedLength());
    assertArrayEquals(data, ex.dataOut());
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {512, FIRST_BURST, FIRST_BURST + 512, 2 * MAX_BURST + 512})
  void shouldWriteWithR2tsOnlyWhenInitialR2tAndNoImmediateData(int size) throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("InitialR2T", "Yes");
    keys.put("ImmediateData", "No");
    RawIscsiClient c = h.login(keys);
    assertEquals("Yes", c.negotiated.get("InitialR2T"));
    assertEquals("No", c.negotiated.get("ImmediateData"));
    byte[] data = pattern(size, 7);
    RawIscsiClient.ScsiResult r = c.write(0, write10(0, size / 512), data);
    assertEquals(0, r.status());
    assertEquals(ceilDiv(size, MAX_BURST), r.r2ts());
    assertEquals(0, r.r2tPdus().get(0).intAt(40), "first R2T from offset 0");
    assertArrayEquals(data, Arrays.copyOf(h.scsi.disk(0), size));
  }

  @Test
  void shouldSolicitTheRestWhenTheInitiatorSendsLessThanFirstBurstLength() throws Exception {
    RawIscsiClient c = h.login();
    byte[] data = pattern(40960, 3);
    RawIscsiClient.ScsiResult r = c.command(0, write10(0, 80), data.length, false, true, data, false, 4096);
    assertEquals(0, r.status());
    assertEquals(4096, r.r2tPdus().get(0).intAt(40), "solicited data starts where unsolicited data ended");
    assertArrayEquals(data, Arrays.copyOf(h.scsi.disk(0), data.length));
  }

  @Test
  void shouldReadSpanningManyDataInPdusWithStatusInTheLast() throws Exception {
    byte[] content = pattern(65536, 11);
    System.arraycopy(content, 0, h.scsi.disk(0), 0, content.length);
    RawIscsiClient c = h.connect();
    c.ownMaxRecvDataSegmentLength = 4096;
    c.login(PortalHarness.TARGET, PortalHarness.keys());
    RawIscsiClient.ScsiResult r = c.read(0, read10(0, 128), 65536);
    assertTrue(r.collapsed(), "GOOD status travels in the final Data-In");
    assertEquals(0, r.status());
    assertEquals(16, r.dataInPdus());
    assertArrayEquals(content, r.dataIn());
    // Data-In sequences end (F bit) every MaxBurstLength (32 KiB = 8 PDUs) and at the end.
    for (int i = 0; i < 16; i++) {
      int flags = c.lastDataInFlags.get(i);
      assertEquals(i == 7 || i == 15, (flags & 0x80) != 0, "F bit of Data-In " + i);
      assertEquals(i == 15, (flags & 0x01) != 0, "S bit of Data-In " + i);
    }
  }

  @Test
  void shouldReleaseDataInOfACommandCompletingAfterItsConnectionClosed() throws Exception {
    h.scsi.hold(0xc0);
    h.scsi.abortHeldOnNexusLost = false;
    RawIscsiClient c = h.login();
    byte[] cdb = new byte[16];
    cdb[0] = (byte) 0xc0;
    c.send(c.scsiCommandBhs(0, cdb, 65536, true, false, c.newItt(), false, true), new byte[0]);
    for (int i = 0; i < 200 && h.scsi.heldCount() == 0; i++) Thread.sleep(10);
    c.close();
    for (int i = 0; i < 200 && h.scsi.lostNexuses.isEmpty(); i++) Thread.sleep(10);
    assertEquals(1, h.scsi.lostNexuses.size());
    h.scsi.completeHeld(65536); // the transport must release this buffer: checked by the leak detector
  }

  @Test
  void shouldReportUnderflowWhenLessDataThanExpected() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.ScsiResult r = c.read(0, read10(0, 8), 8192); // 4 KiB of data, 8 KiB expected
    assertEquals(4096, r.dataIn().length);
    assertEquals(0x02, r.residualFlags());
    assertEquals(4096, r.residualCount());
    RawIscsiClient.ScsiResult inq = c.read(0, RawIscsiClient.inquiry(36), 100);
    assertEquals(36, inq.dataIn().length);
    assertEquals(0x02, inq.residualFlags());
    assertEquals(64, inq.residualCount());
  }

  @Test
  void shouldSendAtMostTheExpectedLengthAndReportOverflow() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.ScsiResult r = c.read(0, read10(0, 16), 4096); // 8 KiB of data, 4 KiB expected
    assertEquals(4096, r.dataIn().length);
    assertEquals(0x04, r.residualFlags());
    assertEquals(4096, r.residualCount());
  }

  @Test
  void shouldReportAWriteResidualFromTheScsiLayersTransferLength() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.ScsiResult r = c.write(0, write10(0, 1), pattern(1024, 1)); // CDB moves 512 bytes
    assertFalse(r.collapsed());
    assertEquals(0, r.status());
    assertEquals(0x02, r.residualFlags());
    assertEquals(512, r.residualCount());
  }

  @Test
  void shouldCarrySenseDataWithItsLengthInTheScsiResponse() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.ScsiResult r = c.read(0, read10(4096, 1), 512); // beyond the 2048-block LUN
    assertFalse(r.collapsed());
    assertEquals(0x00, r.response());
    assertEquals(0x02, r.status());
    assertEquals(18, r.sense().length);
    assertEquals(0x05, r.sense()[2]);
    assertEquals(0x21, r.sense()[12]);
    assertEquals(0, r.dataIn().length);
  }

  @Test
  void shouldPassUnknownLunsAndOpcodesToTheScsiLayer() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.ScsiResult noLun = c.read(5, new byte[6], 0); // TEST UNIT READY on LUN 5
    assertEquals(0x02, noLun.status());
    assertEquals(0x25, noLun.sense()[12]);
    RawIscsiClient.ScsiResult badOp = c.read(0, new byte[] {(byte) 0xd0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
    assertEquals(0x20, badOp.sense()[12]);
    assertEquals(16, h.scsi.executed.get(h.scsi.executed.size() - 1).cdb().length);
    assertEquals(6, h.scsi.executed.get(h.scsi.executed.size() - 2).cdb().length);
  }

  @Test
  void shouldExecuteImmediateCommandsWithoutConsumingCmdSn() throws Exception {
    RawIscsiClient c = h.login();
    int before = c.cmdSn();
    RawIscsiClient.ScsiResult r = c.command(0, read10(0, 1), 512, true, false, null, true, 0);
    assertEquals(0, r.status());
    assertEquals(before, c.cmdSn());
    assertEquals(before, c.lastExpCmdSn);
  }

  @Test
  void shouldMoveDataWithHeaderAndDataDigests() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("HeaderDigest", "CRC32C,None");
    keys.put("DataDigest", "CRC32C,None");
    RawIscsiClient c = h.login(keys);
    assertTrue(c.headerDigest());
    assertTrue(c.dataDigest());
    byte[] data = pattern(3 * MAX_BURST + 1536, 5);
    assertEquals(0, c.write(0, write10(0, data.length / 512), data).status());
    RawIscsiClient.ScsiResult r = c.read(0, read10(0, data.length / 512), data.length);
    assertArrayEquals(data, r.dataIn());
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, c.nop(new byte[] {1, 2, 3, 4, 5}, false).data());
  }

  @Test
  void shouldEchoNopPingDataAndIgnoreOneWayPings() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.Pdu r = c.nop(new byte[] {9, 8, 7}, false);
    assertEquals(0x20, r.opcode());
    assertEquals(RawIscsiClient.RESERVED, r.intAt(20));
    assertArrayEquals(new byte[] {9, 8, 7}, r.data());
    // NOP-Out with ITT 0xffffffff wants no answer: the next PDU answers the following ping.
    byte[] oneWay = new byte[48];
    oneWay[0] = 0x40;
    oneWay[1] = (byte) 0x80;
    RawIscsiClient.putInt(oneWay, 16, RawIscsiClient.RESERVED);
    RawIscsiClient.putInt(oneWay, 20, RawIscsiClient.RESERVED);
    RawIscsiClient.putInt(oneWay, 24, c.cmdSn());
    c.send(oneWay, new byte[0]);
    RawIscsiClient.Pdu next = c.nop(new byte[] {1}, true);
    assertArrayEquals(new byte[] {1}, next.data());
  }

  @Test
  void shouldHandCommandsToTheScsiLayerInCmdSnOrder() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("ImmediateData", "No");
    keys.put("InitialR2T", "Yes");
    RawIscsiClient c = h.login(keys);
    byte[] data = pattern(4096, 9);
    int writeItt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 8), 4096, false, true, writeItt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r2t = c.read();
    assertEquals(0x31, r2t.opcode());
    // A read that is ready at once, pipelined behind the write that still waits for its data.
    int readItt = c.newItt();
    c.send(c.scsiCommandBhs(0, read10(0, 8), 4096, true, false, readItt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    Thread.sleep(200);
    assertEquals(0, h.scsi.executed.size(), "the ready read waits behind the write still collecting data");
    c.sendDataOut(0, writeItt, r2t.intAt(20), data, 0, 4096, 8192);
    RawIscsiClient.ScsiResult a = null;
    RawIscsiClient.ScsiResult b = null;
    for (int i = 0; i < 2; i++) {
      RawIscsiClient.Pdu p = c.read();
      if (p.itt() == writeItt) {
        assertEquals(0x21, p.opcode());
        a = new RawIscsiClient.ScsiResult(0, p.byteAt(3), null, null, 0, 0, 0, 0, null, 0, false);
      } else {
        assertEquals(readItt, p.itt());
        assertEquals(0x25, p.opcode());
        b = new RawIscsiClient.ScsiResult(0, p.byteAt(3), p.data(), null, 0, 0, 0, 0, null, 0, true);
      }
    }
    assertEquals(0, a.status());
    assertArrayEquals(data, b.dataIn(), "the read ran after the write");
    assertEquals(0x2a, h.scsi.executed.get(0).opcode());
    assertEquals(0x28, h.scsi.executed.get(1).opcode());
  }

  @Test
  void shouldIgnoreCommandsOutsideTheWindow() throws Exception {
    RawIscsiClient c = h.login();
    RawIscsiClient.Pdu first = c.nop(new byte[0], true);
    int maxCmdSn = first.intAt(32);
    byte[] beyond = new byte[48];
    beyond[1] = (byte) 0x80;
    RawIscsiClient.putInt(beyond, 16, c.newItt());
    RawIscsiClient.putInt(beyond, 20, RawIscsiClient.RESERVED);
    RawIscsiClient.putInt(beyond, 24, maxCmdSn + 1);
    c.send(beyond, new byte[] {1});
    RawIscsiClient.Pdu answer = c.nop(new byte[] {2}, true);
    assertArrayEquals(new byte[] {2}, answer.data(), "the NOP-Out beyond MaxCmdSN was silently ignored");
  }
}
