package io.cairn.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How this node takes part in the cluster: its Artery endpoint and the seed nodes it joins.
 *
 * @param host address the Artery endpoint binds to and advertises (also the replication host)
 * @param arteryPort Artery TCP port
 * @param seeds Artery endpoints of the seed nodes in order; empty: this node founds its own cluster
 * @param directoryRefreshInterval how often the node checks its node-directory entry for changes
 *     and republishes it
 * @param rejoinStableAfter a node this node saw leave or become unreachable takes new replicas and
 *     OpLog copies again only once it has been an Up, reachable member this long (zero: at once)
 */
public record ClusterSettings(String host, int arteryPort, List<HostPort> seeds, Duration directoryRefreshInterval,
    Duration rejoinStableAfter) {

  public ClusterSettings {
    seeds = List.copyOf(seeds);
  }

  /** This node's own Artery endpoint. */
  public HostPort artery() {
    return new HostPort(host, arteryPort);
  }

  /** Whether the node joins seed nodes (false: it joins itself and founds a cluster). */
  public boolean joinsSeeds() {
    return !seeds.isEmpty();
  }

  public static ClusterSettings from(Config c) {
    String host = c.getString("host").trim();
    if (host.isEmpty()) throw new SettingsException("cluster.host", "must not be empty");
    int port = (int) Checks.between("cluster.artery-port", c.getInt("artery-port"), 1, 65535);
    List<HostPort> seeds = new ArrayList<>();
    Set<HostPort> seen = new HashSet<>();
    for (String s : c.getStringList("seeds")) {
      HostPort seed = HostPort.parse("cluster.seeds", s);
      if (!seen.add(seed)) throw new SettingsException("cluster.seeds", "seed " + seed + " is listed twice");
      seeds.add(seed);
    }
    Duration refresh = c.getDuration("directory-refresh-interval");
    if (refresh.isNegative() || refresh.isZero()) {
      throw new SettingsException("cluster.directory-refresh-interval", "must be > 0, was " + refresh);
    }
    Duration rejoin = c.getDuration("rejoin-stable-after");
    if (rejoin.isNegative()) throw new SettingsException("cluster.rejoin-stable-after", "must be >= 0, was " + rejoin);
    return new ClusterSettings(host, port, seeds, refresh, rejoin);
  }
}
