package io.cairn.datapath.placement;

/** The availability domain level at which replicas are kept apart (node &sub; block &sub; rack). */
public enum Awareness {
  /** Replicas on distinct racks: survives the loss of RF-1 racks. */
  RACK,
  /** Replicas on distinct blocks: survives the loss of RF-1 blocks. */
  BLOCK,
  /** Replicas on distinct nodes only. */
  NODE;

  /** The level as operators read it: {@code node}, {@code block}, {@code rack}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
