package io.cairn.datapath.scsi.sense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SenseDataTest {

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
  }

  /** Golden fixed-format sense data (SPC-4 4.5.3) for every condition the SCSI layer reports. */
  static Stream<Arguments> goldenSense() {
    return Stream.of(
        Arguments.of(SenseCode.NO_ADDITIONAL_SENSE,                   "70 00 00 00000000 0a 00000000 00 00 00 000000"),
        Arguments.of(SenseCode.LOGICAL_UNIT_NOT_READY,                "70 00 02 00000000 0a 00000000 04 00 00 000000"),
        Arguments.of(SenseCode.WRITE_ERROR,                           "70 00 03 00000000 0a 00000000 0c 00 00 000000"),
        Arguments.of(SenseCode.UNRECOVERED_READ_ERROR,                "70 00 03 00000000 0a 00000000 11 00 00 000000"),
        Arguments.of(SenseCode.INTERNAL_TARGET_FAILURE,               "70 00 04 00000000 0a 00000000 44 00 00 000000"),
        Arguments.of(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT,     "70 00 05 00000000 0a 00000000 0e 03 00 000000"),
        Arguments.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR,           "70 00 05 00000000 0a 00000000 1a 00 00 000000"),
        Arguments.of(SenseCode.INVALID_COMMAND_OPERATION_CODE,        "70 00 05 00000000 0a 00000000 20 00 00 000000"),
        Arguments.of(SenseCode.LBA_OUT_OF_RANGE,                      "70 00 05 00000000 0a 00000000 21 00 00 000000"),
        Arguments.of(SenseCode.INVALID_FIELD_IN_CDB,                  "70 00 05 00000000 0a 00000000 24 00 00 000000"),
        Arguments.of(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED,            "70 00 05 00000000 0a 00000000 25 00 00 000000"),
        Arguments.of(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST,       "70 00 05 00000000 0a 00000000 26 00 00 000000"),
        Arguments.of(SenseCode.SAVING_PARAMETERS_NOT_SUPPORTED,       "70 00 05 00000000 0a 00000000 39 00 00 000000"),
        Arguments.of(SenseCode.POWER_ON_RESET_OCCURRED,               "70 00 06 00000000 0a 00000000 29 00 00 000000"),
        Arguments.of(SenseCode.POWER_ON_OCCURRED,                     "70 00 06 00000000 0a 00000000 29 01 00 000000"),
        Arguments.of(SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED,    "70 00 06 00000000 0a 00000000 29 03 00 000000"),
        Arguments.of(SenseCode.MODE_PARAMETERS_CHANGED,               "70 00 06 00000000 0a 00000000 2a 01 00 000000"),
        Arguments.of(SenseCode.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR, "70 00 06 00000000 0a 00000000 2f 00 00 000000"),
        Arguments.of(SenseCode.WRITE_PROTECTED,                       "70 00 07 00000000 0a 00000000 27 00 00 000000"),
        Arguments.of(SenseCode.SOFTWARE_WRITE_PROTECTED,              "70 00 07 00000000 0a 00000000 27 02 00 000000"),
        Arguments.of(SenseCode.SPACE_ALLOCATION_FAILED_WRITE_PROTECT, "70 00 07 00000000 0a 00000000 27 07 00 000000"),
        Arguments.of(SenseCode.TIMEOUT_ON_LOGICAL_UNIT,               "70 00 0b 00000000 0a 00000000 3e 02 00 000000"),
        Arguments.of(SenseCode.OVERLAPPED_COMMANDS_ATTEMPTED,         "70 00 0b 00000000 0a 00000000 4e 00 00 000000"),
        Arguments.of(SenseCode.MISCOMPARE_DURING_VERIFY,              "70 00 0e 00000000 0a 00000000 1d 00 00 000000"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenSense")
  void shouldEncodeFixedFormatSenseExactly(SenseCode code, String golden) {
    byte[] s = SenseData.of(code);

    assertArrayEquals(hex(golden), s);
    assertEquals(code, SenseData.code(s));
    assertFalse(SenseData.informationValid(s));
    assertEquals(-1, SenseData.fieldPointer(s));
  }

  @Test
  void shouldSetValidAndInformationForMiscompareOffset() {
    byte[] s = SenseData.withInformation(SenseCode.MISCOMPARE_DURING_VERIFY, 0x12345);

    assertArrayEquals(hex("f0 00 0e 00012345 0a 00000000 1d 00 00 000000"), s);
    assertTrue(SenseData.informationValid(s));
    assertEquals(0x12345, SenseData.information(s));
  }

  @Test
  void shouldPointAtCdbByteAndBitForInvalidField() {
    byte[] s = SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_CDB, true, 2, 7);

    // SKSV=1, C/D=1, BPV=1, BIT POINTER=7 -> cf; FIELD POINTER=0002
    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 24 00 00 cf 0002"), s);
    assertTrue(SenseData.pointsIntoCdb(s));
    assertEquals(2, SenseData.fieldPointer(s));
    assertEquals(7, SenseData.bitPointer(s));
  }

  @Test
  void shouldPointAtParameterListByteWithoutBitPointer() {
    byte[] s = SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, false, 0x0112, -1);

    // SKSV=1, C/D=0, BPV=0 -> 80; FIELD POINTER=0112
    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 26 00 00 80 0112"), s);
    assertFalse(SenseData.pointsIntoCdb(s));
    assertEquals(-1, SenseData.bitPointer(s));
  }

  @Test
  void shouldRejectInformationThatDoesNotFitFourBytes() {
    assertThrows(IllegalArgumentException.class, () -> SenseData.withInformation(SenseCode.MISCOMPARE_DURING_VERIFY, 1L << 32));
  }
}
