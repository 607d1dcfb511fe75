package io.cairn.datapath.iscsi.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 1982 serial number arithmetic with SERIAL_BITS = 32. */
class SerialNumberTest {

  @ParameterizedTest(name = "{0} < {1}")
  @CsvSource({
      "0, 1",
      "0, 0x7fffffff", // largest distance still ordered
      "0xffffffff, 0", // wrap-around
      "0xfffffff0, 0x10",
      "0x7fffffff, 0x80000000",
      "0x80000000, 0xfffffffe"})
  void shouldOrderSerialsWithinHalfTheSpace(String a, String b) {
    int s1 = Long.decode(a).intValue();
    int s2 = Long.decode(b).intValue();
    assertTrue(SerialNumber.lessThan(s1, s2));
    assertTrue(SerialNumber.greaterThan(s2, s1));
    assertFalse(SerialNumber.lessThan(s2, s1));
    assertFalse(SerialNumber.greaterThan(s1, s2));
  }

  @Test
  void shouldLeaveSerialsExactlyHalfTheSpaceApartUnordered() {
    // RFC 1982 section 3.2: the comparison is undefined; neither is less than the other.
    assertFalse(SerialNumber.lessThan(0, 0x80000000));
    assertFalse(SerialNumber.greaterThan(0, 0x80000000));
    assertFalse(SerialNumber.lessThan(0x80000000, 0));
  }

  @Test
  void shouldNotOrderEqualSerials() {
    assertFalse(SerialNumber.lessThan(5, 5));
    assertFalse(SerialNumber.greaterThan(5, 5));
    assertTrue(SerialNumber.lessOrEqual(5, 5));
  }

  @Test
  void shouldAddModulo2To32() {
    assertEquals(4, SerialNumber.add(0xfffffffe, 6));
    assertEquals(0x7fffffff, SerialNumber.add(0, SerialNumber.MAX_ADDEND));
    assertThrows(IllegalArgumentException.class, () -> SerialNumber.add(0, -1));
  }

  @ParameterizedTest(name = "{0} in [{1}, {2}] = {3}")
  @CsvSource({
      "5, 5, 10, true",
      "10, 5, 10, true",
      "4, 5, 10, false",
      "11, 5, 10, false",
      "0, 0xfffffffe, 3, true", // window across the wrap
      "0xffffffff, 0xfffffffe, 3, true",
      "4, 0xfffffffe, 3, false",
      "0xfffffffd, 0xfffffffe, 3, false",
      "5, 5, 4, false"}) // empty window (MaxCmdSN = ExpCmdSN - 1)
  void shouldTestWindowMembershipAcrossTheWrap(String s, String low, String high, boolean inside) {
    assertEquals(inside, SerialNumber.inWindow(Long.decode(s).intValue(), Long.decode(low).intValue(),
        Long.decode(high).intValue()));
  }

  @Test
  void shouldPickTheLaterSerial() {
    assertEquals(2, SerialNumber.max(0xffffffff, 2));
    assertEquals(2, SerialNumber.max(2, 0xffffffff));
  }
}
