package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Frames the inbound byte stream into {@link Pdu}s (RFC 7143 sections 11.1 and 11.2): BHS (48 bytes), then
 * TotalAHSLength bytes of AHS, then the header digest when negotiated, then DataSegmentLength
 * bytes of data padded to 4, then the data digest when negotiated and the segment is not empty.
 *
 * <p>Checks done here, at the framing layer: DataSegmentLength against the MaxRecvDataSegmentLength
 * the target declared (8192 during login, section 13.12), and both digests. A header digest
 * mismatch or an oversize segment means the stream can no longer be trusted: the decoder discards
 * everything after it and raises {@link PduFramingException}; the connection handler closes the
 * channel. A data digest mismatch is only flagged on the PDU ({@link Pdu#dataDigestError()}), since
 * the header is sound and the connection may answer with a Reject.
 *
 * <p>Runs on the channel's event loop. The connection handler changes the digest settings and the
 * segment limit on that same thread while handling the final Login Request, so they apply exactly
 * from the next PDU on ({@link ByteToMessageDecoder} hands each PDU on before framing the next).
 */
public final class PduDecoder extends ByteToMessageDecoder {

  /** MaxRecvDataSegmentLength in force during login (RFC 7143 section 13.12). */
  public static final int LOGIN_MAX_DATA_SEGMENT_LENGTH = 8192;

  private final Crc32c crc = new Crc32c();
  private final WireCounter counter;
  private int maxDataSegmentLength = LOGIN_MAX_DATA_SEGMENT_LENGTH;
  private boolean headerDigest;
  private boolean dataDigest;
  private boolean broken;

  public PduDecoder(WireCounter counter) {
    this.counter = counter;
  }

  /** Switches digests and the data segment limit; takes effect from the next PDU framed. */
  public void configure(boolean headerDigest, boolean dataDigest, int maxDataSegmentLength) {
    this.headerDigest = headerDigest;
    this.dataDigest = dataDigest;
    this.maxDataSegmentLength = maxDataSegmentLength;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (broken) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < Bhs.LENGTH) return;
    int start = in.readerIndex();
    int ahsLength = in.getUnsignedByte(start + Bhs.TOTAL_AHS_LENGTH_OFFSET) * 4;
    int dataLength = in.getUnsignedMedium(start + Bhs.DATA_SEGMENT_LENGTH_OFFSET);
    if (dataLength > maxDataSegmentLength) {
      fail(in, "DataSegmentLength " + dataLength + " exceeds MaxRecvDataSegmentLength " + maxDataSegmentLength
          + " (" + Opcode.name(in.getByte(start) & 0x3f) + ")");
    }
    int headerLength = Bhs.LENGTH + ahsLength;
    int headerDigestLength = headerDigest ? Crc32c.LENGTH : 0;
    int dataOffset = headerLength + headerDigestLength;
    if (headerDigest && in.readableBytes() >= dataOffset) {
      // Check the header as soon as it is complete, before waiting for a data segment whose
      // length field we cannot trust yet.
      int expected = crc.digest(in, start, headerLength, 0);
      if (Crc32c.read(in, start + headerLength) != expected) {
        fail(in, "header digest mismatch");
      }
    }
    int padded = Bhs.padded(dataLength);
    int dataDigestLength = dataDigest && dataLength > 0 ? Crc32c.LENGTH : 0;
    int frameLength = dataOffset + padded + dataDigestLength;
    if (in.readableBytes() < frameLength) return;
    boolean dataDigestError = false;
    if (dataDigestLength > 0) {
      int expected = crc.digest(in, start + dataOffset, padded, 0);
      dataDigestError = Crc32c.read(in, start + dataOffset + padded) != expected;
    }
    ByteBuf frame = in.readRetainedSlice(frameLength);
    counter.pdu(frameLength);
    out.add(new Pdu(frame, ahsLength, dataOffset, dataLength, dataDigestError));
  }

  private void fail(ByteBuf in, String why) {
    broken = true;
    in.skipBytes(in.readableBytes());
    throw new PduFramingException(why);
  }
}
