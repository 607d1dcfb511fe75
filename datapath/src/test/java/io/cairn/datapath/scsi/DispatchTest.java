package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.MISSING_LUN;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.target.TargetInfo;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Target/LUN resolution, the opcode table's default entries, REPORT LUNS, TEST UNIT READY, REQUEST SENSE. */
class DispatchTest {

  private final ScsiHarness h = new ScsiHarness();

  static IntStream unimplementedOpcodes() {
    int[] implemented = {0x00, 0x03, 0x08, 0x0A, 0x12, 0x15, 0x16, 0x17, 0x1A, 0x1B, 0x25, 0x28, 0x2A, 0x2E, 0x2F, 0x34, 0x35,
        0x37, 0x41, 0x42, 0x48, 0x55, 0x56, 0x57, 0x5A, 0x5E, 0x5F,
        0x83, 0x84, 0x88, 0x89, 0x8A, 0x8B, 0x8E, 0x8F, 0x90, 0x91, 0x93, 0x9C, 0x9E, 0xA0, 0xA3, 0xA8, 0xAA, 0xAE, 0xAF,
        0xB7};
    return IntStream.range(0, 256).filter(op -> IntStream.of(implemented).noneMatch(i -> i == op));
  }

  @ParameterizedTest(name = "opcode {0}")
  @MethodSource("unimplementedOpcodes")
  void shouldRejectEveryUnimplementedOpcode(int opcode) {
    byte[] cdb = new byte[16];
    cdb[0] = (byte) opcode;
    cdb[1] = (byte) 0xFF;

    h.run(0, cdb).assertCheck(SenseCode.INVALID_COMMAND_OPERATION_CODE);
  }

