package io.cairn.actors.node;

import io.cairn.actors.vdisk.LocalControllers;
import io.cairn.config.CairnSettings;
import io.cairn.datapath.extentstore.ExtentStore;
import io.cairn.datapath.extentstore.replicated.ReplicatedExtentStore;
import io.cairn.datapath.oplog.OpLog;
import java.util.concurrent.Executor;

/**
 * The node-local data path the entities running on this node use: the OpLog, the extent store,
 * and an executor for the little blocking work an actor must not do on its own thread (an OpLog
 * capture, a replica file creation). Owned by the node's main, which closes them after the actor
 * system has stopped.
 *
 * @param nodeId this node's id
 * @param settings every setting of the node
 * @param oplog the node's OpLog
 * @param extentStore the node's extent store: its own files only (a single node), or a {@link
 *     ReplicatedExtentStore} keeping RF replicas of each extent group on distinct nodes
 * @param blockingExecutor runs short blocking calls off the actors' dispatcher
 * @param localControllers the vDisk controllers running on this node
 */
public record NodeStorage(
    String nodeId, CairnSettings settings, OpLog oplog, ExtentStore extentStore, Executor blockingExecutor,
    LocalControllers localControllers) {

  public NodeStorage(String nodeId, CairnSettings settings, OpLog oplog, ExtentStore extentStore, Executor blockingExecutor) {
    this(nodeId, settings, oplog, extentStore, blockingExecutor, new LocalControllers());
  }

  /** Bytes of one extent (= one vBlock). */
  public int extentSize() {
    return settings.extentStore().extentSizeBytes();
  }

  /** Extents per extent group. */
  public int extentsPerEgroup() {
    return settings.extentStore().extentsPerEgroup();
  }

  /**
   * The extent store as a replicated one, or null when it keeps this node's files only (then every
   * extent group has one replica, on the node that created it).
   */
  public ReplicatedExtentStore replicatedStore() {
    return extentStore instanceof ReplicatedExtentStore r ? r : null;
  }
}
