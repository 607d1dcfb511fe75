package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/**
 * A target PDU on its way to {@link PduEncoder}: a 48-byte header and an optional data segment
 * (unpadded). Holds one reference to each; releasing this releases both, so a write that fails
 * before encoding leaks nothing.
 */
public final class OutboundPdu extends AbstractReferenceCounted {

  private final ByteBuf header;
  private final ByteBuf data;

  /** Takes ownership of {@code header} and {@code data} (which may be {@code null}). */
  public OutboundPdu(ByteBuf header, ByteBuf data) {
    this.header = header;
    this.data = data;
  }

  public ByteBuf header() {
    return header;
  }

  /** The data segment, or {@code null}. */
  public ByteBuf data() {
    return data;
  }

  public int dataLength() {
    return data == null ? 0 : data.readableBytes();
  }

  @Override
  protected void deallocate() {
    header.release();
    if (data != null) data.release();
  }

  @Override
  public ReferenceCounted touch(Object hint) {
    header.touch(hint);
    if (data != null) data.touch(hint);
    return this;
  }
}
