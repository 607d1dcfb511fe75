package io.cairn.datapath.replication;

/**
 * Where each peer's replication endpoint listens. Implemented by the node from its cluster view
 * (NodeInfo's Aeron host:port). Called from the endpoint's poll thread: must be thread-safe, fast
 * and non-blocking.
 */
public interface PeerDirectory {

  /** A peer's replication endpoint. */
  record PeerAddress(String host, int port) {
    public PeerAddress {
      if (host == null || host.isEmpty()) throw new IllegalArgumentException("host");
      if (port <= 0 || port > 65535) throw new IllegalArgumentException("port " + port);
    }

    /** The Aeron UDP channel of this endpoint. */
    public String channel() {
      String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
      return "aeron:udp?endpoint=" + h + ":" + port;
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /** The endpoint of {@code nodeId}, or null when the node is unknown or no longer a member. */
  PeerAddress lookup(String nodeId);
}
