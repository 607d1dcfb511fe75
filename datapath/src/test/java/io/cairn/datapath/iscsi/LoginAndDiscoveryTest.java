package io.cairn.datapath.iscsi;

import static io.cairn.datapath.iscsi.PortalHarness.OTHER_TARGET;
import static io.cairn.datapath.iscsi.PortalHarness.TARGET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.target.TargetInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Login, negotiation results on the wire, SendTargets, login failures and timeouts, over a real socket. */
@Timeout(60)
class LoginAndDiscoveryTest {

  private PortalHarness h;

  @BeforeEach
  void start() {
    h = new PortalHarness();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void shouldNegotiateTheOfferedValuesAndDeclareTheTargetsSegmentLength() throws Exception {
    RawIscsiClient c = h.login();
    Map<String, String> n = c.negotiated;
    assertEquals("None", n.get("AuthMethod"));
    assertEquals("3", n.get("TargetPortalGroupTag"));
    assertEquals("vg1", n.get("TargetAlias"));
    assertEquals("8192", n.get("MaxRecvDataSegmentLength"));
    assertEquals("32768", n.get("MaxBurstLength"));
    assertEquals("16384", n.get("FirstBurstLength"));
    assertEquals("No", n.get("InitialR2T"));
    assertEquals("Yes", n.get("ImmediateData"));
    assertEquals("2", n.get("MaxOutstandingR2T"));
    assertEquals("0", n.get("ErrorRecoveryLevel"));
    assertEquals("1", n.get("MaxConnections"));
    assertNotEquals(0, c.tsih);
    // Idle window: MaxCmdSN - ExpCmdSN + 1 = max-cmd-window.
    RawIscsiClient.Pdu nop = c.nop(new byte[0], true);
    assertEquals(16, nop.intAt(32) - nop.intAt(28) + 1);
    assertEquals(1, h.portal.stats().sessionsActive());
  }

  @Test
  void shouldListEveryTargetInADiscoverySession() throws Exception {
    RawIscsiClient c = h.connect();
    c.login(null, Map.of("HeaderDigest", "None", "DataDigest", "None"));
    Map<String, List<String>> st = c.sendTargets("All");
    assertEquals(List.of(TARGET, OTHER_TARGET), st.get("TargetName"));
    String address = "127.0.0.1:" + h.portal.boundPort() + ",3";
    assertEquals(List.of(address, address), st.get("TargetAddress"));
    RawIscsiClient.Pdu logout = c.logout(0);
    assertEquals(0x26, logout.opcode());
    assertEquals(0, logout.byteAt(2));
    assertTrue(c.closedByTarget(2000));
  }

  @Test
  void shouldAnswerSendTargetsForOneNameOrTheSessionsTargetInANormalSession() throws Exception {
    RawIscsiClient c = h.login();
    assertEquals(List.of(OTHER_TARGET), c.sendTargets(OTHER_TARGET).get("TargetName"));
    assertEquals(List.of(TARGET), c.sendTargets("").get("TargetName"));
    assertEquals(List.of(TARGET, OTHER_TARGET), c.sendTargets("All").get("TargetName"));
    assertEquals(null, c.sendTargets("iqn.2026-11.io.cairn:absent").get("TargetName"));
  }

  @Test
  void shouldSplitALongSendTargetsAnswerWithTheContinueBit() throws Exception {
    for (int i = 0; i < 200; i++) {
      h.catalog.put(new TargetInfo(String.format("iqn.2026-11.io.cairn:volume-group-with-a-long-name-%04d", i), "", List.of()));
    }
    RawIscsiClient c = h.connect();
    c.ownMaxRecvDataSegmentLength = 1024;
    c.login(null, Map.of("HeaderDigest", "None"));
    int itt = c.newItt();
    RawIscsiClient.Pdu r = c.textRequest(itt, RawIscsiClient.RESERVED, false, "SendTargets=All\0".getBytes(StandardCharsets.UTF_8));
    int pdus = 1;
    StringBuilder text = new StringBuilder(r.text());
    while ((r.flags() & 0x40) != 0) {
      assertEquals(0, r.flags() & 0x80, "a continued response is not final");
      assertNotEquals(RawIscsiClient.RESERVED, r.intAt(20), "a continued response carries a Target Transfer Tag");
      assertTrue(r.data().length <= 1024);
      r = c.textRequest(itt, r.intAt(20), false, new byte[0]);
      text.append(r.text());
      pdus++;
    }
    assertEquals(0x80, r.flags() & 0x80);
    assertEquals(RawIscsiClient.RESERVED, r.intAt(20));
    assertTrue(pdus > 10, "expected many Text Responses, got " + pdus);
    long names = text.toString().split("\0").length;
    assertEquals(2 * 202, names);
  }

  @Test
  void shouldReassembleATextRequestSpanningPdus() throws Exception {
    RawIscsiClient c = h.login();
    int itt = c.newItt();
    RawIscsiClient.Pdu r1 = c.textRequest(itt, RawIscsiClient.RESERVED, true, "SendTar".getBytes(StandardCharsets.UTF_8));
    assertEquals(0, r1.data().length);
    assertEquals(0, r1.flags() & 0xc0);
    RawIscsiClient.Pdu r2 = c.textRequest(itt, r1.intAt(20), false, ("gets=" + OTHER_TARGET + "\0").getBytes(StandardCharsets.UTF_8));
    assertEquals("TargetName=" + OTHER_TARGET + "\0TargetAddress=127.0.0.1:" + h.portal.boundPort() + ",3\0", r2.text());
  }

  @Test
  void shouldRefuseAnUnknownTargetWithStatusNotFound() throws Exception {
    RawIscsiClient c = h.connect();
    RawIscsiClient.LoginFailed e = assertThrows(RawIscsiClient.LoginFailed.class,
        () -> c.login("iqn.2026-11.io.cairn:nope", PortalHarness.keys()));
    assertEquals(0x0203, e.status);
    assertTrue(c.closedByTarget(2000));
    assertEquals(1, h.portal.stats().loginFailures());
  }

  @Test
  void shouldRefuseALoginWithoutInitiatorName() throws Exception {
    RawIscsiClient c = h.connect();
    RawIscsiClient.LoginFailed e = assertThrows(RawIscsiClient.LoginFailed.class,
        () -> c.loginPdu(true, false, 0, 1, ("TargetName=" + TARGET + "\0").getBytes(StandardCharsets.UTF_8)));
    assertEquals(0x0207, e.status);
  }

  @Test
  void shouldRejectAPduOtherThanLoginDuringLogin() throws Exception {
    RawIscsiClient c = h.connect();
    Map<String, String> first = new LinkedHashMap<>();
    first.put("InitiatorName", c.initiatorName);
    first.put("TargetName", TARGET);
    c.loginPdu(false, false, 0, 0, RawIscsiClient.text(first));
    c.send(c.scsiCommandBhs(0, RawIscsiClient.inquiry(36), 36, true, false, 5, false, true), new byte[0]);
    RawIscsiClient.Pdu r = c.read();
    assertEquals(0x23, r.opcode());
    assertEquals(0x020b, (r.byteAt(36) << 8) | r.byteAt(37));
    assertTrue(c.closedByTarget(2000));
  }

  @Test
  void shouldCloseAConnectionThatDoesNotFinishLoginInTime() throws Exception {
    h.close();
    h = new PortalHarness(PortalHarness.settings(Duration.ofMillis(300), Duration.ZERO), PortalLimits.DEFAULTS);
    RawIscsiClient idle = h.connect();
    assertTrue(idle.closedByTarget(5000));
    assertEquals(1, h.portal.stats().loginFailures());
  }

  @Test
  void shouldCompleteLoginInOneStepFromTheOperationalStage() throws Exception {
    RawIscsiClient c = h.connect();
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("InitiatorName", c.initiatorName);
    keys.put("TargetName", TARGET);
    keys.put("MaxRecvDataSegmentLength", "65536");
    RawIscsiClient.Pdu r = c.loginPdu(true, false, 1, 3, RawIscsiClient.text(keys));
    assertEquals(0x87, r.flags(), "T, CSG 1, NSG 3: nothing left to propose");
    assertTrue(r.text().contains("MaxRecvDataSegmentLength=8192"));
    c.negotiated.putAll(RawIscsiClient.parse(r.data()));
    assertEquals(0x20, c.nop(new byte[] {1, 2, 3}, false).opcode());
  }

  @Test
  void shouldReinstateASessionWithTheSameIsidAndEndTheOldOne() throws Exception {
    RawIscsiClient first = h.login();
    RawIscsiClient second = h.connect().isid(0x400001370000L);
    second.login(TARGET, PortalHarness.keys());
    assertTrue(first.closedByTarget(5000), "the reinstated session's connection is closed");
    assertEquals(1, h.scsi.lostNexuses.size());
    assertEquals(TARGET, h.scsi.lostNexuses.get(0).targetName());
    assertEquals(0x20, second.nop(new byte[0], true).opcode());
  }

  @Test
  void shouldNegotiateADiscoverySessionsIrrelevantKeys() throws Exception {
    RawIscsiClient c = h.connect();
    Map<String, String> n = c.login(null, Map.of("MaxBurstLength", "262144", "HeaderDigest", "None"));
    assertEquals("Irrelevant", n.get("MaxBurstLength"));
    assertEquals(null, n.get("TargetPortalGroupTag"));
  }

  @Test
  void shouldPingAnIdleInitiatorAndDropItWhenItNeverAnswers() throws Exception {
    h.close();
    h = new PortalHarness(PortalHarness.settings(Duration.ofSeconds(5), Duration.ofMillis(200)), PortalLimits.DEFAULTS);
    RawIscsiClient c = h.login();
    RawIscsiClient.Pdu ping = c.read();
    assertEquals(0x20, ping.opcode());
    assertEquals(RawIscsiClient.RESERVED, ping.itt());
    assertNotEquals(RawIscsiClient.RESERVED, ping.intAt(20));
    // Answer it: ITT 0xffffffff, the ping's TTT, immediate.
    byte[] answer = new byte[48];
    answer[0] = 0x40;
    answer[1] = (byte) 0x80;
    RawIscsiClient.putInt(answer, 16, RawIscsiClient.RESERVED);
    RawIscsiClient.putInt(answer, 20, ping.intAt(20));
    RawIscsiClient.putInt(answer, 24, c.cmdSn());
    c.send(answer, new byte[0]);
    RawIscsiClient.Pdu next = c.read(); // the next ping: the connection survived the interval
    assertEquals(RawIscsiClient.RESERVED, next.itt());
    assertTrue(c.closedByTarget(3000), "an initiator that stops answering is dropped");
  }
}
