package io.cairn.datapath.iscsi.login;

import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.target.TargetInfo;
import java.util.List;

/**
 * The security negotiation stage of one login (RFC 7143 sections 6.3.1 and 12): a replaceable
 * component, so an authenticating one (CHAP) can take the place of {@link NoAuthentication}.
 * One instance per login; called on the connection's event loop only.
 */
public interface SecurityNegotiator {

  /** Outcome of one security-stage exchange. */
  enum Progress {
    /** More exchanges are needed: the target answers without the T bit. */
    CONTINUE,
    /** Authentication done: the login may leave the security stage. */
    DONE,
    /** Status 0x0201: the initiator could not be authenticated. */
    AUTHENTICATION_FAILED,
    /** Status 0x0202: the initiator is authenticated but not allowed on the target. */
    AUTHORIZATION_FAILED
  }

  /**
   * Called once per login, as soon as the leading request's declarations (InitiatorName,
   * TargetName, SessionType) are known and before any {@link #negotiate}: decides whether this
   * initiator may log in to this target at all, and so what {@link #required()} answers.
   *
   * @param target the target logged in to, or null in a discovery session
   * @return {@link Progress#DONE} to go on; {@link Progress#AUTHORIZATION_FAILED} (0202h) or
   *     {@link Progress#AUTHENTICATION_FAILED} (0201h) to refuse the login at once
   */
  default Progress admit(LoginIdentity who, TargetInfo target) {
    return Progress.DONE;
  }

  /**
   * Whether this login must go through the security stage (asked after {@link #admit}); a login
   * that starts in the operational stage is then refused with authentication failure.
   */
  boolean required();

  /** Whether the key belongs to security negotiation (AuthMethod, CHAP_A, ...). */
  boolean handles(String key);

  /**
   * Handles the security keys of one complete Login Request text received in the security stage.
   *
   * @param who the login's identity (initiator and target names are known by now)
   * @param keys the security keys the request carried, in order (possibly none)
   * @param response where to append the answers
   */
  Progress negotiate(LoginIdentity who, List<KeyValue> keys, List<KeyValue> response);

  /** Creates one negotiator per login. Thread-safe. */
  @FunctionalInterface
  interface Factory {
    SecurityNegotiator newNegotiation();
  }
}
