package io.cairn.cluster.api;

import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as operators write them: {@code 4096}, {@code 512K}, {@code 10G}, {@code 1.5TiB} (binary units). */
public final class Sizes {
  private Sizes() {}

  private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGTPE]?)(?:I?B)?", Pattern.CASE_INSENSITIVE);
  private static final String UNITS = "KMGTPE";

  /** Parses a size; throws IllegalArgumentException with the reason when it is not one. */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) throw new IllegalArgumentException("not a size: '" + text + "' (e.g. 4096, 512K, 10G, 2TiB)");
    String unit = m.group(2).toUpperCase(Locale.ROOT);
    int shift = unit.isEmpty() ? 0 : 10 * (UNITS.indexOf(unit) + 1);
    java.math.BigDecimal bytes = new java.math.BigDecimal(m.group(1)).multiply(new java.math.BigDecimal(BigInteger.ONE.shiftLeft(shift)));
    if (bytes.signum() <= 0) throw new IllegalArgumentException("size must be > 0: '" + text + "'");
    if (bytes.compareTo(new java.math.BigDecimal(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("size too large: '" + text + "' (at most 2^63-1 bytes)");
    }
    try {
      return bytes.longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("size is not a whole number of bytes: '" + text + "'");
    }
  }

  /** Formats bytes with the largest binary unit that keeps three significant digits. */
  public static String format(long bytes) {
    return io.cairn.config.ByteSizes.format(bytes);
  }
}
