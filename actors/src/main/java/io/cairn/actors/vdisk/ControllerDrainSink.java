package io.cairn.actors.vdisk;

import io.cairn.datapath.oplog.DrainSink;
import io.cairn.datapath.oplog.VDiskGoneException;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Drains the node's OpLog through each vDisk's controller, which owns the block map.
 *
 * <p>A replicated vDisk (replication factor &gt; 1) is drained only while its controller runs on
 * this node: when it runs elsewhere, its owner took this node's records over from their replicas
 * (and wrote newer data since), so draining them would put stale bytes over newer ones. Such
 * records are dropped as the records of a gone vDisk.
 */
public final class ControllerDrainSink implements DrainSink {

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final LocalControllers local;
  private final java.util.function.LongToIntFunction replicationFactor;

  public ControllerDrainSink(ClusterSharding sharding, Duration timeout) {
    this(sharding, timeout, null, v -> 1);
  }

  public ControllerDrainSink(ClusterSharding sharding, Duration timeout, LocalControllers local,
      java.util.function.LongToIntFunction replicationFactor) {
    this.sharding = sharding;
    this.timeout = timeout;
    this.local = local;
    this.replicationFactor = replicationFactor;
  }

  @Override
  public CompletableFuture<Void> drain(long vdiskId, long offset, ByteBuf data) {
    int rf = replicationFactor.applyAsInt(vdiskId);
    if (rf == 0) {
      return CompletableFuture.failedFuture(new VDiskIoException(VDiskIoException.Kind.NOT_READY,
          "vDisk " + vdiskId + " not yet in this node's view of the configuration"));
    }
    if (rf > 1 && local != null && local.get(vdiskId) == null) {
      return CompletableFuture.failedFuture(new VDiskGoneException(vdiskId, "the controller of replicated vDisk "
          + vdiskId + " left this node; its next owner takes the records over from the peers' copies"));
    }
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
