package io.cairn.datapath.replication;

import io.netty.buffer.ByteBuf;

/**
 * A successful reply to a {@link Request}. A NACK is not a response: it fails the request's
 * future with a {@link ReplicationException} carrying its status and message.
 */
public sealed interface Response {

  /**
   * ACK: the request was carried out (and is durable where the request type says so).
   *
   * @param detail text the handler returned: the disk id for EGROUP_CREATE, "" otherwise
   */
  record Ack(String detail) implements Response {}

  /**
   * DATA: bytes the request asked for.
   *
   * @param next for OPLOG_FETCH the write sequence to fetch next, -1 when this page is the last; 0
   *     otherwise
   * @param payload the bytes, decompressed; owned by the receiver of this response, which must
   *     release it
   */
  record Data(long next, ByteBuf payload) implements Response {}
}
