package io.cairn.datapath.iscsi.login;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.negotiation.TargetOffer;
import io.cairn.datapath.target.ChapCredentials;
import io.cairn.datapath.target.TargetAccess;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CHAP (RFC 1994, RFC 7143 section 12.1.3) and initiator allow-lists through the login state
 * machine: every answer is computed here independently of the production code, from the challenge
 * the target sent.
 */
class ChapAuthenticationTest {

  static final String OPEN = "iqn.2026-11.io.cairn:open";
  static final String ONE_WAY = "iqn.2026-11.io.cairn:one-way";
  static final String MUTUAL = "iqn.2026-11.io.cairn:mutual";
  static final String LISTED = "iqn.2026-11.io.cairn:listed";
  static final String HOST = "iqn.1994-05.com.example:host1";
  static final String STRANGER = "iqn.1994-05.com.example:stranger";
  static final String USER = "host1-user";
  static final String SECRET = "initiator-secret-1";
  static final String TARGET_USER = "cairn-target";
  static final String TARGET_SECRET = "target-secret-22";

  private final LoginStateMachine.Config config = config(TargetAccess.OPEN);

  private static LoginStateMachine.Config config(TargetAccess discovery) {
    TargetCatalog catalog = new TargetCatalog();
    ChapCredentials chap = ChapCredentials.of(USER, SECRET);
    catalog.put(new TargetInfo(OPEN, "open", List.of()));
    catalog.put(new TargetInfo(ONE_WAY, "one-way", List.of(), new TargetAccess(Set.of(), chap, null)));
    catalog.put(new TargetInfo(MUTUAL, "mutual", List.of(),
        new TargetAccess(Set.of(), chap, ChapCredentials.of(TARGET_USER, TARGET_SECRET))));
    catalog.put(new TargetInfo(LISTED, "listed", List.of(), new TargetAccess(Set.of(HOST.toUpperCase()), chap, null)));
    return new LoginStateMachine.Config(offer(), catalog, 1, 65536,
        ChapAuthentication.factory(discovery, new SecureRandom()), tsih -> false);
  }

  private static TargetOffer offer() {
    return new TargetOffer(List.of("None"), List.of("None"), 65536, 262144, 65536, 1, false, true);
  }

  // ---------------------------------------------------------------- one-way CHAP

  @ParameterizedTest
  @CsvSource({"5, MD5, 16", "6, SHA-1, 20", "7, SHA-256, 32", "8, SHA3-256, 32"})
  void shouldLogInWithOneWayChap(int algorithm, String jca, int length) throws Exception {
    Login l = new Login(ONE_WAY);
    assertEquals("CHAP", l.start("CHAP,None").get("AuthMethod"));
    Map<String, String> c = l.step(false, "CHAP_A=" + algorithm);
    assertEquals(Integer.toString(algorithm), c.get("CHAP_A"));
    byte[] challenge = hex(c.get("CHAP_C"));
    assertEquals(ChapAuthentication.CHALLENGE_BYTES, challenge.length);

    byte[] r = digest(jca, Integer.parseInt(c.get("CHAP_I")), SECRET, challenge);
    assertEquals(length, r.length);
    LoginStep s = l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(r));

