package io.cairn.datapath.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The CRC examples of RFC 7143 Appendix A.4, digest bytes as they appear on the wire. */
class Crc32cTest {

  static Stream<Arguments> rfcVectors() {
    byte[] zeros = new byte[32];
    byte[] ones = new byte[32];
    byte[] incrementing = new byte[32];
    byte[] decrementing = new byte[32];
    for (int i = 0; i < 32; i++) {
      ones[i] = (byte) 0xff;
      incrementing[i] = (byte) i;
      decrementing[i] = (byte) (31 - i);
    }
    // "An iSCSI - SCSI Read (10) Command PDU" of the RFC's examples.
    byte[] readPdu = hex(
        "01c00000 00000000 00000000 00000000 14000000 00000400 00000014 00000018"
            + " 28000000 00000000 02000000 00000000");
    return Stream.of(
        Arguments.of("32 bytes of zeros", zeros, hex("aa36918a")),
        Arguments.of("32 bytes of ones", ones, hex("43aba862")),
        Arguments.of("32 incrementing bytes", incrementing, hex("4e79dd46")),
        Arguments.of("32 decrementing bytes", decrementing, hex("5cdb3f11")),
        Arguments.of("SCSI Read(10) command PDU", readPdu, hex("563a96d9")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rfcVectors")
  void shouldProduceTheRfcDigestBytesOnTheWire(String name, byte[] input, byte[] wire) {
    ByteBuf in = Unpooled.wrappedBuffer(input);
    ByteBuf out = Unpooled.buffer();
    Crc32c.write(out, new Crc32c().digest(in, 0, input.length, 0));
    byte[] got = new byte[4];
    out.readBytes(got);
    assertArrayEquals(wire, got);
    assertEquals(Crc32c.of(input), Crc32c.read(Unpooled.wrappedBuffer(wire), 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rfcVectors")
  void shouldDigestCompositeBuffersLikeContiguousOnes(String name, byte[] input, byte[] wire) {
    ByteBuf composite = Unpooled.wrappedBuffer(
        Unpooled.wrappedBuffer(input, 0, 5), Unpooled.directBuffer().writeBytes(input, 5, input.length - 5));
    assertEquals(Crc32c.of(input), new Crc32c().digest(composite, 0, input.length, 0));
    composite.release();
  }

  static byte[] hex(String s) {
    String h = s.replace(" ", "");
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    return b;
  }
}
