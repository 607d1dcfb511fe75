package io.cairn.datapath.iscsi.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.iscsi.negotiation.TargetOffer;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoginStateMachineTest {

  static final String TARGET = "iqn.2026-11.io.cairn:vg1";
  static final String INITIATOR = "iqn.1994-05.com.example:host1";

  private TargetCatalog catalog;
  private LoginStateMachine.Config config;

  @BeforeEach
  void setUp() {
    catalog = new TargetCatalog();
    catalog.put(new TargetInfo(TARGET, "vg1", List.of()));
    TargetOffer offer = new TargetOffer(List.of("None", "CRC32C"), List.of("None", "CRC32C"), 65536, 262144,
        65536, 1, false, true);
    config = new LoginStateMachine.Config(offer, catalog, 7, 65536, NoAuthentication.FACTORY, tsih -> tsih == 9);
  }

  private static LoginRequest req(boolean t, boolean c, int csg, int nsg, String text) {
    return req(t, c, csg, nsg, 0, 0, text);
  }

  private static LoginRequest req(boolean t, boolean c, int csg, int nsg, int tsih, int versionMin, String text) {
    return new LoginRequest(t, c, csg, nsg, 0, versionMin, 0x400001370000L, tsih, 1, 1, 5, 0,
        text.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> keys(LoginStep step) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String kv : new String(step.text(), StandardCharsets.UTF_8).split("\0")) {
      if (kv.isEmpty()) continue;
      int eq = kv.indexOf('=');
      m.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return m;
  }

  @Test
  void shouldLogInThroughSecurityAndOperationalStages() {
    LoginStateMachine m = new LoginStateMachine(config);
    LoginStep s1 = m.onRequest(req(true, false, 0, 1,
        "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0SessionType=Normal\0AuthMethod=None\0"));
    assertEquals(LoginStep.Kind.CONTINUE, s1.kind());
    assertTrue(s1.transit());
    assertEquals(0, s1.currentStage());
    assertEquals(1, s1.nextStage());
    assertEquals(Map.of("TargetPortalGroupTag", "7", "TargetAlias", "vg1", "AuthMethod", "None"), keys(s1));

    LoginStep s2 = m.onRequest(req(true, false, 1, 3,
        "HeaderDigest=CRC32C,None\0DataDigest=None\0MaxRecvDataSegmentLength=4096\0InitialR2T=No\0"
            + "ImmediateData=Yes\0MaxBurstLength=1048576\0FirstBurstLength=262144\0X-com.example.foo=1\0"));
    assertEquals(LoginStep.Kind.COMPLETE, s2.kind());
    assertTrue(s2.transit());
    assertEquals(1, s2.currentStage());
    assertEquals(3, s2.nextStage());
    Map<String, String> k = keys(s2);
    assertEquals("65536", k.get("MaxRecvDataSegmentLength"));
    assertEquals("CRC32C", k.get("HeaderDigest"));
    assertEquals("None", k.get("DataDigest"));
    assertEquals("No", k.get("InitialR2T"));
    assertEquals("262144", k.get("MaxBurstLength"));
    assertEquals("65536", k.get("FirstBurstLength"));
    assertEquals("NotUnderstood", k.get("X-com.example.foo"));
    assertEquals(INITIATOR, m.identity().initiatorName());
    assertEquals(TARGET, m.identity().targetName());
    assertFalse(m.identity().discovery());
    assertTrue(m.parameters().headerDigest());
    assertEquals(4096, m.parameters().initiatorMaxRecvDataSegmentLength());
    assertEquals(65536, m.parameters().targetMaxRecvDataSegmentLength());
    assertEquals(5, m.initialCmdSn());
  }

  @Test
  void shouldStayInAStageWhenTheInitiatorDoesNotAskToLeave() {
    LoginStateMachine m = new LoginStateMachine(config);
    LoginStep s = m.onRequest(req(false, false, 1, 0, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0"));
    assertEquals(LoginStep.Kind.CONTINUE, s.kind());
    assertFalse(s.transit());
    LoginStep done = m.onRequest(req(true, false, 1, 3, "MaxBurstLength=65536\0"));
    assertEquals(LoginStep.Kind.COMPLETE, done.kind());
  }

  @Test
  void shouldReassembleTextContinuedOverSeveralPdus() {
    LoginStateMachine m = new LoginStateMachine(config);
    String text = "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0InitiatorAlias=host1\0";
    LoginStep a = m.onRequest(req(false, true, 1, 0, text.substring(0, 20)));
    assertEquals(LoginStep.Kind.CONTINUE, a.kind());
    assertEquals(0, a.text().length);
    LoginStep b = m.onRequest(req(false, true, 1, 0, text.substring(20, 50)));
    assertEquals(0, b.text().length);
    LoginStep c = m.onRequest(req(true, false, 1, 3, text.substring(50)));
    assertEquals(LoginStep.Kind.COMPLETE, c.kind());
    assertEquals("host1", m.identity().initiatorAlias());
  }

  @Test
  void shouldAcceptADiscoverySessionWithoutTargetName() {
    LoginStateMachine m = new LoginStateMachine(config);
    LoginStep s = m.onRequest(req(true, false, 1, 3, "InitiatorName=" + INITIATOR + "\0SessionType=Discovery\0"
        + "MaxBurstLength=512\0HeaderDigest=None\0"));
    assertEquals(LoginStep.Kind.COMPLETE, s.kind());
    assertTrue(m.identity().discovery());
    assertEquals("Irrelevant", keys(s).get("MaxBurstLength"));
    assertFalse(keys(s).containsKey("TargetPortalGroupTag"));
  }

  @Test
  void shouldRefuseUnknownTargetWithNotFound() {
    assertFail(0x0203, req(true, false, 0, 1, "InitiatorName=" + INITIATOR + "\0TargetName=iqn.2026-11.io.cairn:nope\0"));
  }

  @Test
  void shouldRefuseMissingInitiatorNameOrTargetName() {
    assertFail(0x0207, req(true, false, 0, 1, "TargetName=" + TARGET + "\0"));
    assertFail(0x0207, req(true, false, 0, 1, "InitiatorName=" + INITIATOR + "\0SessionType=Normal\0"));
  }

  @Test
  void shouldRefuseUnsupportedVersion() {
    assertFail(0x0205, req(true, false, 0, 1, 0, 1, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0"));
  }

  @Test
  void shouldRefuseUnknownSessionType() {
    assertFail(0x0209, req(true, false, 0, 1, "InitiatorName=" + INITIATOR + "\0SessionType=Weird\0"));
  }

  @Test
  void shouldRefuseAConnectionForAnExistingOrUnknownSession() {
    assertFail(0x0206, req(true, false, 0, 1, 9, 0, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0"));
    assertFail(0x020a, req(true, false, 0, 1, 4, 0, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0"));
  }

  @Test
  void shouldRefuseAKeySentTwiceInOneLogin() {
    LoginStateMachine m = new LoginStateMachine(config);
    m.onRequest(req(false, false, 1, 0, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0MaxBurstLength=512\0"));
    LoginStep s = m.onRequest(req(true, false, 1, 3, "MaxBurstLength=1024\0"));
    assertEquals(LoginStep.Kind.FAIL, s.kind());
    assertEquals(0x0200, s.status());
  }

  @Test
  void shouldRefuseMalformedTextAndInvalidTransitions() {
    assertFail(0x0200, req(true, false, 0, 1, "InitiatorName\0"));
    assertFail(0x0200, req(true, true, 0, 1, "InitiatorName=" + INITIATOR + "\0")); // T and C together
    assertFail(0x0200, req(true, false, 1, 1, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0"));
    assertFail(0x0200, req(true, false, 3, 3, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0"));
  }

  @Test
  void shouldRefuseAStageChangeTheTargetDidNotGrant() {
    LoginStateMachine m = new LoginStateMachine(config);
    m.onRequest(req(false, false, 0, 0, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0"));
    LoginStep s = m.onRequest(req(true, false, 1, 3, ""));
    assertEquals(0x0200, s.status());
  }

  @Test
  void shouldFailAuthenticationWhenNoneIsNotOffered() {
    assertFail(0x0201, req(true, false, 0, 1,
        "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0AuthMethod=CHAP\0"));
  }

  @Test
  void shouldRefuseTextBeyondTheLimit() {
    LoginStateMachine m = new LoginStateMachine(new LoginStateMachine.Config(config.offer(), catalog, 7, 100,
        NoAuthentication.FACTORY, t -> false));
    m.onRequest(req(false, true, 1, 0, "X".repeat(60)));
    LoginStep s = m.onRequest(req(false, true, 1, 0, "X".repeat(60)));
    assertEquals(0x0302, s.status());
  }

  @Test
  void shouldUseAReplacementSecurityNegotiator() {
    // A stand-in for CHAP: two security exchanges before the stage may end.
    SecurityNegotiator twoStep = new SecurityNegotiator() {
      int rounds;

      @Override
      public boolean required() {
        return true;
      }

      @Override
      public boolean handles(String key) {
        return key.equals("AuthMethod") || key.startsWith("CHAP_");
      }

      @Override
      public Progress negotiate(LoginIdentity who, List<KeyValue> keys, List<KeyValue> response) {
        response.add(new KeyValue("CHAP_A", "5"));
        return ++rounds >= 2 ? Progress.DONE : Progress.CONTINUE;
      }
    };
    LoginStateMachine.Config chap = new LoginStateMachine.Config(config.offer(), catalog, 7, 65536, () -> twoStep,
        t -> false);
    assertEquals(0x0201, new LoginStateMachine(chap).onRequest(
        req(true, false, 1, 3, "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0")).status());
    LoginStateMachine m = new LoginStateMachine(chap);
    LoginStep s1 = m.onRequest(req(true, false, 0, 1,
        "InitiatorName=" + INITIATOR + "\0TargetName=" + TARGET + "\0AuthMethod=CHAP\0"));
    assertFalse(s1.transit());
    LoginStep s2 = m.onRequest(req(true, false, 0, 1, "CHAP_A=5\0"));
    assertTrue(s2.transit());
    assertEquals("5", keys(s2).get("CHAP_A"));
  }

  private void assertFail(int status, LoginRequest r) {
    LoginStep s = new LoginStateMachine(config).onRequest(r);
    assertEquals(LoginStep.Kind.FAIL, s.kind());
    assertEquals(status, s.status(), String.format("expected 0x%04x, got 0x%04x", status, s.status()));
  }
}
