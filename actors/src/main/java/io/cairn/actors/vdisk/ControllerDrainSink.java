package io.cairn.actors.vdisk;

import io.cairn.datapath.oplog.DrainSink;
import io.cairn.datapath.oplog.VDiskGoneException;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Drains the node's OpLog through each vDisk's controller, which owns the block map. */
public final class ControllerDrainSink implements DrainSink {

  private final ClusterSharding sharding;
  private final Duration timeout;

  public ControllerDrainSink(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<Void> drain(long vdiskId, long offset, ByteBuf data) {
    return sharding.entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(vdiskId))
        .<VDiskController.DrainResult>ask(r -> new VDiskController.Drain(offset, data, r), timeout)
        .toCompletableFuture()
        .handle((r, err) -> {
          if (err != null) throw VDiskIoException.of(err);
          if (r.gone()) throw new VDiskGoneException(vdiskId);
          if (!r.ok()) throw new VDiskIoException(VDiskIoException.Kind.WRITE_ERROR, r.message());
          return null;
        });
  }
}
