package io.cairn.config;

import com.typesafe.config.Config;

/**
 * Capacity planning.
 *
 * @param resilientThreshold share of the resilient capacity (what can still be rebuilt after the
 *     configured failures) above which usage is a warning, in (0, 1]
 */
public record CapacitySettings(double resilientThreshold) {
  public static CapacitySettings from(Config c) {
    double t = c.getDouble("resilient-threshold");
    if (!(t > 0 && t <= 1)) throw new SettingsException("capacity.resilient-threshold", "must be in (0, 1], was " + t);
    return new CapacitySettings(t);
  }
}
