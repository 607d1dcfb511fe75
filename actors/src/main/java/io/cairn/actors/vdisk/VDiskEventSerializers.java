package io.cairn.actors.vdisk;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.cairn.actors.config.ConfigEventSerializers;
import io.cairn.actors.vdisk.VDiskController.ActiveSnapshot;
import io.cairn.actors.vdisk.VDiskController.BlocksMapped;
import io.cairn.actors.vdisk.VDiskController.BlocksUnmapped;
import io.cairn.actors.vdisk.VDiskController.Destroyed;
import io.cairn.actors.vdisk.VDiskController.EgroupIdsReserved;
import io.cairn.actors.vdisk.VDiskController.EgroupOpened;
import io.cairn.actors.vdisk.VDiskController.Gone;
import io.cairn.actors.vdisk.VDiskController.Initialized;
import io.cairn.actors.vdisk.VDiskController.Uninitialized;
import io.cairn.serialization.VersionedSerializer;

/**
 * Hand-written, versioned serializers of the vDisk controller's events and snapshots. Layouts are
 * frozen per version; golden bytes in the tests guard them.
 */
public final class VDiskEventSerializers {
  private VDiskEventSerializers() {}

  /** v1: the vDisk spec; v2: the spec with its read-only flag. */
  public static final class InitializedSerializer extends VersionedSerializer<Initialized> {
    @Override protected int currentVersion() { return 2; }
    @Override protected void writeBody(Kryo k, Output out, Initialized e) { ConfigEventSerializers.writeVDisk(out, e.spec()); }
    @Override protected Initialized readBody(Kryo k, Input in, int v) { return new Initialized(ConfigEventSerializers.readVDisk(in, v)); }
  }

  /** v1: start, end (varlongs). */
  public static final class EgroupIdsReservedSerializer extends VersionedSerializer<EgroupIdsReserved> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, EgroupIdsReserved e) {
      out.writeVarLong(e.start(), true);
      out.writeVarLong(e.end(), true);
    }
    @Override protected EgroupIdsReserved readBody(Kryo k, Input in, int v) {
      return new EgroupIdsReserved(in.readVarLong(true), in.readVarLong(true));
    }
  }

  /** v1: egroup id. */
  public static final class EgroupOpenedSerializer extends VersionedSerializer<EgroupOpened> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, EgroupOpened e) { out.writeVarLong(e.egroupId(), true); }
    @Override protected EgroupOpened readBody(Kryo k, Input in, int v) { return new EgroupOpened(in.readVarLong(true)); }
  }

  /** v1: egroup id, count, then (vblock varlong, slot varint) per entry. */
  public static final class BlocksMappedSerializer extends VersionedSerializer<BlocksMapped> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, BlocksMapped e) {
      out.writeVarLong(e.egroupId(), true);
      out.writeVarInt(e.vblocks().length, true);
      for (int i = 0; i < e.vblocks().length; i++) {
        out.writeVarLong(e.vblocks()[i], true);
        out.writeVarInt(e.slots()[i], true);
      }
    }
    @Override protected BlocksMapped readBody(Kryo k, Input in, int v) {
      long egroup = in.readVarLong(true);
      int n = in.readVarInt(true);
      long[] vblocks = new long[n];
      int[] slots = new int[n];
      for (int i = 0; i < n; i++) {
        vblocks[i] = in.readVarLong(true);
        slots[i] = in.readVarInt(true);
      }
      return new BlocksMapped(egroup, vblocks, slots);
    }
  }

  /**
   * v1: count, then the vblocks ascending, each as the delta from the previous one (the first from
   * 0), varlongs: a run of adjacent vBlocks costs one byte each.
   */
  public static final class BlocksUnmappedSerializer extends VersionedSerializer<BlocksUnmapped> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, BlocksUnmapped e) {
      long[] v = e.vblocks();
      out.writeVarInt(v.length, true);
      long prev = 0;
      for (long b : v) {
        if (b < prev) throw new IllegalArgumentException("BlocksUnmapped vblocks must ascend");
        out.writeVarLong(b - prev, true);
        prev = b;
      }
    }
    @Override protected BlocksUnmapped readBody(Kryo k, Input in, int v) {
      long[] vblocks = new long[in.readVarInt(true)];
      long prev = 0;
      for (int i = 0; i < vblocks.length; i++) {
        prev += in.readVarLong(true);
        vblocks[i] = prev;
      }
      return new BlocksUnmapped(vblocks);
    }
  }

  /** v1: empty. */
  public static final class DestroyedSerializer extends VersionedSerializer<Destroyed> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Destroyed e) {}
    @Override protected Destroyed readBody(Kryo k, Input in, int v) { return new Destroyed(); }
  }

  /** v1: empty. */
  public static final class UninitializedSerializer extends VersionedSerializer<Uninitialized> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Uninitialized e) {}
    @Override protected Uninitialized readBody(Kryo k, Input in, int v) { return new Uninitialized(); }
  }

  /** v1: empty. */
  public static final class GoneSerializer extends VersionedSerializer<Gone> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Gone e) {}
    @Override protected Gone readBody(Kryo k, Input in, int v) { return new Gone(); }
  }

  /**
   * v1: spec, id range, open egroup and its use, then the block map: count, and per entry the
   * vblock as a delta from the previous one (ascending) and the packed location, both varlongs.
   * v2: the same with the spec's read-only flag.
   */
  public static final class ActiveSnapshotSerializer extends VersionedSerializer<ActiveSnapshot> {
    @Override protected int currentVersion() { return 2; }
    @Override protected void writeBody(Kryo k, Output out, ActiveSnapshot s) {
      ConfigEventSerializers.writeVDisk(out, s.spec());
      out.writeVarLong(s.nextEgroupId(), true);
      out.writeVarLong(s.endEgroupId(), true);
      out.writeVarLong(s.openEgroup(), true);
      out.writeVarInt(s.openUsed(), true);
      out.writeVarInt(s.vblocks().length, true);
      long prev = 0;
      for (int i = 0; i < s.vblocks().length; i++) {
        out.writeVarLong(s.vblocks()[i] - prev, true);
        out.writeVarLong(s.locations()[i], true);
        prev = s.vblocks()[i];
      }
    }
    @Override protected ActiveSnapshot readBody(Kryo k, Input in, int v) {
      var spec = ConfigEventSerializers.readVDisk(in, v);
      long next = in.readVarLong(true);
      long end = in.readVarLong(true);
      long open = in.readVarLong(true);
      int used = in.readVarInt(true);
      int n = in.readVarInt(true);
      long[] vblocks = new long[n];
      long[] locations = new long[n];
      long prev = 0;
      for (int i = 0; i < n; i++) {
        prev += in.readVarLong(true);
        vblocks[i] = prev;
        locations[i] = in.readVarLong(true);
      }
      return new ActiveSnapshot(spec, vblocks, locations, next, end, open, used);
    }
  }
}
