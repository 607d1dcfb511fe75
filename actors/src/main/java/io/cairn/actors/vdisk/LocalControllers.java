package io.cairn.actors.vdisk;

import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The vDisk controllers running on this node, by vDisk id. A controller registers itself when it
 * starts and leaves when it stops; the portal's {@link ShardedVDiskIo} then sends I/O straight to
 * it (one mailbox hop, replies through a future) instead of through the shard region with an ask.
 * Thread-safe.
 */
public final class LocalControllers {

  private final ConcurrentHashMap<Long, ActorRef<VDiskController.Command>> byVdisk = new ConcurrentHashMap<>();
  private volatile ControllerLocality locality;

  /** Reports remote I/O to {@code l} from now on (the node sets it once sharding is up). */
  public void locality(ControllerLocality l) {
    this.locality = l;
  }

  /** The portal sends an I/O of the vDisk to its controller on this node. */
  void localIo(long vdiskId) {
    ControllerLocality l = locality;
    if (l != null) l.localIo(vdiskId);
  }

  /** The portal sends an I/O of the vDisk to its controller on another node. */
  void remoteIo(long vdiskId) {
    ControllerLocality l = locality;
    if (l != null) l.remoteIo(vdiskId);
  }

  void register(long vdiskId, ActorRef<VDiskController.Command> controller) {
    byVdisk.put(vdiskId, controller);
    ControllerLocality l = locality;
    if (l != null) l.arrived(vdiskId);
  }

  /**
   * Completes when this node's claim of the vDisk's controller has been honoured (it runs here) or
   * given up; null when there is no claim in progress (send the I/O now).
   */
  java.util.concurrent.CompletableFuture<Void> arrival(long vdiskId) {
    ControllerLocality l = locality;
    return l == null ? null : l.arrival(vdiskId);
  }

  void unregister(long vdiskId, ActorRef<VDiskController.Command> controller) {
    byVdisk.remove(vdiskId, controller);
  }

  /** The local controller of the vDisk, or null when it runs elsewhere (or not at all). */
  public ActorRef<VDiskController.Command> get(long vdiskId) {
    return byVdisk.get(vdiskId);
  }
}
