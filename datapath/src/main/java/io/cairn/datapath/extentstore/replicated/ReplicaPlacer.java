package io.cairn.datapath.extentstore.replicated;

import java.util.List;

/**
 * Chooses the nodes of a new extent group's replicas: implemented by the node with {@code
 * Placement} over the node directory's members, preferring the local node.
 */
@FunctionalInterface
public interface ReplicaPlacer {

  /**
   * {@code rf} distinct node ids for {@code egroupId}, the preferred (local) node first when it
   * qualifies. Returns fewer than {@code rf} ids, or throws, when too few nodes are eligible. Called
   * from any thread; must not block.
   */
  List<String> place(long egroupId, int rf);
}
