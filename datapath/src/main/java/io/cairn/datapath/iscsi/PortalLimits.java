package io.cairn.datapath.iscsi;

/**
 * Resource bounds of the portal beyond those in {@code IscsiSettings}, so that no initiator can
 * make a connection hold unbounded memory.
 *
 * @param maxTextBytes key=value text one Login or Text exchange may accumulate over continued
 *     PDUs, bytes
 * @param maxPendingDataOutBytes Data-Out buffers one connection may hold for commands still
 *     collecting their data, bytes; a write beyond it is answered TASK SET FULL (or with a target
 *     failure when it alone exceeds the bound)
 * @param maxImmediateCommands immediate commands one session may have outstanding; more are
 *     rejected (Reject reason 0x06)
 */
public record PortalLimits(int maxTextBytes, long maxPendingDataOutBytes, int maxImmediateCommands) {

  /** 64 KiB of text, 64 MiB of pending Data-Out per connection, 16 immediate commands. */
  public static final PortalLimits DEFAULTS = new PortalLimits(64 * 1024, 64L * 1024 * 1024, 16);

  public PortalLimits {
    if (maxTextBytes < 8192) throw new IllegalArgumentException("maxTextBytes must be at least 8192");
    if (maxPendingDataOutBytes < 1) throw new IllegalArgumentException("maxPendingDataOutBytes must be positive");
    if (maxImmediateCommands < 1) throw new IllegalArgumentException("maxImmediateCommands must be positive");
  }
}
