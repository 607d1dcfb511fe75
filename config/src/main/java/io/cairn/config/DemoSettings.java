package io.cairn.config;

import com.typesafe.config.Config;

/**
 * What a fresh cluster creates once so that it can be used at once.
 *
 * @param enabled whether to create the demo objects
 * @param container name of the default container
 * @param volumeGroup name of the demo volume group
 * @param vdisk name of the demo vDisk
 * @param vdiskSizeBytes size of the demo vDisk
 */
public record DemoSettings(boolean enabled, String container, String volumeGroup, String vdisk, long vdiskSizeBytes) {
  public static DemoSettings from(Config c) {
    return new DemoSettings(c.getBoolean("enabled"), c.getString("container"), c.getString("volume-group"),
        c.getString("vdisk"), Checks.positive("demo.vdisk-size", c.getBytes("vdisk-size")));
  }
}
