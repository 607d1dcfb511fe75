package io.cairn.datapath.iscsi.login;

import io.cairn.datapath.iscsi.negotiation.BinaryValue;
import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.iscsi.negotiation.Negotiation;
import io.cairn.datapath.target.ChapCredentials;
import io.cairn.datapath.target.TargetAccess;
import io.cairn.datapath.target.TargetInfo;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;

/**
 * Security negotiation with the target's access policy (RFC 7143 sections 6.3.1 and 12.1.3, RFC
 * 1994): admits only initiators on the target's allow-list (else 0202h), and when the target has
 * CHAP credentials requires one-way CHAP, or mutual CHAP when the initiator asks the target to
 * authenticate itself. A target without CHAP credentials answers {@code AuthMethod=None}.
 *
 * <pre>
 *   I: AuthMethod=CHAP,None             T: AuthMethod=CHAP
 *   I: CHAP_A=5[,7...]                  T: CHAP_A=a  CHAP_I=id  CHAP_C=0x&lt;challenge&gt;
 *   I: CHAP_N=name  CHAP_R=0x&lt;H(id|secret|challenge)&gt;  [CHAP_I=id'  CHAP_C=0x&lt;c'&gt;]
 *                                      T: [CHAP_N=target-name  CHAP_R=0x&lt;H(id'|target-secret|c')&gt;]
 * </pre>
 *
 * <p>Every login draws a fresh identifier and a {@value #CHALLENGE_BYTES}-byte challenge from a
 * {@link SecureRandom}, and accepts exactly one response to it, so a response recorded from another
 * login (an old challenge) fails. Names and responses are compared in constant time. An initiator
 * challenge equal to the target's own is refused (reflection). Any failure, out-of-order or missing
 * key ends the login with 0201h; nothing of the login survives it. Secrets are never logged: this
 * class logs nothing, and {@link ChapCredentials#toString()} omits them.
 *
 * <p>Discovery sessions follow the {@code discovery} policy given to the {@link #factory}: open
 * unless the node configures discovery CHAP (and, optionally, a discovery allow-list).
 *
 * <p>One instance per login, event loop only.
 */
public final class ChapAuthentication implements SecurityNegotiator {

  /** Bytes of the target's challenge: at least the longest supported digest. */
  public static final int CHALLENGE_BYTES = 32;
  /** Longest initiator challenge accepted for mutual CHAP. */
  static final int MAX_INITIATOR_CHALLENGE_BYTES = 1024;

  static final String AUTH_METHOD = "AuthMethod";
  static final String CHAP = "CHAP";
  static final String NONE = "None";
  static final String CHAP_A = "CHAP_A";
  static final String CHAP_I = "CHAP_I";
  static final String CHAP_C = "CHAP_C";
  static final String CHAP_N = "CHAP_N";
  static final String CHAP_R = "CHAP_R";

  private enum Phase { START, AWAIT_ALGORITHM, AWAIT_RESPONSE, DONE, FAILED }

  private final TargetAccess discovery;
  private final SecureRandom random;
  private TargetAccess access = TargetAccess.OPEN;
  private Phase phase = Phase.START;
  private ChapAlgorithm algorithm;
  private int identifier;
  /** The challenge awaiting its one response; null once spent. */
  private byte[] challenge;
  /** The challenge this login issued, kept after it is spent to detect reflection. */
  private byte[] issued;

  private ChapAuthentication(TargetAccess discovery, SecureRandom random) {
    this.discovery = discovery;
    this.random = random;
  }

  /**
   * @param discovery the access policy of discovery sessions ({@link TargetAccess#OPEN} for none)
   * @param random the source of identifiers and challenges, shared (SecureRandom is thread-safe)
   */
  public static Factory factory(TargetAccess discovery, SecureRandom random) {
    Objects.requireNonNull(discovery);
    Objects.requireNonNull(random);
    return () -> new ChapAuthentication(discovery, random);
  }

  @Override
  public Progress admit(LoginIdentity who, TargetInfo target) {
    access = who.discovery() ? discovery : target.access();
    if (!access.allows(who.initiatorName())) return Progress.AUTHORIZATION_FAILED;
    return Progress.DONE;
  }

  @Override
  public boolean required() {
    return access.requiresChap();
  }

  @Override
  public boolean handles(String key) {
    return key.equals(AUTH_METHOD) || key.equals(CHAP_A) || key.equals(CHAP_I) || key.equals(CHAP_C)
        || key.equals(CHAP_N) || key.equals(CHAP_R);
  }

