package io.cairn.datapath.iscsi.session;

/**
 * Serial number arithmetic (RFC 1982) with SERIAL_BITS = 32, as RFC 7143 section 4.2.2.1 requires
 * for CmdSN, StatSN, DataSN and R2TSN. Values are Java ints holding unsigned 32-bit serials.
 *
 * <p>s1 &lt; s2 when s2 - s1 (mod 2^32) lies in (0, 2^31); the comparison of two serials exactly
 * 2^31 apart is undefined by RFC 1982, and both {@link #lessThan} and {@link #greaterThan} answer
 * false for it.
 */
public final class SerialNumber {

  /** Largest increment defined by RFC 1982 section 3.1: 2^31 - 1. */
  public static final int MAX_ADDEND = Integer.MAX_VALUE;

  private SerialNumber() {}

  /** s + n (mod 2^32), for 0 &le; n &le; 2^31 - 1. */
  public static int add(int s, int n) {
    if (n < 0) throw new IllegalArgumentException("RFC 1982 addition is defined for 0..2^31-1, was " + n);
    return s + n;
  }

  public static boolean lessThan(int s1, int s2) {
    return s2 - s1 > 0;
  }

  public static boolean greaterThan(int s1, int s2) {
    return s1 - s2 > 0;
  }

  public static boolean lessOrEqual(int s1, int s2) {
    return s1 == s2 || lessThan(s1, s2);
  }

  /** Whether {@code s} lies in the closed window [low, high]. */
  public static boolean inWindow(int s, int low, int high) {
    return lessOrEqual(low, s) && lessOrEqual(s, high);
  }

  /** The larger of two serials (the first when they are incomparable). */
  public static int max(int s1, int s2) {
    return lessThan(s1, s2) ? s2 : s1;
  }
}
