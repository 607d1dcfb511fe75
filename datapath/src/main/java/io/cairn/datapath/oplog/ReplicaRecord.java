package io.cairn.datapath.oplog;

import java.util.Objects;

/**
 * One OpLog record as held in a peer's {@link ReplicaLog}: a write of {@code data} at vDisk byte
 * {@code offset}, the {@code writeSeq}-th write the vDisk's controller sequenced, in OpLog episode
 * {@code episode}.
 */
public record ReplicaRecord(long vdiskId, long episode, long writeSeq, long offset, byte[] data) {
  public ReplicaRecord {
    Objects.requireNonNull(data, "data");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReplicaRecord r && r.vdiskId == vdiskId && r.episode == episode && r.writeSeq == writeSeq
        && r.offset == offset && java.util.Arrays.equals(r.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(vdiskId, episode, writeSeq, offset, java.util.Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "ReplicaRecord[vdisk=" + vdiskId + ", episode=" + episode + ", writeSeq=" + writeSeq + ", offset=" + offset
        + ", " + data.length + " bytes]";
  }
}
