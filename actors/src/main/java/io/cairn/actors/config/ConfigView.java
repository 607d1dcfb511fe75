package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;
import java.util.List;
import java.util.Optional;

/**
 * An immutable snapshot of the cluster configuration, as replied to readers and published on
 * every change.
 *
 * @param containers containers by name order
 * @param volumeGroups volume groups by name order
 * @param vdisks vDisks by id order
 */
public record ConfigView(List<ContainerSpec> containers, List<VolumeGroupSpec> volumeGroups, List<VDiskSpec> vdisks)
    implements CairnSerializable {

  public Optional<VDiskSpec> vdisk(String name) {
    return vdisks.stream().filter(v -> v.name().equals(name)).findFirst();
  }

  public Optional<VolumeGroupSpec> volumeGroup(String name) {
    return volumeGroups.stream().filter(v -> v.name().equals(name)).findFirst();
  }

  public Optional<ContainerSpec> container(String name) {
    return containers.stream().filter(c -> c.name().equals(name)).findFirst();
  }
}
