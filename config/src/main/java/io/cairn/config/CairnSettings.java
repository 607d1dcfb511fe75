package io.cairn.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * Every Cairn setting, read once from the {@code cairn} block of the HOCON configuration and
 * validated; an invalid value fails start-up with a {@link SettingsException} naming it.
 */
public record CairnSettings(
    NodeSettings node,
    List<DiskSettings> disks,
    DiskHealthSettings diskHealth,
    IscsiSettings iscsi,
    VDiskSettings vdisk,
    OpLogSettings oplog,
    ExtentStoreSettings extentStore,
    CacheSettings cache,
    ManagementSettings management,
    DemoSettings demo,
    ClusterSettings cluster,
    ReplicationSettings replication,
    JournalSettings journal,
    CuratorSettings curator,
    EventSettings events,
    CapacitySettings capacity) {

  /** Reads and validates {@code root.getConfig("cairn")}. */
  public static CairnSettings from(Config root) {
    try {
      Config c = root.getConfig("cairn");
      ClusterSettings cluster = ClusterSettings.from(c.getConfig("cluster"));
      NodeSettings node = NodeSettings.from(c.getConfig("node"), cluster);
      CairnSettings s = new CairnSettings(
          node,
          DiskSettings.listFrom(c, node.dataDir()),
          DiskHealthSettings.from(c.getConfig("disk-health")),
          IscsiSettings.from(c.getConfig("iscsi")),
          VDiskSettings.from(c.getConfig("vdisk")),
          OpLogSettings.from(c.getConfig("oplog"), node.dataDir()),
          ExtentStoreSettings.from(c.getConfig("extent-store")),
          CacheSettings.from(c.getConfig("cache")),
          ManagementSettings.from(c.getConfig("management")),
          DemoSettings.from(c.getConfig("demo")),
          cluster,
          ReplicationSettings.from(c.getConfig("replication"), cluster),
          JournalSettings.from(c.getConfig("journal"), node.dataDir()),
          CuratorSettings.from(c.getConfig("curator")),
          EventSettings.from(c.getConfig("events")),
          CapacitySettings.from(c.getConfig("capacity")));
      s.checkDistinctPorts();
      return s;
    } catch (ConfigException e) {
      throw new SettingsException(e.origin() == null ? "?" : e.origin().description(), e.getMessage());
    }
  }

  /** One TCP listening socket of the node, named by the setting that configures it. */
  private record Listener(String path, String host, int port) {
    boolean clashes(Listener o) {
      return port != 0 && port == o.port && (host.equals(o.host) || wildcard(host) || wildcard(o.host));
    }

    static boolean wildcard(String host) {
      return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }
  }

  /**
   * Two TCP listeners of the node on one port (of one address, or of a wildcard address) cannot
   * both bind: fail at start-up naming both settings instead of failing later with "address in
   * use". The Aeron port is UDP and so never clashes with these.
   */
  private void checkDistinctPorts() {
    List<Listener> listeners = new ArrayList<>();
    listeners.add(new Listener("cluster.artery-port", cluster.host(), cluster.arteryPort()));
    listeners.add(new Listener("iscsi.port", iscsi.host(), iscsi.port()));
    listeners.add(new Listener("management.port", management.host(), management.port()));
    for (IscsiSettings.Portal p : iscsi.additionalPortals()) {
      listeners.add(new Listener("iscsi.additional-portals", p.host(), p.port()));
    }
    for (int i = 0; i < listeners.size(); i++) {
      for (int j = 0; j < i; j++) {
        Listener a = listeners.get(j);
        Listener b = listeners.get(i);
        if (a.clashes(b) && !a.path.equals(b.path)) {
          throw new SettingsException(b.path, "port " + b.port + " on " + b.host + " is also cairn." + a.path + " (" + a.host + ")");
        }
      }
    }
  }
}