    assertEquals(LoginStep.Kind.CONTINUE, s.kind());
    assertTrue(s.transit(), "the security stage ends");
    assertEquals(LoginStep.Kind.COMPLETE, l.operational().kind());
  }

  @Test
  void shouldAcceptAResponseInBase64AndUpperCaseHex() throws Exception {
    Login l = new Login(ONE_WAY);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));
    assertTrue(l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0b" + Base64.getEncoder().encodeToString(r)).transit());

    Login u = new Login(ONE_WAY);
    u.start("CHAP");
    c = u.step(false, "CHAP_A=5");
    r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));
    assertTrue(u.request(true, "CHAP_N=" + USER + "\0CHAP_R=0X" + HexFormat.of().withUpperCase().formatHex(r)).transit());
  }

  @Test
  void shouldRefuseAWrongSecretWithAuthenticationFailure() throws Exception {
    Login l = new Login(ONE_WAY);
    l.start("CHAP,None");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), "not-the-secret-1", hex(c.get("CHAP_C")));

    LoginStep s = l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(r));

    assertFail(0x0201, s);
  }

  @Test
  void shouldRefuseAWrongNameEvenWithTheRightSecret() throws Exception {
    Login l = new Login(ONE_WAY);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));

    assertFail(0x0201, l.request(true, "CHAP_N=someone-else\0CHAP_R=0x" + HexFormat.of().formatHex(r)));
  }

  @Test
  void shouldRefuseTheReplayOfAResponseToAnOldChallenge() throws Exception {
    Login first = new Login(ONE_WAY);
    first.start("CHAP");
    Map<String, String> c1 = first.step(false, "CHAP_A=5");
    String recorded = "CHAP_N=" + USER + "\0CHAP_R=0x"
        + HexFormat.of().formatHex(digest("MD5", Integer.parseInt(c1.get("CHAP_I")), SECRET, hex(c1.get("CHAP_C"))));
    assertTrue(first.request(true, recorded).transit(), "the recorded response was valid for its own login");

    Login second = new Login(ONE_WAY);
    second.start("CHAP");
    Map<String, String> c2 = second.step(false, "CHAP_A=5");

    assertFalse(c1.get("CHAP_C").equals(c2.get("CHAP_C")), "every login draws a fresh challenge");
    assertFail(0x0201, second.request(true, recorded));
  }

  @Test
  void shouldAcceptOnlyOneResponsePerChallenge() throws Exception {
    Login l = new Login(ONE_WAY);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] wrong = digest("MD5", Integer.parseInt(c.get("CHAP_I")), "guess-number-one", hex(c.get("CHAP_C")));

    assertFail(0x0201, l.request(false, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(wrong)));
    byte[] right = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));
    assertEquals(LoginStep.Kind.FAIL,
        l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(right)).kind());
  }

  @Test
  void shouldRequireChapWhenTheTargetHasCredentials() {
    assertFail(0x0201, new Login(ONE_WAY).request(true, 0, 1, first(ONE_WAY) + "AuthMethod=None\0"));
    assertFail(0x0201, new Login(ONE_WAY).request(true, 1, 3, first(ONE_WAY)));
    assertFail(0x0201, new Login(ONE_WAY).request(true, 0, 1, first(ONE_WAY)));
  }

  @Test
  void shouldRefuseChapKeysOutOfOrderOrIncomplete() {
    Login early = new Login(ONE_WAY);
    early.start("CHAP");
    assertFail(0x0201, early.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x00"));

    Login noName = new Login(ONE_WAY);
    noName.start("CHAP");
    noName.step(false, "CHAP_A=5");
    assertFail(0x0201, noName.request(true, "CHAP_R=0x00112233445566778899aabbccddeeff"));

    Login badHex = new Login(ONE_WAY);
    badHex.start("CHAP");
    badHex.step(false, "CHAP_A=5");
    assertFail(0x0201, badHex.request(true, "CHAP_N=" + USER + "\0CHAP_R=0xzz"));

    Login unsupported = new Login(ONE_WAY);
    unsupported.start("CHAP");
    assertFail(0x0201, unsupported.request(false, "CHAP_A=99,100"));
  }

  @Test
  void shouldChooseTheFirstSupportedAlgorithmInTheInitiatorsOrder() {
    Login l = new Login(ONE_WAY);
    l.start("CHAP");

    Map<String, String> c = l.step(false, "CHAP_A=99,7,5");

    assertEquals("7", c.get("CHAP_A"));
    int id = Integer.parseInt(c.get("CHAP_I"));
    assertTrue(id >= 0 && id <= 255);
  }

  // ---------------------------------------------------------------- mutual CHAP

  @Test
  void shouldAuthenticateTheTargetToTheInitiatorWithMutualChap() throws Exception {
    Login l = new Login(MUTUAL);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));
    byte[] mine = HexFormat.of().parseHex("00112233445566778899aabbccddeeff0123456789abcdef");

    LoginStep s = l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(r)
        + "\0CHAP_I=77\0CHAP_C=0x" + HexFormat.of().formatHex(mine));

    assertTrue(s.transit());
    Map<String, String> k = keys(s);
    assertEquals(TARGET_USER, k.get("CHAP_N"));
    assertArrayEquals(digest("MD5", 77, TARGET_SECRET, mine), hex(k.get("CHAP_R")));
    assertEquals(LoginStep.Kind.COMPLETE, l.operational().kind());
  }

  @Test
  void shouldGiveAResponseThatFailsAgainstAWrongTargetSecret() throws Exception {
    // The initiator holds another secret for the target than the target has: its check of the
    // target's CHAP_R fails, so it abandons the login (the target cannot tell).
    Login l = new Login(MUTUAL);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));
    byte[] mine = new byte[16];
    new SecureRandom().nextBytes(mine);

    Map<String, String> k = keys(l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(r)
        + "\0CHAP_I=3\0CHAP_C=0x" + HexFormat.of().formatHex(mine)));

    assertFalse(MessageDigest.isEqual(digest("MD5", 3, "what-the-initiator-thinks", mine), hex(k.get("CHAP_R"))));
    assertArrayEquals(digest("MD5", 3, TARGET_SECRET, mine), hex(k.get("CHAP_R")));
  }

  @Test
  void shouldRefuseMutualChapWhenTheTargetHasNoCredentialsOfItsOwn() throws Exception {
    Login l = new Login(ONE_WAY);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));

    assertFail(0x0201, l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(r)
        + "\0CHAP_I=1\0CHAP_C=0x0102030405060708090a0b0c0d0e0f10"));
  }

  @Test
  void shouldRefuseAChallengeReflectedBackAtTheTarget() throws Exception {
    Login l = new Login(MUTUAL);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));

    assertFail(0x0201, l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(r)
        + "\0CHAP_I=" + c.get("CHAP_I") + "\0CHAP_C=" + c.get("CHAP_C")));
  }

  @Test
  void shouldRefuseHalfAMutualRequest() throws Exception {
    Login l = new Login(MUTUAL);
    l.start("CHAP");
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), SECRET, hex(c.get("CHAP_C")));

    assertFail(0x0201, l.request(true, "CHAP_N=" + USER + "\0CHAP_R=0x" + HexFormat.of().formatHex(r) + "\0CHAP_I=9"));
  }

  // ---------------------------------------------------------------- allow-lists and open targets

  @Test
  void shouldRefuseAnInitiatorNotOnTheAllowListWithAuthorizationFailure() {
    assertFail(0x0202, new Login(LISTED, STRANGER).request(true, 0, 1, first(LISTED, STRANGER) + "AuthMethod=CHAP\0"));
    assertFail(0x0202, new Login(LISTED, STRANGER).request(true, 1, 3, first(LISTED, STRANGER)));
  }

  @Test
  void shouldAdmitAListedInitiatorWhateverTheCaseOfItsName() {
    Map<String, String> k = new Login(LISTED, HOST).start("CHAP");

    assertEquals("CHAP", k.get("AuthMethod"));
  }

  @Test
  void shouldAnswerNoneOnAnOpenTargetEvenWhenTheInitiatorOffersChapFirst() {
    Login l = new Login(OPEN);
    LoginStep s = l.request(true, 0, 1, first(OPEN) + "AuthMethod=CHAP,None\0");

    assertEquals("None", keys(s).get("AuthMethod"));
    assertTrue(s.transit());
    assertEquals(LoginStep.Kind.COMPLETE, l.operational().kind());
    assertEquals(LoginStep.Kind.COMPLETE, new Login(OPEN).request(true, 1, 3, first(OPEN)).kind());
  }

  @Test
  void shouldRefuseChapOnlyOnAnOpenTarget() {
    assertFail(0x0201, new Login(OPEN).request(true, 0, 1, first(OPEN) + "AuthMethod=CHAP\0"));
  }

  @Test
  void shouldRequireChapOfDiscoverySessionsOnlyWhenTheNodeSaysSo() throws Exception {
    String discovery = "InitiatorName=" + HOST + "\0SessionType=Discovery\0";
    assertEquals(LoginStep.Kind.COMPLETE, new Login(null).request(true, 1, 3, discovery).kind());

    LoginStateMachine.Config guarded = config(
        new TargetAccess(Set.of(), ChapCredentials.of("discover", "discovery-secret"), null));
    assertFail(0x0201, new Login(guarded, null, HOST).request(true, 1, 3, discovery));
    Login l = new Login(guarded, null, HOST);
    assertEquals("CHAP", keys(l.request(false, 0, 1, discovery + "AuthMethod=CHAP\0")).get("AuthMethod"));
    Map<String, String> c = l.step(false, "CHAP_A=5");
    byte[] r = digest("MD5", Integer.parseInt(c.get("CHAP_I")), "discovery-secret", hex(c.get("CHAP_C")));
    assertTrue(l.request(true, "CHAP_N=discover\0CHAP_R=0x" + HexFormat.of().formatHex(r)).transit());
  }

  // ---------------------------------------------------------------- credentials

  @Test
  void shouldNeverPrintASecret() {
    ChapCredentials c = ChapCredentials.of(USER, SECRET);

    assertFalse(c.toString().contains(SECRET));
    assertFalse(new TargetAccess(Set.of(), c, ChapCredentials.of(TARGET_USER, TARGET_SECRET)).toString().contains(TARGET_SECRET));
    assertFalse(new TargetInfo(MUTUAL, "m", List.of(), new TargetAccess(Set.of(), c, null)).toString().contains(SECRET));
  }

  @Test
  void shouldRefuseTheSameSecretInBothDirections() {
    ChapCredentials c = ChapCredentials.of(USER, SECRET);

    assertThrows(IllegalArgumentException.class, () -> new TargetAccess(Set.of(), c, ChapCredentials.of(TARGET_USER, SECRET)));
    assertThrows(IllegalArgumentException.class, () -> new TargetAccess(Set.of(), null, c));
  }

  // ---------------------------------------------------------------- plumbing

  /** One login to a target (null: discovery), one request at a time. */
  final class Login {
    private final String target;
    private final String initiator;
    private final LoginStateMachine machine;

    Login(String target) {
      this(target, HOST);
    }

    Login(String target, String initiator) {
      this(config, target, initiator);
    }

    Login(LoginStateMachine.Config config, String target, String initiator) {
      this.target = target;
      this.initiator = initiator;
      this.machine = new LoginStateMachine(config);
    }

    /** The leading request: declarations and AuthMethod, T=1 towards the operational stage. */
    Map<String, String> start(String methods) {
      LoginStep s = request(true, 0, 1, first(target, initiator) + "AuthMethod=" + methods + "\0");
      assertEquals(LoginStep.Kind.CONTINUE, s.kind(), () -> String.format("status 0x%04x", s.status()));
      return keys(s);
    }

    /** A security-stage request whose answer must go on. */
    Map<String, String> step(boolean transit, String text) {
      LoginStep s = request(transit, text);
      assertEquals(LoginStep.Kind.CONTINUE, s.kind(), () -> String.format("status 0x%04x", s.status()));
      return keys(s);
    }

    LoginStep request(boolean transit, String text) {
      return request(transit, 0, 1, text + "\0");
    }

    LoginStep operational() {
      return request(true, 1, 3, "MaxRecvDataSegmentLength=8192\0");
    }

    LoginStep request(boolean transit, int csg, int nsg, String text) {
      return machine.onRequest(new LoginRequest(transit, false, csg, nsg, 0, 0, 0x400001370000L, 0, 1, 1, 5, 0,
          text.getBytes(StandardCharsets.UTF_8)));
    }
  }

  private static String first(String target) {
    return first(target, HOST);
  }

  private static String first(String target, String initiator) {
    return "InitiatorName=" + initiator + "\0" + (target == null ? "SessionType=Discovery\0" : "TargetName=" + target + "\0");
  }

  private static void assertFail(int status, LoginStep s) {
    assertEquals(LoginStep.Kind.FAIL, s.kind());
    assertEquals(status, s.status(), () -> String.format("expected 0x%04x, got 0x%04x", status, s.status()));
    assertEquals(0, s.text().length, "a refused login learns nothing more than its status");
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

  private static byte[] hex(String value) {
    assertTrue(value.startsWith("0x"), value);
    return HexFormat.of().parseHex(value.substring(2));
  }

  private static byte[] digest(String jca, int id, String secret, byte[] challenge) throws Exception {
    MessageDigest md = MessageDigest.getInstance(jca);
    md.update((byte) id);
    md.update(secret.getBytes(StandardCharsets.UTF_8));
    md.update(challenge);
    return md.digest();
  }

  @Test
  void shouldDrawAFreshChallengeForEveryLogin() {
    Set<String> challenges = new java.util.HashSet<>();
    for (int i = 0; i < 200; i++) {
      Login l = new Login(ONE_WAY);
      l.start("CHAP");
      challenges.add(l.step(false, "CHAP_A=5").get("CHAP_C"));
    }
    assertEquals(200, challenges.size());
  }
}
