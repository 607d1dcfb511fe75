package io.cairn.actors.config;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.cairn.actors.config.ClusterConfig.ContainerCreated;
import io.cairn.actors.config.ClusterConfig.DemoCreated;
import io.cairn.actors.config.ClusterConfig.EgroupIdsReserved;
import io.cairn.actors.config.ClusterConfig.State;
import io.cairn.actors.config.ClusterConfig.VDiskCreated;
import io.cairn.actors.config.ClusterConfig.VDiskDeleted;
import io.cairn.actors.config.ClusterConfig.VDiskReadOnlyChanged;
import io.cairn.actors.config.ClusterConfig.VolumeGroupCreated;
import io.cairn.serialization.VersionedSerializer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Hand-written, versioned serializers of the cluster configuration's events and snapshot. The
 * layouts are frozen per version: change a layout only by adding a version and keeping the reader
 * of every older one (golden bytes in the tests guard this).
 */
public final class ConfigEventSerializers {
  private ConfigEventSerializers() {}

  static void writeContainer(Output out, ContainerSpec c) {
    out.writeVarLong(c.id(), true);
    out.writeString(c.name());
    out.writeVarInt(c.replicationFactor(), true);
  }

  static ContainerSpec readContainer(Input in) {
    return new ContainerSpec(in.readVarLong(true), in.readString(), in.readVarInt(true));
  }

  static void writeVolumeGroup(Output out, VolumeGroupSpec g) {
    out.writeVarLong(g.id(), true);
    out.writeString(g.name());
    out.writeString(g.iqn());
  }

  static VolumeGroupSpec readVolumeGroup(Input in) {
    return new VolumeGroupSpec(in.readVarLong(true), in.readString(), in.readString());
  }

  /** Writes a vDisk spec in the layout of version 2 (version 1 had no read-only flag). */
  public static void writeVDisk(Output out, VDiskSpec v) {
    out.writeVarLong(v.id(), true);
    out.writeString(v.name());
    out.writeLong(v.uuid().getMostSignificantBits());
    out.writeLong(v.uuid().getLeastSignificantBits());
    out.writeVarLong(v.sizeBytes(), true);
    out.writeVarInt(v.logicalBlockSize(), true);
    out.writeVarInt(v.physicalBlockSize(), true);
    out.writeString(v.container());
    out.writeString(v.volumeGroup());
    out.writeVarInt(v.lun(), true);
    out.writeBoolean(v.readOnly());
  }

  /** Reads a vDisk spec written by the serializer {@code version} of its enclosing type. */
  public static VDiskSpec readVDisk(Input in, int version) {
    return new VDiskSpec(in.readVarLong(true), in.readString(), new UUID(in.readLong(), in.readLong()),
        in.readVarLong(true), in.readVarInt(true), in.readVarInt(true), in.readString(), in.readString(),
        in.readVarInt(true), version >= 2 && in.readBoolean());
  }

  /** v1: container. */
  public static final class ContainerCreatedSerializer extends VersionedSerializer<ContainerCreated> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, ContainerCreated e) { writeContainer(out, e.container()); }
    @Override protected ContainerCreated readBody(Kryo k, Input in, int v) { return new ContainerCreated(readContainer(in)); }
  }

  /** v1: volume group. */
  public static final class VolumeGroupCreatedSerializer extends VersionedSerializer<VolumeGroupCreated> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, VolumeGroupCreated e) { writeVolumeGroup(out, e.volumeGroup()); }
    @Override protected VolumeGroupCreated readBody(Kryo k, Input in, int v) { return new VolumeGroupCreated(readVolumeGroup(in)); }
  }

  /** v1: vDisk spec; v2: vDisk spec with its read-only flag. */
  public static final class VDiskCreatedSerializer extends VersionedSerializer<VDiskCreated> {
    @Override protected int currentVersion() { return 2; }
    @Override protected void writeBody(Kryo k, Output out, VDiskCreated e) { writeVDisk(out, e.vdisk()); }
    @Override protected VDiskCreated readBody(Kryo k, Input in, int v) { return new VDiskCreated(readVDisk(in, v)); }
  }

  /** v1: vDisk id, read-only flag. */
  public static final class VDiskReadOnlyChangedSerializer extends VersionedSerializer<VDiskReadOnlyChanged> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, VDiskReadOnlyChanged e) {
      out.writeVarLong(e.vdiskId(), true);
      out.writeBoolean(e.readOnly());
    }
    @Override protected VDiskReadOnlyChanged readBody(Kryo k, Input in, int v) {
      return new VDiskReadOnlyChanged(in.readVarLong(true), in.readBoolean());
    }
  }

  /** v1: vDisk id. */
  public static final class VDiskDeletedSerializer extends VersionedSerializer<VDiskDeleted> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, VDiskDeleted e) { out.writeVarLong(e.vdiskId(), true); }
    @Override protected VDiskDeleted readBody(Kryo k, Input in, int v) { return new VDiskDeleted(in.readVarLong(true)); }
  }

  /** v1: next unreserved id. */
  public static final class EgroupIdsReservedSerializer extends VersionedSerializer<EgroupIdsReserved> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, EgroupIdsReserved e) { out.writeVarLong(e.next(), true); }
    @Override protected EgroupIdsReserved readBody(Kryo k, Input in, int v) { return new EgroupIdsReserved(in.readVarLong(true)); }
  }

  /** v1: empty body. */
  public static final class DemoCreatedSerializer extends VersionedSerializer<DemoCreated> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, DemoCreated e) {}
    @Override protected DemoCreated readBody(Kryo k, Input in, int v) { return new DemoCreated(); }
  }

  /** v1: the whole configuration (snapshot); v2: vDisk specs with their read-only flag. */
  public static final class StateSerializer extends VersionedSerializer<State> {
    @Override protected int currentVersion() { return 2; }

    @Override
    protected void writeBody(Kryo k, Output out, State s) {
      out.writeVarInt(s.containers().size(), true);
      s.containers().forEach(c -> writeContainer(out, c));
      out.writeVarInt(s.volumeGroups().size(), true);
      s.volumeGroups().forEach(g -> writeVolumeGroup(out, g));
      out.writeVarInt(s.vdisks().size(), true);
      s.vdisks().forEach(v -> writeVDisk(out, v));
      out.writeVarLong(s.nextId(), true);
      out.writeVarLong(s.nextEgroupId(), true);
      out.writeBoolean(s.demoCreated());
    }

    @Override
    protected State readBody(Kryo k, Input in, int v) {
      List<ContainerSpec> containers = new ArrayList<>();
      for (int i = in.readVarInt(true); i > 0; i--) containers.add(readContainer(in));
      List<VolumeGroupSpec> groups = new ArrayList<>();
      for (int i = in.readVarInt(true); i > 0; i--) groups.add(readVolumeGroup(in));
      List<VDiskSpec> vdisks = new ArrayList<>();
      for (int i = in.readVarInt(true); i > 0; i--) vdisks.add(readVDisk(in, v));
      return new State(List.copyOf(containers), List.copyOf(groups), List.copyOf(vdisks),
          in.readVarLong(true), in.readVarLong(true), in.readBoolean());
    }
  }
}
