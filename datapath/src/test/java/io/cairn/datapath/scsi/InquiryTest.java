package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.ascii;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.concat;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InquiryTest {

  private final ScsiHarness h = new ScsiHarness();

  private static byte[] inquiry(int evpd, int page, int allocation) {
    return cdb(0x12, evpd, page, allocation >> 8, allocation & 0xFF, 0);
  }

  /** Standard INQUIRY data of LUN 0 ("db-disk"), laid out from SPC-4 Table 142 by hand. */
  static final byte[] STANDARD_LUN0 = concat(
      hex("00 00 06 12 5b 18 00 02"),          // type 00h, SPC-4, HISUP + format 2, length 91, TPGS 01b, 3PC, CMDQUE
      ascii("CAIRN   "),
      ascii("db-disk         "),
      ascii("0001"),
      new byte[22],                            // 36-57 vendor specific, CLOCKING/QAS/IUS, reserved
      hex("00a0 0460 04c0 0960 0000 0000 0000 0000"), // SAM-5, SPC-4, SBC-3, iSCSI
      new byte[22]);                           // 74-95 reserved

  @Test
  void shouldReturnStandardInquiryDataForLun0() {
    Outcome o = h.run(0, inquiry(0, 0, 255)).assertGood();

    assertEquals(96, STANDARD_LUN0.length);
    assertArrayEquals(STANDARD_LUN0, o.data());
    assertEquals(-1, o.transferLength());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 5, 35, 36, 95, 96, 255, 256, 65535})
  void shouldTruncateStandardDataToAllocationLength(int allocation) {
    Outcome o = h.run(0, inquiry(0, 0, allocation)).assertGood();

    assertArrayEquals(Arrays.copyOf(STANDARD_LUN0, Math.min(96, allocation)), o.data());
  }

  @Test
  void shouldAnswerInquiryToMissingLunWithQualifier011AndType1F() {
    Outcome o = h.run(ScsiHarness.MISSING_LUN, inquiry(0, 0, 96)).assertGood();

    assertEquals(0x7F, o.data()[0] & 0xFF);
    assertEquals(96, o.data().length);
  }

  @Test
  void shouldRejectVpdPageRequestToMissingLun() {
    h.run(ScsiHarness.MISSING_LUN, inquiry(1, 0x00, 255)).assertCheck(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
  }

  @Test
  void shouldRejectPageCodeWithoutEvpd() {
    h.run(0, inquiry(0, 0x80, 255)).assertInvalidField(2, 7);
  }

  @Test
  void shouldRejectUnsupportedVpdPage() {
    h.run(0, inquiry(1, 0x86, 255)).assertInvalidField(2, 7);
  }

  @Test
  void shouldRejectObsoleteCmdDtBit() {
    h.run(0, inquiry(0x02, 0, 255)).assertInvalidField(1, 1);
  }

  @Test
  void shouldRejectNacaInControlByte() {
    h.run(0, cdb(0x12, 0, 0, 0, 96, 0x04)).assertInvalidField(5, 2);
  }

  @Test
  void shouldListSupportedVpdPagesInAscendingOrder() {
    Outcome o = h.run(0, inquiry(1, 0x00, 255)).assertGood();

    assertArrayEquals(hex("00 00 0007 00 80 83 8f b0 b1 b2"), o.data());
  }

  @Test
  void shouldReportUuidAsUnitSerialNumber() {
    Outcome o = h.run(0, inquiry(1, 0x80, 255)).assertGood();

    assertArrayEquals(concat(hex("00 80 0020"), ascii("6f1e2d3c4b5a49788a695b4c3d2e1f00")), o.data());
  }

  @Test
  void shouldReportLogicalUnitDesignatorsDerivedFromUuidThenThePortOfThePath() {
    Outcome o = h.run(0, inquiry(1, 0x83, 255)).assertGood();

    byte[] expected = concat(
        hex("00 83 0090"),
        // NAA: code set binary, association LU, type 3, length 8; NAA 3h | 60 bits of msb ^ lsb
        hex("01 03 00 08"), hex("35 77 76 70 76 74 56 78"),
        // T10 vendor ID: code set ASCII, association LU, type 1, length 40; vendor + serial
        hex("02 01 00 28"), ascii("CAIRN   "), ascii("6f1e2d3c4b5a49788a695b4c3d2e1f00"),
        // relative target port (association target port, type 4) and target port group (type 5): the tag
        hex("01 14 00 04 0000 0001"), hex("01 15 00 04 0000 0001"),
        // SCSI name strings, UTF-8, PIV + iSCSI: the target port, then (association 10b) the target device
        hex("53 98 00 24"), ascii("iqn.2026-11.io.cairn:vg1,t,0x0001"), new byte[3],
        hex("53 a8 00 1c"), ascii("iqn.2026-11.io.cairn:vg1"), new byte[4]);
    assertArrayEquals(expected, o.data());
  }

  @Test
  void shouldReportTheSameLogicalUnitDesignatorsButItsOwnPortOnEveryPath() {
    ItNexus otherPath = new ItNexus(ScsiHarness.A.initiatorName(), ScsiHarness.A.isid(), ScsiHarness.IQN, 2);
    byte[] one = h.run(ScsiHarness.A, 0, inquiry(1, 0x83, 255)).assertGood().data();
    byte[] two = h.run(otherPath, 0, inquiry(1, 0x83, 255)).assertGood().data();

    assertArrayEquals(Arrays.copyOfRange(one, 4, 4 + 56), Arrays.copyOfRange(two, 4, 4 + 56));
    assertArrayEquals(hex("01 14 00 04 0000 0002"), Arrays.copyOfRange(two, 60, 68));
    assertArrayEquals(hex("01 15 00 04 0000 0002"), Arrays.copyOfRange(two, 68, 76));
  }

  @Test
  void shouldGiveEachLunItsOwnDesignatorAndTheSameOneOnEveryServiceInstance() {
    byte[] lun0 = h.run(0, inquiry(1, 0x83, 255)).data();
    byte[] lun1 = h.run(1, inquiry(1, 0x83, 255)).data();
    byte[] lun0OtherNode = new ScsiHarness().run(ScsiHarness.B, 0, inquiry(1, 0x83, 255)).data();

    assertArrayEquals(lun0, lun0OtherNode);
    assertEquals(false, Arrays.equals(lun0, lun1));
  }

  @Test
  void shouldReportHonestBlockLimits() {
    Outcome o = h.run(0, inquiry(1, 0xB0, 255)).assertGood();

    byte[] expected = hex("""
        00 b0 003c
        00 ff 0008 00004000 00000000
        00000000 00100000 00000100 00000008
        80000000 0000000000008000 00000800
        00000000 00000000 00000000 00000000""");
    // WSNZ = 0; COMPARE AND WRITE up to 255 blocks; granularity 4096/512 = 8; max transfer 8 MiB /
    // 512 = 16384 blocks; no optimal length; no prefetch; UNMAP up to 512 MiB (1048576 blocks) in
    // up to 256 descriptors, granularity 8 blocks (a 4 KiB slice), UGAVALID with alignment 0;
    // WRITE SAME up to 16 MiB (32768 blocks); atomic writes up to 1 MiB (2048 blocks), no
    // alignment or granularity, no atomic boundaries
    assertArrayEquals(expected, o.data());
  }

  @Test
  void shouldCoarsenTheUnmapGranularityOfAHugeLunSoAPerGranuleMapStaysSmall() {
    // LUN 3: (2^32 + 16) blocks of 512 bytes, just over 2 TiB: 16 KiB granules (32 blocks)
    byte[] d = h.run(3, inquiry(1, 0xB0, 255)).assertGood().data();
    assertArrayEquals(hex("00000020 80000000"), Arrays.copyOfRange(d, 28, 36));
    assertEquals(4096, InquiryData.unmapGranularityBytes(new io.cairn.datapath.target.LunInfo(1, "t", ScsiHarness.UUID0,
        1L << 40, 512, 4096, false, true)), "1 TiB: 2^28 slices of 4 KiB");
    assertEquals(4L << 20, InquiryData.unmapGranularityBytes(new io.cairn.datapath.target.LunInfo(1, "p", ScsiHarness.UUID0,
        1L << 50, 512, 4096, false, true)), "1 PiB: 4 MiB");
  }

  @Test
  void shouldScaleBlockLimitsToFourKibLogicalBlocksAndOmitUnmapLimitsOfAFullyProvisionedLun() {
    Outcome o = h.run(1, inquiry(1, 0xB0, 255)).assertGood();

    byte[] expected = hex("""
        00 b0 003c
        00 ff 0001 00000800 00000000
        00000000 00000000 00000000 00000000
        00000000 0000000000001000 00000100
        00000000 00000000 00000000 00000000""");
    assertArrayEquals(expected, o.data());
  }

  @Test
  void shouldReportNonRotatingMediumAndReadableBlocksAfterBlockErase() {
    Outcome o = h.run(0, inquiry(1, 0xB1, 255)).assertGood();

    byte[] expected = new byte[64];
    System.arraycopy(hex("00 b1 003c 0001 00 40"), 0, expected, 0, 8); // WABEREQ = 01b
    assertArrayEquals(expected, o.data());
  }

  @Test
  void shouldAdvertiseThinProvisioningWithUnmapWriteSameAndZeroedDeallocatedBlocks() {
    // LBPU, LBPWS, LBPWS10, LBPRZ = 001b, ANC_SUP = 0; provisioning type 010b (thin)
    assertArrayEquals(hex("00 b2 0004 00 e4 02 00"), h.run(0, inquiry(1, 0xB2, 255)).assertGood().data());
    // LUN 1 is not thin: fully provisioned, no provisioning commands
    assertArrayEquals(hex("00 b2 0004 00 00 00 00"), h.run(1, inquiry(1, 0xB2, 255)).assertGood().data());
  }

  @Test
  void shouldTruncateVpdPageToAllocationLength() {
    Outcome o = h.run(0, inquiry(1, 0x83, 10)).assertGood();

    assertArrayEquals(hex("00 83 0090 01 03 00 08 35 77"), o.data());
  }

  @Test
  void shouldNotConsumeUnitAttention() {
    h.run(ScsiHarness.A, 0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
    h.service.taskManagement(ScsiHarness.B, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0).join();

    h.run(ScsiHarness.A, 0, inquiry(0, 0, 96)).assertGood();
    h.run(ScsiHarness.A, 0, cdb(0x00, 0, 0, 0, 0, 0)).assertCheck(SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
  }
}
