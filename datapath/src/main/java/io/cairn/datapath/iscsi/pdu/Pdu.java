package io.cairn.datapath.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One framed inbound PDU. {@link #content()} is the whole frame as received (BHS, AHS, header
 * digest, data, padding, data digest), with index 0 at byte 0 of the BHS, so the flyweight
 * accessors ({@link Bhs}, {@link ScsiCommandPdu}, ...) apply to it directly.
 *
 * <p>Ownership: the decoder creates it holding one reference to the frame; whoever consumes it
 * releases it (Netty's tail handler releases it if nobody does).
 */
public final class Pdu extends DefaultByteBufHolder {

  private final int ahsLength;
  private final int dataOffset;
  private final int dataLength;
  private final boolean dataDigestError;

  public Pdu(ByteBuf frame, int ahsLength, int dataOffset, int dataLength, boolean dataDigestError) {
    super(frame);
    this.ahsLength = ahsLength;
    this.dataOffset = dataOffset;
    this.dataLength = dataLength;
    this.dataDigestError = dataDigestError;
  }

  /** The frame, index 0 at the BHS. Not a new reference. */
  public ByteBuf bhs() {
    return content();
  }

  public int opcode() {
    return Bhs.opcode(content());
  }

  public boolean immediate() {
    return Bhs.immediate(content());
  }

  public int initiatorTaskTag() {
    return Bhs.initiatorTaskTag(content());
  }

  /** TotalAHSLength in bytes. */
  public int ahsLength() {
    return ahsLength;
  }

  /** DataSegmentLength in bytes (without padding). */
  public int dataLength() {
    return dataLength;
  }

  /** The data segment without padding: a slice sharing the frame's reference (not retained). */
  public ByteBuf data() {
    return content().slice(dataOffset, dataLength);
  }

  /** The data segment copied to an array (control PDUs: text, login). */
  public byte[] dataBytes() {
    byte[] b = new byte[dataLength];
    content().getBytes(dataOffset, b);
    return b;
  }

  /** Whether the data digest did not match: the header is sound, the data must be discarded. */
  public boolean dataDigestError() {
    return dataDigestError;
  }

  /** Bytes this PDU took on the wire. */
  public int frameLength() {
    return content().readableBytes();
  }

  @Override
  public String toString() {
    return Opcode.name(opcode()) + " itt=0x" + Integer.toHexString(initiatorTaskTag()) + " data=" + dataLength;
  }
}
