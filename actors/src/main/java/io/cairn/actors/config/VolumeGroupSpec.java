package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;
import java.util.List;

/**
 * An iSCSI target holding vDisks as LUNs, with who may reach it.
 *
 * @param id cluster-unique id
 * @param name operator-given name (lower case, IQN-safe)
 * @param iqn the target name initiators log in to
 * @param initiators initiator names allowed to discover and log in (lower case); empty = any initiator
 * @param chap CHAP credentials every login must present, or null for none
 * @param mutualChap the target's credentials for mutual CHAP, or null; only with {@code chap}
 */
public record VolumeGroupSpec(long id, String name, String iqn, List<String> initiators, ChapSecret chap,
    ChapSecret mutualChap) implements CairnSerializable {

  public VolumeGroupSpec {
    initiators = initiators == null ? List.of() : List.copyOf(initiators);
  }

  /** A volume group open to every initiator, without CHAP. */
  public VolumeGroupSpec(long id, String name, String iqn) {
    this(id, name, iqn, List.of(), null, null);
  }

  public VolumeGroupSpec withInitiators(List<String> allowed) {
    return new VolumeGroupSpec(id, name, iqn, allowed, chap, mutualChap);
  }

  public VolumeGroupSpec withChap(ChapSecret initiatorChap, ChapSecret targetChap) {
    return new VolumeGroupSpec(id, name, iqn, initiators, initiatorChap, targetChap);
  }
}
