package io.cairn.datapath.target;

import java.util.List;
import java.util.Optional;

/**
 * One iSCSI target (a volume group): its IQN and LUNs, ordered by LUN number.
 *
 * @param iqn target name
 * @param alias TargetAlias offered at login (the volume group's name)
 * @param luns LUNs, ordered by {@link LunEntry#lun()}
 */
public record TargetInfo(String iqn, String alias, List<LunEntry> luns) {

  public TargetInfo {
    luns = List.copyOf(luns);
  }

  public Optional<LunEntry> lun(int lun) {
    for (LunEntry e : luns) {
      if (e.lun() == lun) return Optional.of(e);
    }
    return Optional.empty();
  }
}
