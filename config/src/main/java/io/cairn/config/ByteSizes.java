package io.cairn.config;

import java.util.Locale;

/** Byte counts for humans, as every module prints them. */
public final class ByteSizes {
  private ByteSizes() {}

  private static final String UNITS = "KMGTPE";

  /** Bytes with the largest binary unit keeping three significant digits ({@code "40.0 TiB"}). */
  public static String format(long bytes) {
    if (bytes < 1024) return bytes + " B";
    int unit = Math.min(UNITS.length(), (63 - Long.numberOfLeadingZeros(bytes)) / 10);
    double v = bytes / Math.pow(1024, unit);
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %siB" : v >= 10 ? "%.1f %siB" : "%.2f %siB", v, UNITS.charAt(unit - 1));
  }
}
