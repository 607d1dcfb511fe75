package io.cairn.datapath.iscsi.negotiation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The negotiation functions of RFC 7143 section 6.2 and the value encodings of section 5.1. */
class NegotiationTest {

  @ParameterizedTest(name = "min({0}, {1}) = {2}")
  @CsvSource({"512, 262144, 512", "1048576, 262144, 262144", "8192, 8192, 8192"})
  void shouldNegotiateMinimum(long offered, long own, long result) {
    assertEquals(result, Negotiation.min(offered, own));
  }

  @ParameterizedTest(name = "max({0}, {1}) = {2}")
  @CsvSource({"0, 2, 2", "20, 2, 20", "3600, 3600, 3600"})
  void shouldNegotiateMaximum(long offered, long own, long result) {
    assertEquals(result, Negotiation.max(offered, own));
  }

  @ParameterizedTest(name = "{0} OR {1} = {2}")
  @CsvSource({"false, false, false", "false, true, true", "true, false, true", "true, true, true"})
  void shouldNegotiateOr(boolean offered, boolean own, boolean result) {
    assertEquals(result, Negotiation.or(offered, own));
  }

  @ParameterizedTest(name = "{0} AND {1} = {2}")
  @CsvSource({"false, false, false", "false, true, false", "true, false, false", "true, true, true"})
  void shouldNegotiateAnd(boolean offered, boolean own, boolean result) {
    assertEquals(result, Negotiation.and(offered, own));
  }

  @ParameterizedTest(name = "offered {0}, supported {1} -> {2}")
  @CsvSource(delimiter = ';', value = {
      "CRC32C,None; None,CRC32C; CRC32C", // the originator's order wins
      "None,CRC32C; CRC32C,None; None",
      "CRC32C; None; ",
      "X-vendor,None; None; None"})
  void shouldSelectTheFirstOfferedValueTheResponderSupports(String offered, String supported, String chosen) {
    assertEquals(chosen, Negotiation.select(Negotiation.list(offered), Negotiation.list(supported)));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"0, 0", "8192, 8192", "0x2000, 8192", "0X10, 16", "18446744073709551615, -1", "12a, -1", "'', -1",
      "-5, -1", "0x, -1", "0xffffffffffffffff, -1"})
  void shouldParseDecimalAndHexNumbers(String value, long parsed) {
    assertEquals(parsed, Negotiation.parseNumber(value));
  }

  @Test
  void shouldParseOnlyExactBooleans() {
    assertEquals(Boolean.TRUE, Negotiation.parseBoolean("Yes"));
    assertEquals(Boolean.FALSE, Negotiation.parseBoolean("No"));
    assertNull(Negotiation.parseBoolean("yes"));
    assertNull(Negotiation.parseBoolean("1"));
  }

  @Test
  void shouldSplitListsDroppingEmptyElements() {
    assertEquals(List.of("CHAP", "None"), Negotiation.list("CHAP,,None,"));
  }
}
