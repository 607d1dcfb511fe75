package io.cairn.datapath.target;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * One side's CHAP name and secret (RFC 1994; RFC 7143 section 12.1.3). The secret is held as the
 * bytes of its UTF-8 form and never appears in {@link #toString()}.
 *
 * @param user the CHAP name (CHAP_N), 1 to 255 bytes
 * @param secret the shared secret, 1 to 255 bytes; callers must not modify the array
 */
public record ChapCredentials(String user, byte[] secret) {

  /** Longest name or secret in bytes (the text of one login key stays well below the PDU limits). */
  public static final int MAX_LENGTH = 255;

  public ChapCredentials {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(secret, "secret");
    int userBytes = user.getBytes(StandardCharsets.UTF_8).length;
    if (userBytes == 0 || userBytes > MAX_LENGTH) throw new IllegalArgumentException("CHAP name must be 1 to 255 bytes");
    if (secret.length == 0 || secret.length > MAX_LENGTH) {
      throw new IllegalArgumentException("CHAP secret must be 1 to 255 bytes");
    }
    secret = secret.clone();
  }

  /** Credentials with the UTF-8 bytes of {@code secret}. */
  public static ChapCredentials of(String user, String secret) {
    return new ChapCredentials(user, secret.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code name} is this CHAP name; compares in time independent of where they differ. */
  public boolean userMatches(String name) {
    return MessageDigest.isEqual(user.getBytes(StandardCharsets.UTF_8), name.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether both credentials share a secret (RFC 7143 forbids one secret for both directions). */
  public boolean sameSecret(ChapCredentials other) {
    return other != null && MessageDigest.isEqual(secret, other.secret);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChapCredentials c && user.equals(c.user) && Arrays.equals(secret, c.secret);
  }

  @Override
  public int hashCode() {
    return user.hashCode() * 31 + Arrays.hashCode(secret);
  }

  /** The name only: the secret is never printed. */
  @Override
  public String toString() {
    return "ChapCredentials[user=" + user + ", secret=<redacted>]";
  }
}
