package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.login.LoginIdentity;
import java.util.concurrent.CompletableFuture;

/**
 * One iSCSI session in the node's registry: its TSIH, who it belongs to, its portal group, and the one connection
 * carrying it (MaxConnections=1). {@link #terminated()} completes once the connection is closed and
 * the SCSI layer was told the nexus is lost, so a reinstating login can wait for it.
 */
final class IscsiSession {

  private final int tsih;
  private final LoginIdentity identity;
  private final int portalGroupTag;
  private final IscsiConnection connection;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();

  IscsiSession(int tsih, LoginIdentity identity, int portalGroupTag, IscsiConnection connection) {
    this.tsih = tsih;
    this.identity = identity;
    this.portalGroupTag = portalGroupTag;
    this.connection = connection;
  }

  int tsih() {
    return tsih;
  }

  LoginIdentity identity() {
    return identity;
  }

  /** The target portal group the session runs on. */
  int portalGroupTag() {
    return portalGroupTag;
  }

  IscsiConnection connection() {
    return connection;
  }

  CompletableFuture<Void> terminated() {
    return terminated;
  }
}
