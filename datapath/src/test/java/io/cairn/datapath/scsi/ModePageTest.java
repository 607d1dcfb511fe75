package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.B;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.concat;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModePageTest {

  private final ScsiHarness h = new ScsiHarness();

  /** Pages as SPC-4/SBC-3 lay them out, written by hand. */
  static final byte[] CACHING = hex("08 12 00 00 0000 0000 0000 0000 00 00 0000 00 000000");
  static final byte[] CONTROL = hex("0a 0a 02 10 00 00 0000 0000 0000");
  static final byte[] CONTROL_SWP = hex("0a 0a 02 10 08 00 0000 0000 0000");
  static final byte[] INFO_EXCEPTIONS = hex("1c 0a 08 00 00000000 00000000");
  static final byte[] CACHING_CHANGEABLE = hex("08 12 00 00 0000 0000 0000 0000 00 00 0000 00 000000");
  static final byte[] CONTROL_CHANGEABLE = hex("0a 0a 00 00 08 00 0000 0000 0000");
  static final byte[] INFO_EXCEPTIONS_CHANGEABLE = hex("1c 0a 00 00 00000000 00000000");

  private static byte[] modeSense6(int dbd, int pcAndPage, int subpage, int allocation) {
    return cdb(0x1A, dbd, pcAndPage, subpage, allocation, 0);
  }

  private static byte[] modeSense10(int flags, int pcAndPage, int subpage, int allocation) {
    return cdb(0x5A, flags, pcAndPage, subpage, 0, 0, 0, allocation >> 8, allocation & 0xFF, 0);
  }

  private static byte[] modeSelect6(int flags, int length) {
    return cdb(0x15, flags, 0, 0, length, 0);
  }

  private static byte[] modeSelect10(int flags, int length) {
    return cdb(0x55, flags, 0, 0, 0, 0, 0, length >> 8, length & 0xFF, 0);
  }

  @Test
  void shouldReturnAllPagesWithShortBlockDescriptorInModeSense6() {
    Outcome o = h.run(0, modeSense6(0, 0x3F, 0, 255)).assertGood();

    byte[] expected = concat(
        hex("37 00 10 08"),                // length 55, medium 0, DPOFUA, block descriptor length 8
        hex("00000800 00 000200"),         // 2048 blocks of 512 bytes
        CACHING, CONTROL, INFO_EXCEPTIONS);
    assertArrayEquals(expected, o.data());
  }

  @Test
  void shouldOmitBlockDescriptorWithDbd() {
    Outcome o = h.run(0, modeSense6(0x08, 0x08, 0, 255)).assertGood();

    assertArrayEquals(concat(hex("17 00 10 00"), CACHING), o.data());
  }

  @Test
  void shouldSetWriteProtectBitForReadOnlyLun() {
    Outcome o = h.run(2, modeSense6(0x08, 0x0A, 0, 255)).assertGood();

    assertArrayEquals(concat(hex("0f 00 90 00"), CONTROL), o.data());
  }

  @Test
  void shouldReturnChangeableValuesWithOnlySwpChangeable() {
    Outcome o = h.run(0, modeSense6(0x08, 0x40 | 0x3F, 0, 255)).assertGood();

    assertArrayEquals(concat(hex("2f 00 10 00"), CACHING_CHANGEABLE, CONTROL_CHANGEABLE, INFO_EXCEPTIONS_CHANGEABLE), o.data());
  }

  @Test
  void shouldReturnDefaultValuesEqualToInitialCurrentValues() {
    byte[] current = h.run(0, modeSense6(0, 0x3F, 0, 255)).assertGood().data();
    byte[] defaults = h.run(0, modeSense6(0, 0x80 | 0x3F, 0, 255)).assertGood().data();

    assertArrayEquals(current, defaults);
  }

  @Test
  void shouldRejectSavedValues() {
    h.run(0, modeSense6(0, 0xC0 | 0x0A, 0, 255)).assertCheck(SenseCode.SAVING_PARAMETERS_NOT_SUPPORTED);
  }

  @Test
  void shouldRejectUnsupportedPage() {
    h.run(0, modeSense6(0, 0x19, 0, 255)).assertInvalidField(2, 5);
  }

  @ParameterizedTest
  @ValueSource(ints = {0x00, 0xFF})
  void shouldAcceptSubpageZeroAndAllSubpages(int subpage) {
    Outcome o = h.run(0, modeSense6(0x08, 0x0A, subpage, 255)).assertGood();

    assertArrayEquals(concat(hex("0f 00 10 00"), CONTROL), o.data());
  }

  @Test
  void shouldRejectUnsupportedSubpage() {
    h.run(0, modeSense6(0, 0x0A, 0x01, 255)).assertInvalidField(3, 7);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 4, 12, 20})
  void shouldTruncateModeSenseToAllocationLengthWithoutChangingModeDataLength(int allocation) {
    byte[] full = concat(hex("37 00 10 08 00000800 00 000200"), CACHING, CONTROL, INFO_EXCEPTIONS);

    assertArrayEquals(Arrays.copyOf(full, allocation), h.run(0, modeSense6(0, 0x3F, 0, allocation)).assertGood().data());
  }

  @Test
  void shouldReturnModeSense10HeaderAndShortDescriptor() {
    Outcome o = h.run(0, modeSense10(0, 0x0A, 0, 512)).assertGood();

    assertArrayEquals(concat(hex("001a 00 10 00 00 0008"), hex("00000800 00 000200"), CONTROL), o.data());
  }

  @Test
  void shouldReturnLongLbaDescriptorWithLlbaa() {
    Outcome o = h.run(3, modeSense10(0x10, 0x0A, 0, 512)).assertGood();

    assertArrayEquals(concat(hex("0022 00 10 01 00 0010"), hex("0000000100000010 00000000 00000200"), CONTROL), o.data());
  }

  @Test
  void shouldCapShortDescriptorBlockCountAtAllOnes() {
    Outcome o = h.run(3, modeSense6(0, 0x0A, 0, 255)).assertGood();

    assertArrayEquals(concat(hex("17 00 10 08 ffffffff 00 000200"), CONTROL), o.data());
  }

  @Test
  void shouldAcceptModeSelectOfCurrentValues() {
    byte[] list = concat(hex("00 00 00 00"), CACHING, CONTROL);

    h.run(0, modeSelect6(0x10, list.length), list).assertGood();
  }

  @Test
  void shouldAcceptModeSelectEchoingModeSenseHeaderAndBlockDescriptor() {
    byte[] sensed = h.run(0, modeSense6(0, 0x0A, 0, 255)).assertGood().data();

    h.run(0, modeSelect6(0x10, sensed.length), sensed).assertGood();
  }

  @Test
  void shouldRejectModeSelectChangingWriteCacheWithFieldPointer() {
    byte[] caching = CACHING.clone();
    caching[2] = 0x04; // WCE
    byte[] list = concat(hex("00 00 00 00"), caching);

    Outcome o = h.run(0, modeSelect6(0x10, list.length), list).assertCheck(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST);
    assertEquals(false, SenseData.pointsIntoCdb(o.sense()));
    assertEquals(6, SenseData.fieldPointer(o.sense()));
    assertEquals(2, SenseData.bitPointer(o.sense()));
  }

  @Test
  void shouldRejectModeSelectWithWrongPageLength() {
    byte[] list = concat(hex("00 00 00 00"), hex("0a 0b 02 10 00 00 0000 0000 0000 00"));

    Outcome o = h.run(0, modeSelect6(0x10, list.length), list).assertCheck(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST);
    assertEquals(5, SenseData.fieldPointer(o.sense()));
  }

  @Test
  void shouldRejectModeSelectOfTruncatedPage() {
    byte[] list = concat(hex("00 00 00 00"), Arrays.copyOf(CONTROL, 8));

    h.run(0, modeSelect6(0x10, list.length), list).assertCheck(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
  }

  @Test
  void shouldRejectModeSelectWithSavePages() {
    h.run(0, modeSelect6(0x11, 0)).assertInvalidField(1, 0);
  }

  @Test
  void shouldRejectModeSelectBlockDescriptorChangingBlockLength() {
    byte[] list = concat(hex("00 00 00 08"), hex("00000800 00 001000"));

    Outcome o = h.run(0, modeSelect6(0x10, list.length), list).assertCheck(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST);
    assertEquals(9, SenseData.fieldPointer(o.sense()));
  }

  @Test
  void shouldRejectModeSelectWithLessDataOutThanParameterListLength() {
    byte[] list = concat(hex("00 00 00 00"), CONTROL);

    Outcome o = h.run(A, 0, modeSelect6(0x10, list.length), Arrays.copyOf(list, 10), 10);

    o.assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
    assertEquals(list.length, o.transferLength());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldSoftwareWriteProtectWhenSwpIsSetAndTellOtherNexuses() {
    h.run(B, 0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
    byte[] list = concat(hex("00 00 00 00"), CONTROL_SWP);

    h.run(0, modeSelect6(0x10, list.length), list).assertGood();

    assertArrayEquals(concat(hex("0f 00 90 00"), CONTROL_SWP), h.run(0, modeSense6(0x08, 0x0A, 0, 255)).assertGood().data());
    h.run(0, ScsiHarness.rw10(0x2A, 0, 0, 1), new byte[512]).assertCheck(SenseCode.SOFTWARE_WRITE_PROTECTED);
    h.run(B, 0, cdb(0x00, 0, 0, 0, 0, 0)).assertCheck(SenseCode.MODE_PARAMETERS_CHANGED);
    h.run(B, 0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();

    byte[] clear = concat(hex("00 00 00 00"), CONTROL);
    h.run(0, modeSelect6(0x10, clear.length), clear).assertGood();
    h.run(0, ScsiHarness.rw10(0x2A, 0, 0, 1), new byte[512]).assertGood();
    h.assertNoBufferLeft();
  }

  @Test
  void shouldClearSoftwareWriteProtectOnLogicalUnitReset() {
    byte[] list = concat(hex("00 00 00 00"), CONTROL_SWP);
    h.run(0, modeSelect6(0x10, list.length), list).assertGood();

    h.service.taskManagement(A, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0).join();

    h.run(0, modeSense6(0x08, 0x0A, 0, 255)).assertCheck(SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    assertArrayEquals(concat(hex("0f 00 10 00"), CONTROL), h.run(0, modeSense6(0x08, 0x0A, 0, 255)).assertGood().data());
  }

  @Test
  void shouldAcceptModeSelect10WithLongLbaDescriptor() {
    byte[] list = concat(hex("0000 00 00 01 00 0010"), hex("0000000000000800 00000000 00000200"), CONTROL);

    h.run(0, modeSelect10(0x10, list.length), list).assertGood();
  }
}
