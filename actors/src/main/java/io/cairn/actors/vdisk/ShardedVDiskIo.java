package io.cairn.actors.vdisk;

import io.cairn.datapath.vdisk.Provisioning;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.datapath.vdisk.VDiskIoException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * {@link VDiskIo} over the vDisk's sharded controller. While this node's claim of the controller
 * is being honoured ({@link ControllerLocality}) an I/O waits for it to arrive, then goes the fast
 * path. When the controller runs on this node (the
 * usual case: it is placed where its I/O arrives) a call is one message straight to it, carrying
 * the future it completes; otherwise the call goes through sharding as an ask with a serializable
 * reply. Called from portal threads; holds no state but the references.
 */
public final class ShardedVDiskIo implements VDiskIo {

  private final long vdiskId;
  private final EntityRef<VDiskController.Command> controller;
  private final LocalControllers local;
  private final Duration timeout;

  public ShardedVDiskIo(ClusterSharding sharding, long vdiskId, Duration timeout, LocalControllers local) {
    this.vdiskId = vdiskId;
    this.controller = sharding.entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(vdiskId));
    this.local = local;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    ActorRef<VDiskController.Command> here = local.get(vdiskId);
    if (here != null) {
      CompletableFuture<ByteBuf> result = new CompletableFuture<>();
      local.localIo(vdiskId);
      here.tell(new VDiskController.LocalRead(offset, length, result));
      return result;
    }
    CompletableFuture<Void> arrival = local.arrival(vdiskId);
    if (arrival != null && !arrival.isDone()) return arrival.thenCompose(v -> read(offset, length));
    local.remoteIo(vdiskId);
    CompletionStage<VDiskController.ReadResult> reply =
        controller.ask(r -> new VDiskController.Read(offset, length, r), timeout);
    return reply.toCompletableFuture().handle((r, err) -> {
      if (err != null) throw VDiskIoException.of(err);
      if (r.error() != null) throw new VDiskIoException(r.error(), r.message());
      return r.data();
    });
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf data) {
    ActorRef<VDiskController.Command> here = local.get(vdiskId);
    if (here != null) {
      CompletableFuture<Void> result = new CompletableFuture<>();
      local.localIo(vdiskId);
      here.tell(new VDiskController.LocalWrite(offset, data, result));
      return result;
    }
    CompletableFuture<Void> arrival = local.arrival(vdiskId);
    if (arrival != null && !arrival.isDone()) return arrival.thenCompose(v -> write(offset, data));
    local.remoteIo(vdiskId);
    CompletionStage<VDiskController.IoResult> reply;
    ByteBuf sent = detached(data);
    try {
      reply = controller.ask(r -> new VDiskController.Write(offset, sent, r), timeout);
    } catch (RuntimeException e) {
      sent.release();
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.INTERNAL, "write not sent: " + e, e));
    }
    return reply.toCompletableFuture().handle((r, err) -> {
      if (err != null) throw VDiskIoException.of(err);
      if (r.error() != null) throw new VDiskIoException(r.error(), r.message());
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> writeAtomic(long offset, ByteBuf data) {
    ActorRef<VDiskController.Command> here = local.get(vdiskId);
    if (here != null) {
      CompletableFuture<Void> result = new CompletableFuture<>();
      here.tell(new VDiskController.LocalWriteAtomic(offset, data, result));
      return result;
    }
    CompletableFuture<Void> arrival = local.arrival(vdiskId);
    if (arrival != null && !arrival.isDone()) return arrival.thenCompose(v -> writeAtomic(offset, data));
    local.remoteIo(vdiskId);
    CompletionStage<VDiskController.IoResult> reply;
    ByteBuf sent = detached(data);
    try {
      reply = controller.ask(r -> new VDiskController.WriteAtomic(offset, sent, r), timeout);
    } catch (RuntimeException e) {
      sent.release();
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.INTERNAL, "atomic write not sent: " + e, e));
    }
    return ioResult(reply);
  }

  @Override
  public CompletableFuture<Long> compareAndWrite(long offset, ByteBuf compare, ByteBuf data) {
    ActorRef<VDiskController.Command> here = local.get(vdiskId);
    if (here != null) {
      CompletableFuture<Long> result = new CompletableFuture<>();
      here.tell(new VDiskController.LocalCompareAndWrite(offset, compare, data, result));
      return result;
    }
    CompletableFuture<Void> arrival = local.arrival(vdiskId);
    if (arrival != null && !arrival.isDone()) return arrival.thenCompose(v -> compareAndWrite(offset, compare, data));
    local.remoteIo(vdiskId);
    CompletionStage<VDiskController.CompareResult> reply;
    ByteBuf sentCompare = detached(compare);
    ByteBuf sent = detached(data);
    try {
      reply = controller.ask(r -> new VDiskController.CompareAndWrite(offset, sentCompare, sent, r), timeout);
    } catch (RuntimeException e) {
      sentCompare.release();
      sent.release();
      return CompletableFuture.failedFuture(new VDiskIoException(Kind.INTERNAL, "compare and write not sent: " + e, e));
    }
    return reply.toCompletableFuture().handle((r, err) -> {
      if (err != null) throw VDiskIoException.of(err);
      if (r.error() != null) throw new VDiskIoException(r.error(), r.message());
      return r.miscompareAt();
    });
  }

  @Override
  public CompletableFuture<Void> unmap(long offset, long length) {
    ActorRef<VDiskController.Command> here = local.get(vdiskId);
    if (here != null) {
      CompletableFuture<Void> result = new CompletableFuture<>();
      here.tell(new VDiskController.LocalUnmap(offset, length, result));
      return result;
    }
    CompletableFuture<Void> arrival = local.arrival(vdiskId);
    if (arrival != null && !arrival.isDone()) return arrival.thenCompose(v -> unmap(offset, length));
    local.remoteIo(vdiskId);
    return ioResult(controller.ask(r -> new VDiskController.Unmap(offset, length, r), timeout));
  }

  @Override
  public CompletableFuture<Provisioning> provisioning(long offset, int maxRanges) {
    ActorRef<VDiskController.Command> here = local.get(vdiskId);
    if (here != null) {
      CompletableFuture<Provisioning> result = new CompletableFuture<>();
      here.tell(new VDiskController.LocalGetProvisioning(offset, maxRanges, result));
      return result;
    }
    CompletableFuture<Void> arrival = local.arrival(vdiskId);
    if (arrival != null && !arrival.isDone()) return arrival.thenCompose(v -> provisioning(offset, maxRanges));
    local.remoteIo(vdiskId);
    CompletionStage<VDiskController.ProvisioningResult> reply =
        controller.ask(r -> new VDiskController.GetProvisioning(offset, maxRanges, r), timeout);
    return reply.toCompletableFuture().handle((r, err) -> {
      if (err != null) throw VDiskIoException.of(err);
      if (r.error() != null) throw new VDiskIoException(r.error(), r.message());
      return r.provisioning();
    });
  }

  /**
   * A message through sharding is serialized later (on Artery's stream, when the controller is on
   * another node) and then never released by anyone here: it carries a heap copy, and the pooled
   * buffer goes back to the pool at once. Takes ownership of {@code data}.
   */
  private static ByteBuf detached(ByteBuf data) {
    try {
      return Unpooled.copiedBuffer(data);
    } finally {
      data.release();
    }
  }

  private static CompletableFuture<Void> ioResult(CompletionStage<VDiskController.IoResult> reply) {
    return reply.toCompletableFuture().handle((r, err) -> {
      if (err != null) throw VDiskIoException.of(err);
      if (r.error() != null) throw new VDiskIoException(r.error(), r.message());
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> flush() {
    CompletionStage<VDiskController.IoResult> reply = controller.ask(VDiskController.Flush::new, timeout);
    return reply.toCompletableFuture().handle((r, err) -> {
      if (err != null) throw VDiskIoException.of(err);
      if (r.error() != null) throw new VDiskIoException(r.error(), r.message());
      return null;
    });
  }
}
