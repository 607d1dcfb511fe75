package io.cairn.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.cairn.config.SettingsException;
import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cairn up}: runs one node in the foreground until Ctrl-C (or SIGTERM). */
@Command(name = "up", description = "Start a Cairn node in the foreground (Ctrl-C stops it cleanly).")
public final class UpCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(UpCommand.class);

  @Option(names = "--config", description = "HOCON file with cairn.* (and pekko.*) settings.")
  File config;

  @Option(names = "--data-dir", description = "Data directory (default ./var).")
  Path dataDir;

  @Option(names = "--node-id", description = "Node id, unique in the cluster (default node-<host>-<artery port>).")
  String nodeId;

  @Option(names = "--block", description = "Availability domain: the node's block (default block-<node id>).")
  String block;

  @Option(names = "--rack", description = "Availability domain: the rack of the node's block (default rack-1).")
  String rack;

  @Option(names = "--host", description = "Address the portal, management and Artery bind to (default 127.0.0.1).")
  String host;

  @Option(names = "--iscsi-port", description = "iSCSI portal port (default 3260).")
  Integer iscsiPort;

  @Option(names = "--iscsi-portal", paramLabel = "HOST:PORT[,TAG]",
      description = "An additional iSCSI portal (multipath; repeatable), with its target portal group tag.")
  List<String> iscsiPortals;

  @Option(names = "--management-port", description = "Management HTTP port (default 8558).")
  Integer managementPort;

  @Option(names = "--artery-port", description = "Cluster (Artery) port (default 25520).")
  Integer arteryPort;

  @Option(names = "--seed", paramLabel = "HOST:PORT",
      description = "Seed node (Artery endpoint) to join (repeatable, same list on every node; none = found a new cluster).")
  List<String> seeds;

  @Option(names = "--aeron-port", description = "UDP port of the replication (Aeron) endpoint (default artery port + 100).")
  Integer aeronPort;

  @Option(names = "--journal", paramLabel = "TYPE",
      description = "Journal database: embedded, h2-tcp or postgres (default: from --journal-url; none = embedded).")
  String journalType;

  @Option(names = "--journal-url", paramLabel = "JDBC-URL",
      description = "Shared journal: jdbc:h2:tcp://HOST:PORT/NAME or jdbc:postgresql://HOST:PORT/DB.")
  String journalUrl;

  @Option(names = "--journal-user", description = "Journal database user.")
  String journalUser;

  @Option(names = "--journal-password", description = "Journal database password (or $CAIRN_JOURNAL_PASSWORD).")
  String journalPassword;

  @Option(names = "--no-demo", description = "Do not create the demo volume group and vDisk.")
  boolean noDemo;

  @Override
  public Integer call() throws Exception {
    Config conf;
    try {
      conf = resolve();
    } catch (SettingsException | com.typesafe.config.ConfigException e) {
      System.err.println("cairn up: " + e.getMessage());
      return 2;
    }
    CairnNode node;
    try {
      node = CairnNode.start(conf);
    } catch (SettingsException e) {
      System.err.println("cairn up: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      log.error("node failed to start", e);
      System.err.println("cairn up: " + e.getMessage());
      return 1;
    }
    printBanner(node);
    node.whenStopped().join();
    return 0;
  }

  Config resolve() {
    Map<String, Object> overrides = new HashMap<>();
    if (nodeId != null) overrides.put("cairn.node.id", nodeId);
    if (block != null) overrides.put("cairn.node.block", block);
    if (rack != null) overrides.put("cairn.node.rack", rack);
    if (aeronPort != null) overrides.put("cairn.replication.aeron-port", aeronPort);
    if (journalType != null) overrides.put("cairn.journal.type", journalType);
    if (journalUrl != null) overrides.put("cairn.journal.url", journalUrl);
    if (journalUser != null) overrides.put("cairn.journal.user", journalUser);
    String password = journalPassword != null ? journalPassword : System.getenv("CAIRN_JOURNAL_PASSWORD");
    if (password != null) overrides.put("cairn.journal.password", password);
    if (host != null) {
      overrides.put("cairn.iscsi.host", host);
      overrides.put("cairn.management.host", host);
      overrides.put("cairn.cluster.host", host);
    }
    if (iscsiPort != null) overrides.put("cairn.iscsi.port", iscsiPort);
    if (iscsiPortals != null) overrides.put("cairn.iscsi.additional-portals", iscsiPortals);
    if (managementPort != null) overrides.put("cairn.management.port", managementPort);
    if (arteryPort != null) overrides.put("cairn.cluster.artery-port", arteryPort);
    if (seeds != null) overrides.put("cairn.cluster.seeds", seeds);
    if (noDemo) overrides.put("cairn.demo.enabled", false);
    if (dataDir != null) overrides.put("cairn.node.data-dir", dataDir.toString());
    return load(overrides, config);
  }

  /**
   * Layers the configuration: flags (and {@code $CAIRN_JOURNAL_PASSWORD}), then {@code -D} system properties, then the operator's file, then {@code cairn-node.conf}, then
   * application.conf and the libraries' reference.conf; the data directory is made absolute
   * before substitutions (the journal URL) are resolved.
   */
  public static Config load(Map<String, Object> overrides, File file) {
    Config layered = ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.systemProperties())
        .withFallback(file != null ? ConfigFactory.parseFile(file) : ConfigFactory.empty())
        .withFallback(ConfigFactory.parseResources("cairn-node.conf"))
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.defaultReference());
    String dir = layered.resolve().getString("cairn.node.data-dir");
    Map<String, Object> absolute = Map.of("cairn.node.data-dir", Path.of(dir).toAbsolutePath().normalize().toString());
    return ConfigFactory.parseMap(absolute).withFallback(layered).resolve();
  }

  private static void printBanner(CairnNode node) {
    var s = node.settings();
    String portal = s.iscsi().host() + ":" + node.iscsiPort();
    String iqn = s.iscsi().iqnPrefix() + ":" + s.demo().volumeGroup();
    StringBuilder b = new StringBuilder();
    b.append("\nCairn node ").append(s.node().id()).append(" is up (block ").append(s.node().block())
        .append(", rack ").append(s.node().rack()).append(").\n")
        .append("  iSCSI portal:     ").append(portal).append('\n');
    for (int i = 0; i < s.iscsi().additionalPortals().size(); i++) {
      var p = s.iscsi().additionalPortals().get(i);
      b.append("  iSCSI portal:     ").append(p.host()).append(':').append(node.iscsiPorts().get(i + 1))
          .append(" (tpgt ").append(p.portalGroupTag()).append(")\n");
    }
    b.append("  management API:   http://").append(s.management().host()).append(':').append(s.management().port()).append("/api/status\n")
        .append("  cluster (Artery): ").append(s.cluster().artery())
        .append(s.cluster().joinsSeeds() ? ", seeds " + s.cluster().seeds() : ", founding its own cluster").append('\n')
        .append("  replication:      ").append(s.cluster().host()).append(':').append(s.replication().aeronPort())
        .append(" (Aeron, UDP)\n")
        .append("  journal:          ").append(s.journal().type().settingName)
        .append(s.journal().shared() ? " " + s.journal().url() : "").append('\n')
        .append("  data directory:   ").append(s.node().dataDir()).append('\n');
    if (s.demo().enabled()) {
      b.append("  demo vDisk:       ").append(s.demo().vdisk()).append(" (LUN 0 of ").append(iqn).append(")\n\n")
          .append("Connect with:\n")
          .append("  iscsi-ls -s iscsi://").append(portal).append("/\n")
          .append("  iscsi-inq iscsi://").append(portal).append('/').append(iqn).append("/0\n")
          .append("  qemu-img convert -n -O raw disk.img iscsi://").append(portal).append('/').append(iqn).append("/0\n");
    }
    b.append("Stop with Ctrl-C.\n");
    System.out.println(b);
  }
}
