package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;

/**
 * An iSCSI target holding vDisks as LUNs.
 *
 * @param id cluster-unique id
 * @param name operator-given name (lower case, IQN-safe)
 * @param iqn the target name initiators log in to
 */
public record VolumeGroupSpec(long id, String name, String iqn) implements CairnSerializable {}