  @Override
  public Progress negotiate(LoginIdentity who, List<KeyValue> keys, List<KeyValue> response) {
    if (phase == Phase.FAILED) return Progress.AUTHENTICATION_FAILED;
    String name = null;
    String chapR = null;
    String initiatorId = null;
    String initiatorChallenge = null;
    boolean sawAuthMethod = false;
    for (KeyValue kv : keys) {
      switch (kv.key()) {
        case AUTH_METHOD -> {
          if (phase != Phase.START) return fail();
          sawAuthMethod = true;
          if (!authMethod(kv.value(), response)) return fail();
        }
        case CHAP_A -> {
          if (phase != Phase.AWAIT_ALGORITHM) return fail();
          if (!algorithm(kv.value(), response)) return fail();
        }
        case CHAP_N -> name = kv.value();
        case CHAP_R -> chapR = kv.value();
        case CHAP_I -> initiatorId = kv.value();
        case CHAP_C -> initiatorChallenge = kv.value();
        default -> {
          return fail();
        }
      }
    }
    boolean responded = name != null || chapR != null || initiatorId != null || initiatorChallenge != null;
    if (responded) {
      if (phase != Phase.AWAIT_RESPONSE) return fail();
      if (!verify(name, chapR) || !mutual(initiatorId, initiatorChallenge, response)) return fail();
      phase = Phase.DONE;
    }
    if (phase == Phase.START && !sawAuthMethod) {
      // The initiator wants to leave the security stage without negotiating a method.
      if (required()) return fail();
      phase = Phase.DONE;
    }
    return phase == Phase.DONE ? Progress.DONE : Progress.CONTINUE;
  }

  /** AuthMethod: CHAP when the target requires it, else None; the initiator's list must hold it. */
  private boolean authMethod(String offered, List<KeyValue> response) {
    List<String> methods = Negotiation.list(offered);
    String chosen = required() ? CHAP : NONE;
    if (!methods.contains(chosen)) {
      response.add(new KeyValue(AUTH_METHOD, Negotiation.REJECT));
      return false;
    }
    response.add(new KeyValue(AUTH_METHOD, chosen));
    phase = required() ? Phase.AWAIT_ALGORITHM : Phase.DONE;
    return true;
  }

  /** CHAP_A: the first algorithm of the initiator's list that is supported, then the challenge. */
  private boolean algorithm(String offered, List<KeyValue> response) {
    for (String v : Negotiation.list(offered)) {
      ChapAlgorithm a = v.matches("[0-9]{1,3}") ? ChapAlgorithm.of(Integer.parseInt(v)) : null;
      if (a == null) continue;
      algorithm = a;
      identifier = random.nextInt(256);
      challenge = new byte[CHALLENGE_BYTES];
      random.nextBytes(challenge);
      issued = challenge;
      response.add(new KeyValue(CHAP_A, Integer.toString(a.code)));
      response.add(new KeyValue(CHAP_I, Integer.toString(identifier)));
      response.add(new KeyValue(CHAP_C, BinaryValue.hex(challenge)));
      phase = Phase.AWAIT_RESPONSE;
      return true;
    }
    response.add(new KeyValue(CHAP_A, Negotiation.REJECT));
    return false;
  }

  /** CHAP_N and CHAP_R against this login's challenge; the challenge is spent either way. */
  private boolean verify(String name, String chapR) {
    byte[] c = challenge;
    challenge = null;
    if (name == null || chapR == null || c == null) return false;
    ChapCredentials expected = access.chap();
    byte[] got = BinaryValue.decode(chapR, algorithm.length());
    byte[] want = algorithm.response(identifier, expected.secret(), c);
    boolean nameOk = expected.userMatches(name);
    boolean responseOk = got != null && MessageDigest.isEqual(want, got);
    return nameOk & responseOk;
  }

  /**
   * Mutual CHAP: when the initiator sent CHAP_I and CHAP_C, answers with the target's name and
   * response. Refused when only one of them came, when the target has no credentials of its own,
   * or when the initiator's challenge repeats the target's (a reflection attack).
   */
  private boolean mutual(String initiatorId, String initiatorChallenge, List<KeyValue> response) {
    if (initiatorId == null && initiatorChallenge == null) return true;
    if (initiatorId == null || initiatorChallenge == null || access.mutualChap() == null) return false;
    if (!initiatorId.matches("[0-9]{1,3}")) return false;
    int id = Integer.parseInt(initiatorId);
    byte[] c = BinaryValue.decode(initiatorChallenge, MAX_INITIATOR_CHALLENGE_BYTES);
    if (id > 255 || c == null) return false;
    if (lastChallengeEquals(c)) return false;
    ChapCredentials target = access.mutualChap();
    response.add(new KeyValue(CHAP_N, target.user()));
    response.add(new KeyValue(CHAP_R, BinaryValue.hex(algorithm.response(id, target.secret(), c))));
    return true;
  }

  private boolean lastChallengeEquals(byte[] c) {
    return issued != null && MessageDigest.isEqual(issued, c);
  }

  private Progress fail() {
    phase = Phase.FAILED;
    challenge = null;
    return Progress.AUTHENTICATION_FAILED;
  }
}
