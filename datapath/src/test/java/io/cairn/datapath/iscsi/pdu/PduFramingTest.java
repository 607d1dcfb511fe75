package io.cairn.datapath.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Framing (BHS, AHS, header digest, data, padding, data digest) by {@link PduDecoder} and {@link PduEncoder}. */
class PduFramingTest {

  /** A NOP-Out with {@code dataLength} bytes of data, optionally with digests. */
  private static byte[] nopOut(int dataLength, boolean headerDigest, boolean dataDigest) {
    byte[] bhs = Hex.bytes("40 80 0000 00 000000 0000000000000000 00000001 ffffffff 00000001 00000000"
        + " 00000000 00000000 00000000 00000000");
    bhs[5] = (byte) (dataLength >>> 16);
    bhs[6] = (byte) (dataLength >>> 8);
    bhs[7] = (byte) dataLength;
    ByteBuf out = Unpooled.buffer();
    out.writeBytes(bhs);
    if (headerDigest) Crc32c.write(out, Crc32c.of(bhs));
    if (dataLength > 0) {
      byte[] padded = new byte[Bhs.padded(dataLength)];
      for (int i = 0; i < dataLength; i++) padded[i] = (byte) (i + 1);
      out.writeBytes(padded);
      if (dataDigest) Crc32c.write(out, Crc32c.of(padded));
    }
    byte[] b = new byte[out.readableBytes()];
    out.readBytes(b);
    return b;
  }

  private static EmbeddedChannel decoder(boolean headerDigest, boolean dataDigest, int limit) {
    PduDecoder d = new PduDecoder(WireCounter.NONE);
    d.configure(headerDigest, dataDigest, limit);
    return new EmbeddedChannel(d);
  }

  @Test
  void shouldFramePduDeliveredOneByteAtATime() {
    EmbeddedChannel ch = decoder(true, true, 8192);
    byte[] wire = nopOut(5, true, true);
    for (int i = 0; i < wire.length - 1; i++) {
      ch.writeInbound(Unpooled.wrappedBuffer(wire, i, 1));
      assertNull(ch.readInbound());
    }
    ch.writeInbound(Unpooled.wrappedBuffer(wire, wire.length - 1, 1));
    Pdu pdu = ch.readInbound();
    assertEquals(Opcode.NOP_OUT, pdu.opcode());
    assertEquals(5, pdu.dataLength());
    assertEquals("01020304 05", Hex.of(pdu.data()));
    assertFalse(pdu.dataDigestError());
    assertEquals(wire.length, pdu.frameLength());
    pdu.release();
    assertFalse(ch.finish());
  }

  @Test
  void shouldFrameSeveralPdusFromOneRead() {
    EmbeddedChannel ch = decoder(false, false, 8192);
    byte[] a = nopOut(0, false, false);
    byte[] b = nopOut(7, false, false);
    byte[] c = nopOut(4, false, false);
    ByteBuf all = Unpooled.buffer().writeBytes(a).writeBytes(b).writeBytes(c);
    ch.writeInbound(all);
    int[] lengths = {0, 7, 4};
    for (int len : lengths) {
      Pdu p = ch.readInbound();
      assertEquals(len, p.dataLength());
      p.release();
    }
    assertNull(ch.readInbound());
    ch.finish();
  }

  @Test
  void shouldFailTheStreamOnHeaderDigestMismatch() {
    EmbeddedChannel ch = decoder(true, false, 8192);
    byte[] wire = nopOut(0, true, false);
    wire[49] ^= 1;
    assertThrows(PduFramingException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(wire)));
    // Everything after a framing error is discarded: even a sound PDU yields nothing.
    ch.writeInbound(Unpooled.wrappedBuffer(nopOut(0, true, false)));
    assertNull(ch.readInbound());
    ch.finishAndReleaseAll();
  }

  @Test
  void shouldFlagDataDigestMismatchAndKeepFraming() {
    EmbeddedChannel ch = decoder(false, true, 8192);
    byte[] bad = nopOut(6, false, true);
    bad[48] ^= 0x10;
    ch.writeInbound(Unpooled.wrappedBuffer(bad), Unpooled.wrappedBuffer(nopOut(6, false, true)));
    Pdu first = ch.readInbound();
    Pdu second = ch.readInbound();
    assertTrue(first.dataDigestError());
    assertFalse(second.dataDigestError());
    first.release();
    second.release();
    ch.finish();
  }

  @Test
  void shouldRefuseDataSegmentLongerThanMaxRecvDataSegmentLength() {
    EmbeddedChannel ch = decoder(false, false, 512);
    PduFramingException e = assertThrows(PduFramingException.class,
        () -> ch.writeInbound(Unpooled.wrappedBuffer(nopOut(513, false, false))));
    assertTrue(e.getMessage().contains("513"));
    ch.finishAndReleaseAll();
  }

  @Test
  void shouldRefuseOversizeSegmentBeforeItsBytesArrive() {
    EmbeddedChannel ch = decoder(false, false, 8192);
    byte[] header = nopOut(0, false, false);
    header[5] = (byte) 0xff; // DataSegmentLength 16 MiB - 1, nothing behind it
    assertThrows(PduFramingException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(header)));
    ch.finishAndReleaseAll();
  }

  @Test
  void shouldPadDataAndAppendBothDigests() {
    PduEncoder encoder = new PduEncoder(WireCounter.NONE);
    encoder.configure(true, true);
    EmbeddedChannel ch = new EmbeddedChannel(encoder);
    ByteBuf header = NopPdu.nopInHeader(ByteBufAllocator.DEFAULT, 0, 1, Bhs.RESERVED_TAG, 2, 3, 4);
    ch.writeOutbound(new OutboundPdu(header, Unpooled.wrappedBuffer(new byte[] {9, 8, 7, 6, 5})));
    CompositeByteBuf wire = Unpooled.compositeBuffer();
    ByteBuf part;
    while ((part = ch.readOutbound()) != null) wire.addComponent(true, part);
    assertEquals(48 + 4 + 8 + 4, wire.readableBytes());
    assertEquals(5, Bhs.dataSegmentLength(wire));
    byte[] bhs = new byte[48];
    wire.getBytes(0, bhs);
    assertEquals(Crc32c.of(bhs), Crc32c.read(wire, 48));
    assertEquals("09080706 05000000", Hex.of(wire.slice(52, 8)));
    assertEquals(Crc32c.of(Hex.bytes("09080706 05000000")), Crc32c.read(wire, 60));
    wire.release();
    ch.finish();
  }

  @Test
  void shouldRoundTripEncodedPdusThroughTheDecoder() {
    AtomicInteger sent = new AtomicInteger();
    PduEncoder encoder = new PduEncoder(sent::addAndGet);
    encoder.configure(true, true);
    EmbeddedChannel enc = new EmbeddedChannel(encoder);
    EmbeddedChannel dec = decoder(true, true, 8192);
    for (int len = 0; len < 9; len++) {
      ByteBuf data = len == 0 ? null : Unpooled.buffer().writeZero(len);
      enc.writeOutbound(new OutboundPdu(NopPdu.nopInHeader(ByteBufAllocator.DEFAULT, 0, len, -1, 0, 0, 0), data));
      ByteBuf part;
      while ((part = enc.readOutbound()) != null) dec.writeInbound(part);
      Pdu p = dec.readInbound();
      assertEquals(len, p.dataLength());
      assertEquals(len, p.initiatorTaskTag());
      assertFalse(p.dataDigestError());
      p.release();
    }
    assertTrue(sent.get() > 9 * 52);
    enc.finish();
    dec.finish();
  }
}
