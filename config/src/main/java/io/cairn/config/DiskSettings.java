package io.cairn.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One disk of the node: a directory standing for one device.
 *
 * @param id disk id, unique on the node
 * @param path directory holding the disk's extent groups
 * @param tier storage tier
 * @param capacityBytes bytes this disk may hold
 */
public record DiskSettings(String id, Path path, Tier tier, long capacityBytes) {

  /** Storage tier of a disk. */
  public enum Tier { SSD, HDD }

  static List<DiskSettings> listFrom(Config cairn, Path dataDir) {
    List<DiskSettings> disks = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (Config d : cairn.getConfigList("disks")) {
      String id = d.getString("id");
      if (!ids.add(id)) throw new SettingsException("disks", "duplicate disk id '" + id + "'");
      Tier tier;
      try {
        tier = Tier.valueOf(d.hasPath("tier") ? d.getString("tier").toUpperCase(Locale.ROOT) : "SSD");
      } catch (IllegalArgumentException e) {
        throw new SettingsException("disks." + id + ".tier", "must be ssd or hdd");
      }
      long capacity = Checks.positive("disks." + id + ".capacity", d.getBytes("capacity"));
      disks.add(new DiskSettings(id, dataDir.resolve(d.getString("path")).normalize(), tier, capacity));
    }
    if (disks.isEmpty()) {
      long capacity = Checks.positive("default-disk-capacity", cairn.getBytes("default-disk-capacity"));
      disks.add(new DiskSettings("disk-0", dataDir.resolve("disks").resolve("disk-0"), Tier.SSD, capacity));
    }
    return List.copyOf(disks);
  }
}
