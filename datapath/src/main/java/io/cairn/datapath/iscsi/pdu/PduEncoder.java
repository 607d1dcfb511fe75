package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes {@link OutboundPdu}s: sets DataSegmentLength, appends the header digest, passes the data
 * segment on without copying, then the padding and the data digest (RFC 7143 sections 11.1 and 11.2). The
 * data digest covers the data and its padding.
 *
 * <p>Runs on the channel's event loop. The connection enables digests right after writing the
 * final Login Response from that loop, so the switch falls exactly between that response and the
 * first full-feature PDU.
 */
public final class PduEncoder extends MessageToMessageEncoder<OutboundPdu> {

  private final Crc32c crc = new Crc32c();
  private final WireCounter counter;
  private boolean headerDigest;
  private boolean dataDigest;

  public PduEncoder(WireCounter counter) {
    super(OutboundPdu.class);
    this.counter = counter;
  }

  public void configure(boolean headerDigest, boolean dataDigest) {
    this.headerDigest = headerDigest;
    this.dataDigest = dataDigest;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, OutboundPdu msg, List<Object> out) {
    ByteBuf header = msg.header();
    int dataLength = msg.dataLength();
    Bhs.setDataSegmentLength(header, dataLength);
    if (headerDigest) {
      Crc32c.write(header, crc.digest(header, header.readerIndex(), Bhs.LENGTH, 0));
    }
    int wire = header.readableBytes();
    out.add(header.retain());
    if (dataLength > 0) {
      ByteBuf data = msg.data();
      int padding = Bhs.padded(dataLength) - dataLength;
      out.add(data.retain());
      wire += dataLength;
      boolean digest = dataDigest;
      if (padding > 0 || digest) {
        ByteBuf tail = ctx.alloc().buffer(padding + Crc32c.LENGTH);
        tail.writeZero(padding);
        if (digest) Crc32c.write(tail, crc.digest(data, data.readerIndex(), dataLength, padding));
        wire += tail.readableBytes();
        out.add(tail);
      }
    }
    counter.pdu(wire);
  }
}
