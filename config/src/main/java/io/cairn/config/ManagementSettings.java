package io.cairn.config;

import com.typesafe.config.Config;

/** The operator HTTP endpoint. @param host bind address @param port TCP port */
public record ManagementSettings(String host, int port) {
  public static ManagementSettings from(Config c) {
    return new ManagementSettings(c.getString("host"), Checks.port("management.port", c.getInt("port")));
  }
}
