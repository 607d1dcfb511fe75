package io.cairn.datapath.scsi.reservation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** iSCSI TransportIDs (SPC-4 7.6.4.6): the bytes written, and what is refused when read. */
class IscsiTransportIdTest {

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
  }

  private static byte[] tid(int byte0, String text, int length) {
    byte[] t = text.getBytes(StandardCharsets.US_ASCII);
    byte[] d = new byte[length];
    d[0] = (byte) byte0;
    d[2] = (byte) ((length - 4) >> 8);
    d[3] = (byte) (length - 4);
    System.arraycopy(t, 0, d, 4, Math.min(t.length, length - 4));
    return d;
  }

  @Test
  void shouldWriteNameSeparatorAndIsidThenNulPaddedToAMultipleOfFour() {
    // "iqn.x,i,0x000000000001" is 22 characters: 4 + 22 + NUL = 27, padded to 28.
    assertArrayEquals(hex("45 00 0018 69716e2e78 2c692c3078 303030303030303030303031 0000"),
        IscsiTransportId.encodePort("iqn.x", 1));
  }

  @Test
  void shouldNeverWriteLessThan24Bytes() {
    // "a,i,0x000000000001" is 18 characters: 4 + 18 + NUL = 23, padded to the minimum, 24.
    assertArrayEquals(hex("45 00 0014 61 2c692c3078 303030303030303030303031 0000"), IscsiTransportId.encodePort("a", 1));
  }

  @Test
  void shouldWriteAMultipleOfFourWithANulTerminator() {
    for (String name : new String[] {"a", "iqn.1994-05.com.example:h", "iqn.1994-05.com.example:host-aa"}) {
      byte[] t = IscsiTransportId.encodePort(name, 0x123456789ABCL);
      assertEquals(0, t.length % 4, name);
      assertEquals(t.length - 4, ((t[2] & 0xFF) << 8) | (t[3] & 0xFF), name);
      String text = name + ",i,0x123456789abc";
      assertEquals(0, t[4 + text.length()], "NUL terminated");
      assertEquals(new IscsiTransportId.Port(name, 0x123456789ABCL), IscsiTransportId.decodePort(t, 0, t.length));
    }
  }

  @Test
  void shouldRefuseWhatIsNotAnIscsiInitiatorPort() {
    String port = "iqn.1994-05.com.example:host-b,i,0x23d000000002";
    assertEquals(new IscsiTransportId.Port("iqn.1994-05.com.example:host-b", 0x23d000000002L),
        IscsiTransportId.decodePort(tid(0x45, port, 52), 0, 52));
    assertNull(IscsiTransportId.decodePort(tid(0x46, port, 52), 0, 52), "another protocol");
    assertNull(IscsiTransportId.decodePort(tid(0x05, port, 52), 0, 52), "format 00b: a device, not a port");
    assertNull(IscsiTransportId.decodePort(tid(0x45, port, 48), 0, 48), "no NUL within the length");
    assertNull(IscsiTransportId.decodePort(tid(0x45, "iqn.1994-05.com.example:host-b", 52), 0, 52), "no separator");
    assertNull(IscsiTransportId.decodePort(tid(0x45, "iqn.x,i,0x12345678901234", 52), 0, 52), "ISID over 48 bits");
    assertNull(IscsiTransportId.decodePort(tid(0x45, "iqn.x,i,0xzz", 24), 0, 24), "not hexadecimal");
    assertNull(IscsiTransportId.decodePort(tid(0x45, ",i,0x1", 24), 0, 24), "no name");
    assertNull(IscsiTransportId.decodePort(Arrays.copyOf(tid(0x45, port, 52), 40), 0, 52), "beyond the list");
  }
}
