package io.cairn.datapath.iscsi.pdu;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * The byte stream cannot be framed into PDUs any more (bad length, header digest mismatch,
 * oversize data segment). The connection that raised it is closed; no other is affected.
 */
public final class PduFramingException extends CorruptedFrameException {

  private static final long serialVersionUID = 1L;

  public PduFramingException(String message) {
    super(message);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
