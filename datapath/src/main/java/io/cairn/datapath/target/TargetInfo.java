package io.cairn.datapath.target;

import java.util.List;
import java.util.Optional;

/**
 * One iSCSI target (a volume group): its IQN, LUNs and access policy.
 *
 * @param iqn target name
 * @param alias TargetAlias offered at login (the volume group's name)
 * @param luns LUNs, ordered by {@link LunEntry#lun()}
 * @param access who may discover and log in to the target, and how they authenticate
 */
public record TargetInfo(String iqn, String alias, List<LunEntry> luns, TargetAccess access) {

  public TargetInfo {
    luns = List.copyOf(luns);
    if (access == null) access = TargetAccess.OPEN;
  }

  /** A target open to every initiator, without authentication. */
  public TargetInfo(String iqn, String alias, List<LunEntry> luns) {
    this(iqn, alias, luns, TargetAccess.OPEN);
  }

  public Optional<LunEntry> lun(int lun) {
    for (LunEntry e : luns) {
      if (e.lun() == lun) return Optional.of(e);
    }
    return Optional.empty();
  }
}
