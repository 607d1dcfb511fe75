package io.cairn.datapath.replication;

import static io.cairn.datapath.replication.ReplicationFrame.HEADER_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class ReplicationFrameTest {

  private static final int MAX = (2 << 20) - HEADER_LENGTH;

  /** A complete frame in a byte array: header for OPLOG_REPLICATE from "node-1" plus payload. */
  private static byte[] frame(byte[] payload) {
    byte[] f = new byte[HEADER_LENGTH + payload.length];
    UnsafeBuffer b = new UnsafeBuffer(f);
    ReplicationFrame.writeHeader(b, 0, FrameType.OPLOG_REPLICATE, 0, ReplicationFrame.sourceBytes("node-1"),
        0x0102030405060708L, payload.length, payload.length, 0, 7, 2, 42, 1 << 20);
    b.putBytes(HEADER_LENGTH, payload);
    ReplicationFrame.putCrc(b, 0, ReplicationFrame.computeCrc(new CRC32C(), b, 0, b, HEADER_LENGTH, payload.length));
    return f;
  }

  @Test
  void shouldLayOutTheHeaderAsDocumented() {
    byte[] f = frame(new byte[] {9, 8, 7});
    HexFormat hex = HexFormat.of();
    assertEquals("43414652" + "01" + "01" + "00" + "06" + "0807060504030201", hex.formatHex(f, 0, 16),
        "magic CAFR, version 1, type OPLOG_REPLICATE, flags 0, source length 6, correlation id LE");
    assertEquals("03000000" + "03000000" + "0000" + "0000", hex.formatHex(f, 20, 32),
        "payload length, uncompressed length, status, reserved");
    assertEquals("0700000000000000" + "0200000000000000" + "2a00000000000000" + "0000100000000000",
        hex.formatHex(f, 32, 64), "vDisk 7, episode 2, write seq 42, offset 1 MiB");
    assertEquals("node-1", new String(f, 64, 6, java.nio.charset.StandardCharsets.US_ASCII));
    assertTrue(Arrays.equals(new byte[58], Arrays.copyOfRange(f, 70, 128)), "source padded with zeros");
    assertArrayEquals(new byte[] {9, 8, 7}, Arrays.copyOfRange(f, 128, 131));

    CRC32C crc = new CRC32C();
    byte[] zeroed = f.clone();
    Arrays.fill(zeroed, 16, 20, (byte) 0);
    crc.update(zeroed);
    assertEquals((int) crc.getValue(), ByteBuffer.wrap(f, 16, 4).order(ReplicationFrame.ORDER).getInt(),
        "CRC32C over the whole frame with the CRC field zero");
  }

  @Test
  void shouldAcceptAnIntactFrame() {
    byte[] f = frame(new byte[1000]);
    UnsafeBuffer b = new UnsafeBuffer(f);
    assertNull(ReplicationFrame.verify(new CRC32C(), b, 0, f.length, MAX));
    assertEquals("node-1", ReplicationFrame.source(b, 0, f.length));
    assertEquals(0x0102030405060708L, ReplicationFrame.correlationId(b, 0));
    assertEquals(42, ReplicationFrame.field2(b, 0));
  }

  @Test
  void shouldDetectEverySingleByteFlipAnywhereInTheFrame() {
    byte[] good = frame(new byte[300]);
    CRC32C crc = new CRC32C();
    for (int i = 0; i < good.length; i++) {
      byte[] f = good.clone();
      f[i] ^= 0x01;
      assertNotNull(ReplicationFrame.verify(crc, new UnsafeBuffer(f), 0, f.length, MAX), "flip at byte " + i);
    }
  }

  @Test
  void shouldNameEachKindOfDamage() {
    CRC32C crc = new CRC32C();
    byte[] f = frame(new byte[64]);
    assertTrue(ReplicationFrame.verify(crc, new UnsafeBuffer(f), 0, 100, MAX).contains("shorter than its header"));
    assertTrue(ReplicationFrame.verify(crc, new UnsafeBuffer(f), 0, f.length - 1, MAX).contains("disagrees with frame length"));
    byte[] m = f.clone();
    m[0] = 'X';
    assertTrue(ReplicationFrame.verify(crc, new UnsafeBuffer(m), 0, m.length, MAX).contains("bad magic"));
    byte[] v = f.clone();
    v[4] = 2;
    assertTrue(ReplicationFrame.verify(crc, new UnsafeBuffer(v), 0, v.length, MAX).contains("unknown version 2"));
    byte[] fl = f.clone();
    fl[6] = 0x02;
    assertTrue(ReplicationFrame.verify(crc, new UnsafeBuffer(fl), 0, fl.length, MAX).contains("unknown flags"));
    assertTrue(ReplicationFrame.verify(crc, new UnsafeBuffer(f), 0, f.length, 10).contains("out of range"));
    byte[] c = f.clone();
    c[HEADER_LENGTH + 5] ^= (byte) 0x80;
    assertTrue(ReplicationFrame.verify(crc, new UnsafeBuffer(c), 0, c.length, MAX).contains("CRC32C mismatch"));
  }

  @Test
  void shouldVerifyAFrameAtAnOffsetInADirectBuffer() {
    byte[] f = frame(new byte[] {1, 2, 3, 4});
    ByteBuffer direct = ByteBuffer.allocateDirect(f.length + 37);
    direct.put(37, f);
    UnsafeBuffer b = new UnsafeBuffer(direct);
    assertNull(ReplicationFrame.verify(new CRC32C(), b, 37, f.length, MAX));
  }

  @Test
  void shouldReadTheSourceOnlyWhenItIsAValidNodeId() {
    byte[] f = frame(new byte[0]);
    byte[] zeroLength = f.clone();
    zeroLength[ReplicationFrame.SOURCE_LENGTH_OFFSET] = 0;
    assertNull(ReplicationFrame.source(new UnsafeBuffer(zeroLength), 0, f.length));
    byte[] tooLong = f.clone();
    tooLong[ReplicationFrame.SOURCE_LENGTH_OFFSET] = 64;
    assertNull(ReplicationFrame.source(new UnsafeBuffer(tooLong), 0, f.length));
    byte[] badChar = f.clone();
    badChar[ReplicationFrame.SOURCE_OFFSET + 2] = '/';
    assertNull(ReplicationFrame.source(new UnsafeBuffer(badChar), 0, f.length));
    assertNull(ReplicationFrame.source(new UnsafeBuffer(f), 0, 100), "shorter than a header");
    assertThrows(IllegalArgumentException.class, () -> ReplicationFrame.sourceBytes("a/b"));
    assertThrows(IllegalArgumentException.class, () -> ReplicationFrame.sourceBytes("x".repeat(64)));
  }

  @Test
  void shouldKeepTheOpcodeTableDisjoint() {
    for (int t = -128; t < 128; t++) {
      assertTrue(!(FrameType.isRequest(t) && FrameType.isResponse(t)), "type " + t);
    }
    assertEquals("EGROUP_READ", FrameType.name(FrameType.EGROUP_READ));
    assertEquals("type-99", FrameType.name(99));
  }
}
