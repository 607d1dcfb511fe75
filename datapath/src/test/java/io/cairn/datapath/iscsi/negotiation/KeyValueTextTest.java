package io.cairn.datapath.iscsi.negotiation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyValueTextTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldParsePairsInOrder() throws TextFormatException {
    List<KeyValue> kv = KeyValueText.parse(b("InitiatorName=iqn.x\0HeaderDigest=None,CRC32C\0X-Empty=\0"));
    assertEquals(List.of(new KeyValue("InitiatorName", "iqn.x"), new KeyValue("HeaderDigest", "None,CRC32C"),
        new KeyValue("X-Empty", "")), kv);
  }

  @Test
  void shouldKeepEqualsSignsInValues() throws TextFormatException {
    assertEquals(List.of(new KeyValue("CHAP_N", "a=b")), KeyValueText.parse(b("CHAP_N=a=b\0")));
  }

  @Test
  void shouldAcceptAMissingFinalNulAndStrayNuls() throws TextFormatException {
    assertEquals(2, KeyValueText.parse(b("A=1\0\0\0B=2")).size());
  }

  @Test
  void shouldDecodeUtf8Values() throws TextFormatException {
    assertEquals("größe", KeyValueText.parse(b("InitiatorAlias=größe\0")).get(0).value());
  }

  @ParameterizedTest
  @ValueSource(strings = {"NoEquals\0", "=value\0", "Bad Key=1\0", "Key\u00e9=1\0"})
  void shouldRejectMalformedPairs(String text) {
    assertThrows(TextFormatException.class, () -> KeyValueText.parse(b(text)));
  }

  @Test
  void shouldRejectOverlongKeysAndValuesAndBadUtf8() {
    assertThrows(TextFormatException.class, () -> KeyValueText.parse(b("K".repeat(64) + "=1\0")));
    assertThrows(TextFormatException.class, () -> KeyValueText.parse(b("K=" + "v".repeat(8193) + "\0")));
    assertThrows(TextFormatException.class, () -> KeyValueText.parse(new byte[] {'K', '=', (byte) 0xc3, 0}));
  }

  @Test
  void shouldFormatEachPairNulTerminated() {
    assertArrayEquals(b("A=1\0B=x,y\0"), KeyValueText.format(List.of(new KeyValue("A", "1"), new KeyValue("B", "x,y"))));
  }
}
