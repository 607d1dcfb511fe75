package io.cairn.datapath.iscsi;

/**
 * A snapshot of an {@link IscsiPortal}'s counters (totals since start unless named "active").
 *
 * @param connectionsAccepted TCP connections accepted
 * @param connectionsActive connections open now
 * @param sessionsOpened sessions that reached full feature phase (normal and discovery)
 * @param sessionsActive sessions in full feature phase now
 * @param pdusReceived PDUs framed from initiators
 * @param pdusSent PDUs sent to initiators
 * @param bytesReceived bytes of framed PDUs, digests and padding included
 * @param bytesSent bytes of PDUs sent, digests and padding included
 * @param loginFailures logins refused with a non-zero status, or timed out
 * @param protocolErrors connections closed for a malformed or out-of-protocol PDU
 * @param digestErrors header or data digest mismatches
 * @param rejects Reject PDUs sent
 */
public record IscsiPortalStats(
    long connectionsAccepted,
    long connectionsActive,
    long sessionsOpened,
    long sessionsActive,
    long pdusReceived,
    long pdusSent,
    long bytesReceived,
    long bytesSent,
    long loginFailures,
    long protocolErrors,
    long digestErrors,
    long rejects) {}
