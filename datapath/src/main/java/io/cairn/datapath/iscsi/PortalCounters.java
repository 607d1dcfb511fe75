package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.pdu.WireCounter;
import java.util.concurrent.atomic.LongAdder;

/** The portal's counters, incremented from every event loop; read by {@link IscsiPortal#stats()}. */
final class PortalCounters {

  final LongAdder connectionsAccepted = new LongAdder();
  final LongAdder connectionsActive = new LongAdder();
  final LongAdder sessionsOpened = new LongAdder();
  final LongAdder sessionsActive = new LongAdder();
  final LongAdder pdusReceived = new LongAdder();
  final LongAdder pdusSent = new LongAdder();
  final LongAdder bytesReceived = new LongAdder();
  final LongAdder bytesSent = new LongAdder();
  final LongAdder loginFailures = new LongAdder();
  final LongAdder protocolErrors = new LongAdder();
  final LongAdder digestErrors = new LongAdder();
  final LongAdder rejects = new LongAdder();

  final WireCounter received = bytes -> {
    pdusReceived.increment();
    bytesReceived.add(bytes);
  };

  final WireCounter sent = bytes -> {
    pdusSent.increment();
    bytesSent.add(bytes);
  };

  IscsiPortalStats snapshot() {
    return new IscsiPortalStats(
        connectionsAccepted.sum(), connectionsActive.sum(), sessionsOpened.sum(), sessionsActive.sum(),
        pdusReceived.sum(), pdusSent.sum(), bytesReceived.sum(), bytesSent.sum(), loginFailures.sum(),
        protocolErrors.sum(), digestErrors.sum(), rejects.sum());
  }
}
