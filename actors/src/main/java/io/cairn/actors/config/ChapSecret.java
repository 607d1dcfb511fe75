package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;
import java.util.Objects;

/**
 * A CHAP name and secret of a volume group (RFC 7143 section 12.1.3). The secret is write-only for
 * operators: the API never returns it, and {@link #toString()} omits it so it cannot reach a log.
 *
 * @param user the CHAP name
 * @param secret the shared secret
 */
public record ChapSecret(String user, String secret) implements CairnSerializable {

  public ChapSecret {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(secret, "secret");
  }

  @Override
  public String toString() {
    return "ChapSecret[user=" + user + ", secret=<redacted>]";
  }
}
