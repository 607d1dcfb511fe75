package io.cairn.actors.node;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.cairn.config.HostPort;
import io.cairn.serialization.VersionedSerializer;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written, versioned serializer of {@link NodeInfo}: nodes of different versions share one
 * directory during a rolling upgrade, so a newer node must read what an older one wrote.
 *
 * <p>Body, version 1 (strings in Kryo's string encoding, counts and sizes as unsigned varints):
 *
 * <pre>
 *   nodeId, block, rack, address     4 strings
 *   uid                              long, Kryo fixed 8 bytes
 *   aeron host, aeron port           string, varint
 *   portals                          varint count, then one string each ("host:port,tpgt")
 *   management host, port            string, varint
 *   disks                            varint count, then per disk: id string, tier string,
 *                                      capacity varlong, used varlong
 *   oplogBytes                       varlong
 * </pre>
 *
 * <p>Version 2 appends each disk's health state (a string per disk, in the disks' order); a
 * version-1 entry's disks read as online.
 */
public final class NodeInfoSerializer extends VersionedSerializer<NodeInfo> {

  /** More entries than any real node has: a count beyond it is corrupt input, not a big node. */
  private static final int MAX_ENTRIES = 1 << 16;

  @Override
  protected int currentVersion() {
    return 2;
  }

  @Override
  protected void writeBody(Kryo kryo, Output out, NodeInfo n) {
    out.writeString(n.nodeId());
    out.writeString(n.block());
    out.writeString(n.rack());
    out.writeString(n.address());
    out.writeLong(n.uid());
    out.writeString(n.aeron().host());
    out.writeVarInt(n.aeron().port(), true);
    out.writeVarInt(n.iscsiPortals().size(), true);
    for (String p : n.iscsiPortals()) out.writeString(p);
    out.writeString(n.management().host());
    out.writeVarInt(n.management().port(), true);
    out.writeVarInt(n.disks().size(), true);
    for (NodeInfo.Disk d : n.disks()) {
      out.writeString(d.id());
      out.writeString(d.tier());
      out.writeVarLong(d.capacityBytes(), true);
      out.writeVarLong(d.usedBytes(), true);
    }
    out.writeVarLong(n.oplogBytes(), true);
    for (NodeInfo.Disk d : n.disks()) out.writeString(d.state()); // version 2
  }

  @Override
  protected NodeInfo readBody(Kryo kryo, Input in, int version) {
    String nodeId = in.readString();
    String block = in.readString();
    String rack = in.readString();
    String address = in.readString();
    long uid = in.readLong();
    HostPort aeron = new HostPort(in.readString(), in.readVarInt(true));
    int portalCount = count(in);
    List<String> portals = new ArrayList<>(portalCount);
    for (int i = 0; i < portalCount; i++) portals.add(in.readString());
    HostPort management = new HostPort(in.readString(), in.readVarInt(true));
    int diskCount = count(in);
    List<NodeInfo.Disk> disks = new ArrayList<>(diskCount);
    for (int i = 0; i < diskCount; i++) {
      disks.add(new NodeInfo.Disk(in.readString(), in.readString(), in.readVarLong(true), in.readVarLong(true)));
    }
    long oplogBytes = in.readVarLong(true);
    if (version >= 2) {
      for (int i = 0; i < diskCount; i++) {
        NodeInfo.Disk d = disks.get(i);
        disks.set(i, new NodeInfo.Disk(d.id(), d.tier(), d.capacityBytes(), d.usedBytes(), in.readString()));
      }
    }
    return new NodeInfo(nodeId, block, rack, address, uid, aeron, portals, management, disks, oplogBytes);
  }

  private static int count(Input in) {
    int n = in.readVarInt(true);
    if (n < 0 || n > MAX_ENTRIES) throw new KryoException("implausible count " + n + " in a NodeInfo");
    return n;
  }
}
