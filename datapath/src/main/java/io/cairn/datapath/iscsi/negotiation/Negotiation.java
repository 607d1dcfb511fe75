package io.cairn.datapath.iscsi.negotiation;

import java.util.List;

/**
 * The negotiation functions and value encodings of RFC 7143 sections 6.2 and 13: how a responder
 * derives the result from the originator's value and its own.
 */
public final class Negotiation {

  /** Special values a responder may answer (section 6.2). */
  public static final String NOT_UNDERSTOOD = "NotUnderstood";
  public static final String IRRELEVANT = "Irrelevant";
  public static final String REJECT = "Reject";
  public static final String YES = "Yes";
  public static final String NO = "No";

  private Negotiation() {}

  /** Numerical negotiation with the "minimum" function (e.g. MaxBurstLength). */
  public static long min(long offered, long own) {
    return Math.min(offered, own);
  }

  /** Numerical negotiation with the "maximum" function (DefaultTime2Wait). */
  public static long max(long offered, long own) {
    return Math.max(offered, own);
  }

  /** Boolean negotiation with the OR function (InitialR2T, DataPDUInOrder, DataSequenceInOrder). */
  public static boolean or(boolean offered, boolean own) {
    return offered || own;
  }

  /** Boolean negotiation with the AND function (ImmediateData). */
  public static boolean and(boolean offered, boolean own) {
    return offered && own;
  }

  /**
   * List negotiation (section 6.2.1): the first value of the originator's list that the responder
   * supports, or {@code null} when none is (the responder then answers {@link #REJECT}).
   */
  public static String select(List<String> offered, List<String> supported) {
    for (String v : offered) {
      if (supported.contains(v)) return v;
    }
    return null;
  }

  /** Splits a list value ({@code a,b,c}); empty elements are dropped. */
  public static List<String> list(String value) {
    return List.of(value.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * Parses a numerical value (section 5.1: decimal-constant or hex-constant {@code 0x...}),
   * returning -1 when it is not a number in 0..2^63-1.
   */
  public static long parseNumber(String value) {
    try {
      if (value.length() > 2 && (value.startsWith("0x") || value.startsWith("0X"))) {
        long v = Long.parseLong(value.substring(2), 16);
        return v < 0 ? -1 : v;
      }
      if (value.isEmpty() || value.length() > 19) return -1;
      for (int i = 0; i < value.length(); i++) {
        if (!Character.isDigit(value.charAt(i))) return -1;
      }
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Parses Yes/No, returning {@code null} for anything else. */
  public static Boolean parseBoolean(String value) {
    if (YES.equals(value)) return Boolean.TRUE;
    if (NO.equals(value)) return Boolean.FALSE;
    return null;
  }

  public static String bool(boolean b) {
    return b ? YES : NO;
  }
}
