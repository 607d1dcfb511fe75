package io.cairn.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.List;

/**
 * Every Cairn setting, read once from the {@code cairn} block of the HOCON configuration and
 * validated; an invalid value fails start-up with a {@link SettingsException} naming it.
 */
public record CairnSettings(
    NodeSettings node,
    List<DiskSettings> disks,
    IscsiSettings iscsi,
    VDiskSettings vdisk,
    OpLogSettings oplog,
    ExtentStoreSettings extentStore,
    CacheSettings cache,
    ManagementSettings management,
    DemoSettings demo) {

  /** Reads and validates {@code root.getConfig("cairn")}. */
  public static CairnSettings from(Config root) {
    try {
      Config c = root.getConfig("cairn");
      NodeSettings node = NodeSettings.from(c.getConfig("node"));
      return new CairnSettings(
          node,
          DiskSettings.listFrom(c, node.dataDir()),
          IscsiSettings.from(c.getConfig("iscsi")),
          VDiskSettings.from(c.getConfig("vdisk")),
          OpLogSettings.from(c.getConfig("oplog"), node.dataDir()),
          ExtentStoreSettings.from(c.getConfig("extent-store")),
          CacheSettings.from(c.getConfig("cache")),
          ManagementSettings.from(c.getConfig("management")),
          DemoSettings.from(c.getConfig("demo")));
    } catch (ConfigException e) {
      throw new SettingsException(e.origin() == null ? "?" : e.origin().description(), e.getMessage());
    }
  }
}
