package io.cairn.datapath.replication;

import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Settings of one {@link ReplicationEndpoint}, validated when built. Start from {@link #defaults}
 * and change fields with the {@code with...} methods.
 *
 * <h2>Memory and why the term is 16 MiB</h2>
 *
 * Aeron's largest message is {@code termLength / 8}; a frame is a 128-byte header plus up to 1 MiB
 * of payload (a drained extent, an egroup read), so the term must be 16 MiB (8 MiB would allow
 * exactly 1 MiB, with no room for the header). Each publication (one per peer) and each image (one
 * per peer sending to us) maps three terms plus a page of metadata: about 48 MiB each, so
 * 96 MiB per connected peer per node. The log files are sparse ({@code termBufferSparseFile}), so
 * only pages that traffic has touched take memory; put {@link #aeronBaseDir} on tmpfs
 * ({@code /dev/shm}) so that they are memory, not disk writes. The driver's own buffers (conductor,
 * to-clients, counters, errors, loss report) are 1 MiB each (Aeron's defaults).
 *
 * <h2>Idle cost</h2>
 *
 * The endpoint's driver thread and its poll thread never spin: while frames flow they park 50 us
 * at a time, and once idle (50 ms without work) their parks double up to {@link #idleMaxParkNs}.
 * With the 1 ms default an idle endpoint costs about 3-5% of one core on a busy 2-core machine,
 * and a request that arrives after a quiet spell waits up to about 1 ms per hop.
 * Raise it where CPU matters more than the latency of the first request after idling.
 *
 * @param nodeId this node's id (the frame's source; 1-63 of [A-Za-z0-9._-])
 * @param bindHost address the subscription binds to (the host peers send to)
 * @param port UDP port of the subscription
 * @param aeronBaseDir directory under which the endpoint's Aeron directory is made (tmpfs preferred)
 * @param streamId Aeron stream id of requests and responses
 * @param termLength Aeron term buffer length, bytes: a power of two in [64 KiB, 64 MiB]
 * @param mtuLength largest UDP datagram Aeron sends, bytes (1408 fits a 1500-byte Ethernet MTU)
 * @param requestTimeoutNs time from send to response after which a request fails with TIMEOUT
 * @param connectTimeoutNs how long a new publication to a peer may take to connect before sends fail NOT_CONNECTED
 * @param backPressureTimeoutNs how long one frame may wait for a back-pressured publication
 * @param peerLivenessTimeoutNs time without status messages after which a peer's publication counts as not connected
 * @param maxChecksumRetries re-sends of a request after a CHECKSUM NACK (or a damaged reply) before it fails
 * @param compressThresholdBytes payloads at least this long are LZ4-compressed when that saves at least 1/8
 * @param idleMaxParkNs longest park of an idle poll or driver thread (bounds added latency when idle)
 * @param handlerThreads threads that run {@link ReplicaHandlers} and complete futures
 */
public record ReplicationSettings(
    String nodeId,
    String bindHost,
    int port,
    Path aeronBaseDir,
    int streamId,
    int termLength,
    int mtuLength,
    long requestTimeoutNs,
    long connectTimeoutNs,
    long backPressureTimeoutNs,
    long peerLivenessTimeoutNs,
    int maxChecksumRetries,
    int compressThresholdBytes,
    long idleMaxParkNs,
    int handlerThreads) {

  public static final int DEFAULT_STREAM_ID = 1001;
  public static final int DEFAULT_TERM_LENGTH = 16 << 20;
  public static final int DEFAULT_MTU_LENGTH = 1408;
  public static final long DEFAULT_REQUEST_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
  public static final long DEFAULT_CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
  public static final long DEFAULT_BACK_PRESSURE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);
  public static final long DEFAULT_PEER_LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
  public static final int DEFAULT_MAX_CHECKSUM_RETRIES = 3;
  public static final int DEFAULT_COMPRESS_THRESHOLD_BYTES = 64 << 10;
  public static final long DEFAULT_IDLE_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
  public static final int DEFAULT_HANDLER_THREADS = 2;

  public ReplicationSettings {
    ReplicationFrame.sourceBytes(Objects.requireNonNull(nodeId, "nodeId"));
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(aeronBaseDir, "aeronBaseDir");
    check(port > 0 && port <= 65535, "port", port);
    check(streamId != 0, "streamId", streamId);
    check(Integer.bitCount(termLength) == 1 && termLength >= 64 << 10 && termLength <= 64 << 20, "termLength", termLength);
    check(mtuLength >= 576 && mtuLength <= 65504 && mtuLength % 32 == 0, "mtuLength (multiple of 32)", mtuLength);
    check(requestTimeoutNs > 0, "requestTimeoutNs", requestTimeoutNs);
    check(connectTimeoutNs > 0, "connectTimeoutNs", connectTimeoutNs);
    check(backPressureTimeoutNs > 0, "backPressureTimeoutNs", backPressureTimeoutNs);
    check(peerLivenessTimeoutNs >= TimeUnit.MILLISECONDS.toNanos(100), "peerLivenessTimeoutNs", peerLivenessTimeoutNs);
    check(maxChecksumRetries >= 0 && maxChecksumRetries <= 100, "maxChecksumRetries", maxChecksumRetries);
    check(compressThresholdBytes >= 64, "compressThresholdBytes", compressThresholdBytes);
    check(idleMaxParkNs >= 1000 && idleMaxParkNs <= TimeUnit.MILLISECONDS.toNanos(100), "idleMaxParkNs", idleMaxParkNs);
    check(handlerThreads >= 1 && handlerThreads <= 64, "handlerThreads", handlerThreads);
  }

  /** Defaults for a node listening on {@code bindHost:port}. */
  public static ReplicationSettings defaults(String nodeId, String bindHost, int port, Path aeronBaseDir) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, DEFAULT_STREAM_ID, DEFAULT_TERM_LENGTH,
        DEFAULT_MTU_LENGTH, DEFAULT_REQUEST_TIMEOUT_NS, DEFAULT_CONNECT_TIMEOUT_NS, DEFAULT_BACK_PRESSURE_TIMEOUT_NS,
        DEFAULT_PEER_LIVENESS_TIMEOUT_NS, DEFAULT_MAX_CHECKSUM_RETRIES, DEFAULT_COMPRESS_THRESHOLD_BYTES,
        DEFAULT_IDLE_MAX_PARK_NS, DEFAULT_HANDLER_THREADS);
  }

  /** Aeron's largest message for this term length: {@code min(termLength / 8, 16 MiB)}. */
  public int maxMessageLength() {
    return Math.min(termLength / 8, 16 << 20);
  }

  /** Largest payload of one frame (uncompressed, and as sent). */
  public int maxPayloadLength() {
    return maxMessageLength() - ReplicationFrame.HEADER_LENGTH;
  }

  public ReplicationSettings withRequestTimeoutNs(long ns) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, streamId, termLength, mtuLength, ns,
        connectTimeoutNs, backPressureTimeoutNs, peerLivenessTimeoutNs, maxChecksumRetries, compressThresholdBytes,
        idleMaxParkNs, handlerThreads);
  }

  public ReplicationSettings withConnectTimeoutNs(long ns) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, streamId, termLength, mtuLength,
        requestTimeoutNs, ns, backPressureTimeoutNs, peerLivenessTimeoutNs, maxChecksumRetries, compressThresholdBytes,
        idleMaxParkNs, handlerThreads);
  }

  public ReplicationSettings withPeerLivenessTimeoutNs(long ns) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, streamId, termLength, mtuLength,
        requestTimeoutNs, connectTimeoutNs, backPressureTimeoutNs, ns, maxChecksumRetries, compressThresholdBytes,
        idleMaxParkNs, handlerThreads);
  }

  public ReplicationSettings withBackPressureTimeoutNs(long ns) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, streamId, termLength, mtuLength,
        requestTimeoutNs, connectTimeoutNs, ns, peerLivenessTimeoutNs, maxChecksumRetries, compressThresholdBytes,
        idleMaxParkNs, handlerThreads);
  }

  public ReplicationSettings withMaxChecksumRetries(int n) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, streamId, termLength, mtuLength,
        requestTimeoutNs, connectTimeoutNs, backPressureTimeoutNs, peerLivenessTimeoutNs, n, compressThresholdBytes,
        idleMaxParkNs, handlerThreads);
  }

  public ReplicationSettings withMtuLength(int bytes) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, streamId, termLength, bytes,
        requestTimeoutNs, connectTimeoutNs, backPressureTimeoutNs, peerLivenessTimeoutNs, maxChecksumRetries,
        compressThresholdBytes, idleMaxParkNs, handlerThreads);
  }

  public ReplicationSettings withTermLength(int bytes) {
    return new ReplicationSettings(nodeId, bindHost, port, aeronBaseDir, streamId, bytes, mtuLength,
        requestTimeoutNs, connectTimeoutNs, backPressureTimeoutNs, peerLivenessTimeoutNs, maxChecksumRetries,
        compressThresholdBytes, idleMaxParkNs, handlerThreads);
  }

  private static void check(boolean ok, String name, long value) {
    if (!ok) throw new IllegalArgumentException("replication setting " + name + " out of range: " + value);
  }
}
