package io.cairn.datapath.iscsi.login;

import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.iscsi.negotiation.Negotiation;
import java.util.List;

/**
 * Security negotiation that authenticates nobody: answers {@code AuthMethod=None} when the
 * initiator offers None, and fails the login with authentication failure when it insists on a
 * method (CHAP, SRP, ...) without offering None. A login may skip the security stage.
 */
public final class NoAuthentication implements SecurityNegotiator {

  public static final Factory FACTORY = NoAuthentication::new;

  static final String AUTH_METHOD = "AuthMethod";
  private static final String NONE = "None";

  @Override
  public boolean required() {
    return false;
  }

  @Override
  public boolean handles(String key) {
    return AUTH_METHOD.equals(key);
  }

  @Override
  public Progress negotiate(LoginIdentity who, List<KeyValue> keys, List<KeyValue> response) {
    for (KeyValue kv : keys) {
      if (!AUTH_METHOD.equals(kv.key())) continue;
      if (Negotiation.list(kv.value()).contains(NONE)) {
        response.add(new KeyValue(AUTH_METHOD, NONE));
      } else {
        response.add(new KeyValue(AUTH_METHOD, Negotiation.REJECT));
        return Progress.AUTHENTICATION_FAILED;
      }
    }
    return Progress.DONE;
  }
}
