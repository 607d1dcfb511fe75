package io.cairn.datapath.iscsi;

import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.read10;
import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Data-Out sequencing (RFC 7143 sections 11.7.5, 11.8.3): DataSN counts 0, 1, ... within the
 * unsolicited sequence and within each R2T's sequence, the Buffer Offset continues where the last
 * PDU ended, the TTT names an R2T the task opened. A PDU that breaks a rule fails its task with
 * CHECK CONDITION, ABORTED COMMAND (the sense naming the rule) and nothing is written; the session
 * goes on. The DataSN cases are the four of libiscsi's iSCSIDataSnInvalid: two Data-Out with DataSN
 * 0, DataSN 27, DataSN -1, and DataSN 1 then 0.
 */
@Timeout(30)
class DataSequenceTest {

  private final PortalHarness h = new PortalHarness();

  @AfterEach
  void close() throws Exception {
    h.close();
  }

  /** A session as libiscsi's test runs it: no immediate data, unsolicited Data-Out allowed. */
  private RawIscsiClient unsolicitedSession() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("ImmediateData", "No");
    keys.put("InitialR2T", "No");
    return h.login(keys);
  }

  @ParameterizedTest(name = "DataSN {0} then {1}")
  @CsvSource({"0, 0", "27, -2", "-1, -2", "1, 0"})
  void shouldFailTheWriteWhoseUnsolicitedDataSnIsOutOfSequence(int firstDataSn, int secondDataSn) throws Exception {
    RawIscsiClient c = unsolicitedSession();
    byte[] before = Arrays.copyOf(h.scsi.disk(0), 1024);
    int blocks = secondDataSn == -2 ? 1 : 2;
    int itt = c.newItt();

    c.send(c.scsiCommandBhs(0, write10(100, blocks), 512 * blocks, false, true, itt, false, false), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    c.send(c.dataOutBhs(0, itt, RawIscsiClient.RESERVED, firstDataSn, 0, blocks == 1), filled(512, 0x5a));
    if (blocks == 2) c.send(c.dataOutBhs(0, itt, RawIscsiClient.RESERVED, secondDataSn, 512, true), filled(512, 0x5a));

    RawIscsiClient.ScsiResult r = c.collect(itt, null, 0, PortalHarness.TARGET_MRDSL);
    assertEquals(0x02, r.status(), "CHECK CONDITION");
    assertEquals(0x0b, r.sense()[2], "ABORTED COMMAND");
    assertEquals(0x4b, r.sense()[12], "DATA PHASE ERROR");
    assertEquals(0x00, r.sense()[13]);
    assertTrue(h.scsi.executed.isEmpty(), "the SCSI layer never saw the write");
    assertArrayEquals(before, c.read(0, read10(0, 2), 1024).dataIn(), "nothing was written; the session goes on");
  }

  @Test
  void shouldStartTheDataSnOfEveryR2tSequenceAtZero() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("ImmediateData", "No");
    keys.put("InitialR2T", "Yes");
    keys.put("MaxOutstandingR2T", "1");
    RawIscsiClient c = h.login(keys);
    int size = 2 * PortalHarness.MAX_BURST;
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, size / 512), size, false, true, itt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);

    RawIscsiClient.Pdu first = c.read();
    assertEquals(0, first.intAt(36), "R2TSN 0");
    c.sendDataOut(0, itt, first.intAt(20), new byte[size], first.intAt(40), first.intAt(44), PortalHarness.TARGET_MRDSL);
    RawIscsiClient.Pdu second = c.read();
    assertEquals(1, second.intAt(36), "R2TSN 1");
    // DataSN continuing the first sequence's numbering instead of starting again at 0.
    int continued = PortalHarness.MAX_BURST / PortalHarness.TARGET_MRDSL;
    c.send(c.dataOutBhs(0, itt, second.intAt(20), continued, second.intAt(40), true), new byte[PortalHarness.TARGET_MRDSL]);

    RawIscsiClient.ScsiResult r = c.collect(itt, null, 0, PortalHarness.TARGET_MRDSL);
    assertEquals(0x02, r.status());
    assertEquals(0x4b, r.sense()[12]);
    assertEquals(0x00, r.sense()[13]);
    assertEquals(2, r.expDataSn(), "ExpDataSN counts the R2Ts sent");
  }

  @Test
  void shouldNameAWrongBufferOffsetDataOffsetError() throws Exception {
    RawIscsiClient c = unsolicitedSession();
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 2), 1024, false, true, itt, false, false), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    c.send(c.dataOutBhs(0, itt, RawIscsiClient.RESERVED, 0, 0, false), new byte[512]);
    c.send(c.dataOutBhs(0, itt, RawIscsiClient.RESERVED, 1, 1024, true), new byte[512]);

    RawIscsiClient.ScsiResult r = c.collect(itt, null, 0, PortalHarness.TARGET_MRDSL);
    assertEquals(0x4b, r.sense()[12]);
    assertEquals(0x05, r.sense()[13], "DATA OFFSET ERROR");
  }

  @Test
  void shouldNameATransferTagNoR2tOpenedInvalidTargetPortTransferTag() throws Exception {
    Map<String, String> keys = PortalHarness.keys();
    keys.put("ImmediateData", "No");
    keys.put("InitialR2T", "Yes");
    RawIscsiClient c = h.login(keys);
    int itt = c.newItt();
    c.send(c.scsiCommandBhs(0, write10(0, 1), 512, false, true, itt, false, true), new byte[0]);
    c.cmdSn(c.cmdSn() + 1);
    RawIscsiClient.Pdu r2t = c.read();
    c.send(c.dataOutBhs(0, itt, r2t.intAt(20) + 1000, 0, 0, true), new byte[512]);
    c.send(c.dataOutBhs(0, itt, r2t.intAt(20), 0, 0, true), new byte[512]);

    RawIscsiClient.ScsiResult r = c.collect(itt, null, 0, PortalHarness.TARGET_MRDSL);
    assertEquals(0x4b, r.sense()[12]);
    assertEquals(0x01, r.sense()[13], "INVALID TARGET PORT TRANSFER TAG RECEIVED");
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
