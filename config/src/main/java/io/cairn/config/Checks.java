package io.cairn.config;

/** Range checks shared by the settings records; each names the setting it rejects. */
final class Checks {
  private Checks() {}

  static long positive(String path, long value) {
    if (value <= 0) throw new SettingsException(path, "must be > 0, was " + value);
    return value;
  }

  static java.time.Duration positive(String path, java.time.Duration value) {
    if (value.isNegative() || value.isZero()) throw new SettingsException(path, "must be > 0, was " + value);
    return value;
  }

  static long atLeast(String path, long value, long min) {
    if (value < min) throw new SettingsException(path, "must be >= " + min + ", was " + value);
    return value;
  }

  static long between(String path, long value, long min, long max) {
    if (value < min || value > max) {
      throw new SettingsException(path, "must be in [" + min + ", " + max + "], was " + value);
    }
    return value;
  }

  static long powerOfTwo(String path, long value) {
    if (value <= 0 || Long.bitCount(value) != 1) {
      throw new SettingsException(path, "must be a power of two, was " + value);
    }
    return value;
  }

  static int port(String path, int value) {
    return (int) between(path, value, 0, 65535);
  }
}