  @Test
  void shouldRejectCommandsToMissingLunWithLogicalUnitNotSupported() {
    h.run(MISSING_LUN, cdb(0x00, 0, 0, 0, 0, 0)).assertCheck(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
    h.run(MISSING_LUN, ScsiHarness.rw10(0x28, 0, 0, 1)).assertCheck(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
    h.run(MISSING_LUN, ScsiHarness.rw10(0x2A, 0, 0, 1), new byte[512]).assertCheck(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
    h.run(MISSING_LUN, cdb(0xC0, 0, 0, 0, 0, 0)).assertCheck(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
    h.assertNoBufferLeft();
  }

  @Test
  void shouldAnswerRequestSenseToMissingLunWithLogicalUnitNotSupportedData() {
    Outcome o = h.run(MISSING_LUN, cdb(0x03, 0, 0, 0, 252, 0)).assertGood();

    assertArrayEquals(SenseData.of(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED), o.data());
  }

  @Test
  void shouldReportLunsWhateverLunItIsAddressedTo() {
    byte[] expected = hex("00000020 00000000 0000000000000000 0001000000000000 0002000000000000 0003000000000000");

    assertArrayEquals(expected, h.run(0, reportLuns(0, 4096)).assertGood().data());
    assertArrayEquals(expected, h.run(MISSING_LUN, reportLuns(0, 4096)).assertGood().data());
    assertArrayEquals(expected, h.run(0, reportLuns(2, 4096)).assertGood().data());
  }

  @Test
  void shouldReportNoWellKnownLogicalUnits() {
    assertArrayEquals(hex("00000000 00000000"), h.run(0, reportLuns(1, 4096)).assertGood().data());
  }

  @Test
  void shouldUseFlatSpaceAddressingForLunsAbove255() {
    h.catalog.put(new TargetInfo(ScsiHarness.IQN, "vg1", List.of(
        new LunEntry(0, new LunInfo(1, "a", UUID.randomUUID(), 1 << 20, 512, 512, false, false), new RamVDiskIo()),
        new LunEntry(300, new LunInfo(2, "b", UUID.randomUUID(), 1 << 20, 512, 512, false, false), new RamVDiskIo()))));

    assertArrayEquals(hex("00000010 00000000 0000000000000000 412c000000000000"), h.run(0, reportLuns(0, 64)).assertGood().data());
    h.run(300, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
  }

  @Test
  void shouldTruncateReportLunsToAllocationLength() {
    assertArrayEquals(hex("00000020 00000000 0000000000000000"), h.run(0, reportLuns(0, 16)).assertGood().data());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 8, 15})
  void shouldRejectReportLunsAllocationBelowSixteen(int allocation) {
    h.run(0, reportLuns(0, allocation)).assertInvalidField(6, 7);
  }

  @ParameterizedTest
  @ValueSource(ints = {0x03, 0x10, 0x11, 0x12, 0xFF})
  void shouldRejectUnsupportedSelectReport(int select) {
    h.run(0, reportLuns(select, 4096)).assertInvalidField(2, 7);
  }

  private static byte[] reportLuns(int select, int allocation) {
    return cdb(0xA0, 0, select, 0, 0, 0, allocation >>> 24, (allocation >> 16) & 0xFF, (allocation >> 8) & 0xFF, allocation & 0xFF, 0, 0);
  }

  @Test
  void shouldAnswerTestUnitReadyWithGood() {
    Outcome o = h.run(0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();

    assertEquals(0, o.data().length);
  }

  @Test
  void shouldRejectReservedBitsInTestUnitReady() {
    h.run(0, cdb(0x00, 0x01, 0, 0, 0, 0)).assertInvalidField(1, 0);
    h.run(0, cdb(0x00, 0, 0, 0x10, 0, 0)).assertInvalidField(3, 4);
  }

  @Test
  void shouldRejectLinkAndVendorBitsInControlByte() {
    h.run(0, cdb(0x00, 0, 0, 0, 0, 0x01)).assertInvalidField(5, 0);
    h.run(0, cdb(0x00, 0, 0, 0, 0, 0x40)).assertInvalidField(5, 7);
  }

  @Test
  void shouldAnswerRequestSenseWithNoSenseWhenNothingIsPending() {
    Outcome o = h.run(0, cdb(0x03, 0, 0, 0, 252, 0)).assertGood();

    assertArrayEquals(SenseData.of(SenseCode.NO_ADDITIONAL_SENSE), o.data());
  }

  @Test
  void shouldTruncateRequestSenseToAllocationLength() {
    assertEquals(8, h.run(0, cdb(0x03, 0, 0, 0, 8, 0)).assertGood().data().length);
    assertEquals(0, h.run(0, cdb(0x03, 0, 0, 0, 0, 0)).assertGood().data().length);
  }

  @Test
  void shouldRejectDescriptorFormatSenseRequest() {
    h.run(0, cdb(0x03, 0x01, 0, 0, 252, 0)).assertInvalidField(1, 0);
  }

  @Test
  void shouldTreatAnUnexportedTargetAsHavingNoLuns() {
    h.catalog.remove(ScsiHarness.IQN);

    h.run(0, cdb(0x00, 0, 0, 0, 0, 0)).assertCheck(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
    assertArrayEquals(hex("00000000 00000000"), h.run(0, reportLuns(0, 64)).assertGood().data());
  }

  @Test
  void shouldRejectAnEmptyCdb() {
    h.run(A, 0, new byte[0], new byte[4], 4).assertCheck(SenseCode.INVALID_COMMAND_OPERATION_CODE);
    h.assertNoBufferLeft();
  }

  @Test
  void shouldReleaseDataOutOfCommandsThatTakeNone() {
    h.run(A, 0, cdb(0x00, 0, 0, 0, 0, 0), new byte[512], 512).assertGood();
    h.run(A, 0, cdb(0xC0, 0, 0, 0, 0, 0), new byte[512], 512).assertCheck(SenseCode.INVALID_COMMAND_OPERATION_CODE);
    h.run(A, 0, cdb(0x12, 0, 0, 0, 96, 0), new byte[512], 512).assertGood();
    h.assertNoBufferLeft();
  }
}
