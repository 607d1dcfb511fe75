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

  private static final String ID = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";
  private static final String DOMAIN = "[A-Za-z0-9][A-Za-z0-9._-]{0,126}";

  /**
   * Reads {@code cairn.node}: an empty id is derived from the Artery endpoint
   * ({@code node-<host>-<artery-port>}), an empty block is {@code block-<id>} (a block of its own).
   */
  public static NodeSettings from(Config c, ClusterSettings cluster) {
    String id = c.getString("id").trim();
    if (id.isEmpty()) {
      id = derivedId(cluster);
      if (!id.matches(ID)) {
        throw new SettingsException("node.id", "cannot derive an id from the Artery endpoint " + cluster.artery()
            + " (it would be '" + id + "'): set it");
      }
    } else if (!id.matches(ID)) {
      throw new SettingsException("node.id", "must be 1-63 of [A-Za-z0-9._-] starting with a letter or digit, was '" + id + "'");
    }
    String block = c.getString("block").trim();
    if (block.isEmpty()) block = "block-" + id;
    String rack = c.getString("rack").trim();
    domain("node.block", block);
    domain("node.rack", rack);
    return new NodeSettings(id, Path.of(c.getString("data-dir")).toAbsolutePath().normalize(), block, rack);
  }

  /** {@code node-<host>-<port>}, each run of host characters outside [A-Za-z0-9.-] replaced by '-'. */
  static String derivedId(ClusterSettings cluster) {
    return "node-" + cluster.host().replaceAll("[^A-Za-z0-9.-]+", "-") + "-" + cluster.arteryPort();
  }

  private static void domain(String path, String value) {
    if (!value.matches(DOMAIN)) {
      throw new SettingsException(path, "must be 1-127 of [A-Za-z0-9._-] starting with a letter or digit, was '" + value + "'");
    }
  }
}
