package io.cairn.datapath.iscsi.login;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The CHAP digest algorithms (CHAP_A values, IANA "PPP Authentication Algorithms" as RFC 7143
 * section 12.1.3 uses them): 5 MD5 (RFC 1994, mandatory to implement), 6 SHA-1, 7 SHA-256,
 * 8 SHA3-256. The response is {@code H(identifier || secret || challenge)}.
 */
public enum ChapAlgorithm {
  MD5(5, "MD5"),
  SHA1(6, "SHA-1"),
  SHA256(7, "SHA-256"),
  SHA3_256(8, "SHA3-256");

  /** The CHAP_A value. */
  public final int code;
  private final String jcaName;

  ChapAlgorithm(int code, String jcaName) {
    this.code = code;
    this.jcaName = jcaName;
  }

  /** The algorithm with this CHAP_A value, or null when not supported. */
  public static ChapAlgorithm of(int code) {
    for (ChapAlgorithm a : values()) if (a.code == code) return a;
    return null;
  }

  /** Digest length in bytes. */
  public int length() {
    return digest().getDigestLength();
  }

  /** {@code H(identifier || secret || challenge)} (RFC 1994 section 4.1). */
  public byte[] response(int identifier, byte[] secret, byte[] challenge) {
    MessageDigest md = digest();
    md.update((byte) identifier);
    md.update(secret);
    md.update(challenge);
    return md.digest();
  }

  private MessageDigest digest() {
    try {
      return MessageDigest.getInstance(jcaName);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JCA lacks " + jcaName, e);
    }
  }
}
