package io.cairn.config;

import com.typesafe.config.Config;
import java.nio.file.Path;

/**
 * Identity and placement of this node.
 *
 * @param id stable node id, unique in the cluster
 * @param dataDir root of everything the node writes
 * @param block availability domain: block
 * @param rack availability domain: rack
 */
public record NodeSettings(String id, Path dataDir, String block, String rack) {
  public static NodeSettings from(Config c) {
    String id = c.getString("id");
    if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      throw new SettingsException("node.id", "must be 1-63 of [A-Za-z0-9._-], was '" + id + "'");
    }
    return new NodeSettings(id, Path.of(c.getString("data-dir")).toAbsolutePath().normalize(),
        c.getString("block"), c.getString("rack"));
  }
}
