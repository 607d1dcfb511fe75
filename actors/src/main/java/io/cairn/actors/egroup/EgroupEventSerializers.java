package io.cairn.actors.egroup;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.cairn.actors.egroup.ExtentGroup.Absent;
import io.cairn.actors.egroup.ExtentGroup.Active;
import io.cairn.actors.egroup.ExtentGroup.Created;
import io.cairn.actors.egroup.ExtentGroup.Deleted;
import io.cairn.actors.egroup.ExtentGroup.ExtentsAllocated;
import io.cairn.actors.egroup.ExtentGroup.ExtentsReleased;
import io.cairn.actors.egroup.ExtentGroup.Gone;
import io.cairn.actors.egroup.ExtentGroup.ReplicaReplaced;
import io.cairn.serialization.VersionedSerializer;
import java.util.ArrayList;
import java.util.List;

/** Hand-written, versioned serializers of the extent group's events and snapshots. */
public final class EgroupEventSerializers {
  private EgroupEventSerializers() {}

  static void writeReplicas(Output out, List<Replica> replicas) {
    out.writeVarInt(replicas.size(), true);
    for (Replica r : replicas) {
      out.writeString(r.nodeId());
      out.writeString(r.diskId());
    }
  }

  static List<Replica> readReplicas(Input in) {
    int n = in.readVarInt(true);
    List<Replica> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(new Replica(in.readString(), in.readString()));
    return List.copyOf(out);
  }

  static void writeLongs(Output out, long[] values) {
    out.writeVarInt(values.length, true);
    for (long v : values) out.writeVarLong(v, true);
  }

  static long[] readLongs(Input in) {
    long[] values = new long[in.readVarInt(true)];
    for (int i = 0; i < values.length; i++) values[i] = in.readVarLong(true);
    return values;
  }

  static void writeInts(Output out, int[] values) {
    out.writeVarInt(values.length, true);
    for (int v : values) out.writeVarInt(v, true);
  }

  static int[] readInts(Input in) {
    int[] values = new int[in.readVarInt(true)];
    for (int i = 0; i < values.length; i++) values[i] = in.readVarInt(true);
    return values;
  }

  /** v1: replicas, capacity slots, slice size. */
  public static final class CreatedSerializer extends VersionedSerializer<Created> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Created e) {
      writeReplicas(out, e.replicas());
      out.writeVarInt(e.capacitySlots(), true);
      out.writeVarInt(e.sliceSize(), true);
    }
    @Override protected Created readBody(Kryo k, Input in, int v) {
      return new Created(readReplicas(in), in.readVarInt(true), in.readVarInt(true));
    }
  }

  /** v1: owner vDisk, vblocks, slots. */
  public static final class ExtentsAllocatedSerializer extends VersionedSerializer<ExtentsAllocated> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, ExtentsAllocated e) {
      out.writeVarLong(e.ownerVdisk(), true);
      writeLongs(out, e.vblocks());
      writeInts(out, e.slots());
    }
    @Override protected ExtentsAllocated readBody(Kryo k, Input in, int v) {
      return new ExtentsAllocated(in.readVarLong(true), readLongs(in), readInts(in));
    }
  }

  /** v1: slots. */
  public static final class ExtentsReleasedSerializer extends VersionedSerializer<ExtentsReleased> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, ExtentsReleased e) { writeInts(out, e.slots()); }
    @Override protected ExtentsReleased readBody(Kryo k, Input in, int v) { return new ExtentsReleased(readInts(in)); }
  }

  /** v1: empty. */
  public static final class DeletedSerializer extends VersionedSerializer<Deleted> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Deleted e) {}
    @Override protected Deleted readBody(Kryo k, Input in, int v) { return new Deleted(); }
  }

  /** v1: lost replica, added replica. */
  public static final class ReplicaReplacedSerializer extends VersionedSerializer<ReplicaReplaced> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, ReplicaReplaced e) {
      writeReplicas(out, List.of(e.lost(), e.added()));
    }
    @Override protected ReplicaReplaced readBody(Kryo k, Input in, int v) {
      List<Replica> r = readReplicas(in);
      return new ReplicaReplaced(r.get(0), r.get(1));
    }
  }

  /** v1: empty. */
  public static final class AbsentSerializer extends VersionedSerializer<Absent> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Absent e) {}
    @Override protected Absent readBody(Kryo k, Input in, int v) { return new Absent(); }
  }

  /** v1: empty. */
  public static final class GoneSerializer extends VersionedSerializer<Gone> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Gone e) {}
    @Override protected Gone readBody(Kryo k, Input in, int v) { return new Gone(); }
  }

  /** v1: replicas, slice size, owners, vblocks, next slot. */
  public static final class ActiveSerializer extends VersionedSerializer<Active> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Active s) {
      writeReplicas(out, s.replicas());
      out.writeVarInt(s.sliceSize(), true);
      writeLongs(out, s.owners());
      writeLongs(out, s.vblocks());
      out.writeVarInt(s.nextSlot(), true);
    }
    @Override protected Active readBody(Kryo k, Input in, int v) {
      return new Active(readReplicas(in), in.readVarInt(true), readLongs(in), readLongs(in), in.readVarInt(true));
    }
  }
}
