package io.cairn.datapath.placement;

/** No valid placement exists (fewer eligible nodes than the replication factor). */
public final class PlacementException extends RuntimeException {
  public PlacementException(String message) {
    super(message);
  }
}
