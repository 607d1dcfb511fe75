package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.login.LoginIdentity;
import java.util.concurrent.CompletableFuture;

/**
 * One iSCSI session in the portal's registry: its TSIH, who it belongs to, and the one connection
 * carrying it (MaxConnections=1). {@link #terminated()} completes once the connection is closed and
 * the SCSI layer was told the nexus is lost, so a reinstating login can wait for it.
 */
final class IscsiSession {

  private final int tsih;
  private final LoginIdentity identity;
  private final IscsiConnection connection;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();

  IscsiSession(int tsih, LoginIdentity identity, IscsiConnection connection) {
    this.tsih = tsih;
    this.identity = identity;
    this.connection = connection;
  }

  int tsih() {
    return tsih;
  }

  LoginIdentity identity() {
    return identity;
  }

  IscsiConnection connection() {
    return connection;
  }

  CompletableFuture<Void> terminated() {
    return terminated;
  }
}
