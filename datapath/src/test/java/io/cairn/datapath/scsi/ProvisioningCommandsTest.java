package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.concat;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static io.cairn.datapath.scsi.ScsiHarness.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.vdisk.VDiskIoException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * UNMAP, WRITE SAME (10)/(16), GET LBA STATUS, SANITIZE and READ DEFECT DATA against the harness's
 * RAM vDisks: exact parameter data, exact sense, and what reached the vDisk.
 */
class ProvisioningCommandsTest {

  private static final int LBS = 512;
  private final ScsiHarness h = new ScsiHarness();

  // ---- builders ------------------------------------------------------------------------------

  static byte[] unmapCdb(int anchor, int paramLength) {
    return cdb(0x42, anchor, 0, 0, 0, 0, 0, paramLength >> 8, paramLength & 0xFF, 0);
  }

  /** An UNMAP parameter list with the given {lba, blocks} descriptors. */
  static byte[] unmapList(long[]... descriptors) {
    byte[] d = new byte[8 + 16 * descriptors.length];
    int bd = 16 * descriptors.length;
    Bytes.put16(d, 0, 6 + bd);
    Bytes.put16(d, 2, bd);
    for (int i = 0; i < descriptors.length; i++) {
      Bytes.put64(d, 8 + 16 * i, descriptors[i][0]);
      Bytes.put32(d, 16 + 16 * i, descriptors[i][1]);
    }
    return d;
  }

  static byte[] ws10(int flags, long lba, int blocks) {
    return cdb(0x41, flags, (int) (lba >> 24) & 0xFF, (int) (lba >> 16) & 0xFF, (int) (lba >> 8) & 0xFF, (int) lba & 0xFF,
        0, blocks >> 8, blocks & 0xFF, 0);
  }

  static byte[] ws16(int flags, long lba, long blocks) {
    return ScsiHarness.rw16(0x93, flags, lba, blocks);
  }

  static byte[] getLbaStatus(long lba, long allocation) {
    byte[] c = ScsiHarness.rw16(0x9E, 0x12, lba, allocation);
    return c;
  }

  static byte[] sanitize(int byte1, int paramLength) {
    return cdb(0x48, byte1, 0, 0, 0, 0, 0, paramLength >> 8, paramLength & 0xFF, 0);
  }

  private byte[] written(RamVDiskIo disk, long lba, int blocks) {
    return disk.bytes(lba * LBS, blocks * LBS);
  }

  // ---- UNMAP ---------------------------------------------------------------------------------

  @Test
  void shouldUnmapEveryDescriptorAfterMergingAndReadZeros() {
    h.disk0.put(0, pattern(64 * LBS, 1));
    byte[] list = unmapList(new long[] {8, 8}, new long[] {0, 4}, new long[] {12, 8}, new long[] {40, 1}, new long[] {41, 0});

    Outcome o = h.run(0, unmapCdb(0, list.length), list).assertGood();

    assertEquals(list.length, o.transferLength());
    List<String> got = h.disk0.unmaps.stream().map(r -> r[0] + "+" + r[1]).sorted().toList();
    assertEquals(List.of(List.of(0L, 4L), List.of(8L, 12L), List.of(40L, 1L)).stream()
        .map(r -> r.get(0) * LBS + "+" + r.get(1) * LBS).sorted().toList(), got, "overlapping descriptors merged");
    byte[] expect = pattern(64 * LBS, 1);
    Arrays.fill(expect, 0, 4 * LBS, (byte) 0);
    Arrays.fill(expect, 8 * LBS, 20 * LBS, (byte) 0);
    Arrays.fill(expect, 40 * LBS, 41 * LBS, (byte) 0);
    assertArrayEquals(expect, written(h.disk0, 0, 64));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldDoNothingForAnEmptyListOrZeroBlocksEvenAtTheCapacity() {
    h.run(0, unmapCdb(0, 0)).assertGood();
    byte[] list = unmapList(new long[] {2048, 0}, new long[] {7, 0});
    h.run(0, unmapCdb(0, list.length), list).assertGood();
    byte[] headerOnly = unmapList();
    h.run(0, unmapCdb(0, 8), headerOnly).assertGood();
    assertTrue(h.disk0.unmaps.isEmpty());
  }

  @Test
  void shouldIgnoreAnIncompleteLastDescriptor() {
    byte[] list = Arrays.copyOf(unmapList(new long[] {0, 8}, new long[] {100, 8}), 8 + 16 + 10);
    Bytes.put16(list, 2, 26);
    h.run(0, unmapCdb(0, list.length), list).assertGood();
    assertEquals(1, h.disk0.unmaps.size());
    assertArrayEquals(new long[] {0, 8 * LBS}, h.disk0.unmaps.get(0));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 7})
  void shouldRejectAParameterListShorterThanItsHeader(int length) {
    h.run(0, unmapCdb(0, length), new byte[length]).assertCheck(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
  }

  @Test
  void shouldRejectADescriptorPastTheCapacityAndUnmapNothing() {
    byte[] list = unmapList(new long[] {0, 8}, new long[] {2040, 9});
    h.run(0, unmapCdb(0, list.length), list).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    byte[] list2 = unmapList(new long[] {2049, 0});
    h.run(0, unmapCdb(0, list2.length), list2).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    byte[] list3 = unmapList(new long[] {-1L, 2});
    h.run(0, unmapCdb(0, list3.length), list3).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    assertTrue(h.disk0.unmaps.isEmpty());
  }

  @Test
  void shouldRejectMoreDescriptorsOrBlocksThanTheBlockLimits() {
    long[][] many = new long[257][];
    for (int i = 0; i < many.length; i++) many[i] = new long[] {i, 1};
    byte[] list = unmapList(many);
    Outcome o = h.run(0, unmapCdb(0, list.length), list).assertCheck(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST);
    assertEquals(2, SenseData.fieldPointer(o.sense()));

    // LUN 3 is big enough: 1048576 blocks (512 MiB) is the most, in all descriptors together
    byte[] big = unmapList(new long[] {0, 1048000}, new long[] {2_000_000, 577});
    o = h.run(3, unmapCdb(0, big.length), big).assertCheck(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST);
    assertEquals(8 + 16 + 8, SenseData.fieldPointer(o.sense()));
    byte[] most = unmapList(new long[] {0, 1048000}, new long[] {2_000_000, 576});
    h.run(3, unmapCdb(0, most.length), most).assertGood();
  }

  @Test
  void shouldRejectAnchorAndAFullyProvisionedLun() {
    byte[] list = unmapList(new long[] {0, 1});
    h.run(0, unmapCdb(1, list.length), list).assertInvalidField(1, 0);
    h.run(1, unmapCdb(0, list.length), list).assertCheck(SenseCode.INVALID_COMMAND_OPERATION_CODE);
  }

  // ---- WRITE SAME ----------------------------------------------------------------------------

  @Test
  void shouldWriteTheBlockToEveryBlockOfTheRange() {
    byte[] block = pattern(LBS, 3);
    h.run(0, ws10(0, 100, 5), block).assertGood();
    assertArrayEquals(concat(block, block, block, block, block), written(h.disk0, 100, 5));
    assertTrue(h.disk0.unmaps.isEmpty());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldUnmapWithTheUnmapBitWhateverTheBlockHolds() {
    h.disk0.put(0, pattern(64 * LBS, 4));
    h.run(0, ws16(0x08, 16, 32), new byte[LBS]).assertGood();
    assertEquals(1, h.disk0.unmaps.size());
    assertArrayEquals(new long[] {16 * LBS, 32 * LBS}, h.disk0.unmaps.get(0));
    assertArrayEquals(new byte[32 * LBS], written(h.disk0, 16, 32));

    h.run(0, ws10(0x08, 0, 2), pattern(LBS, 5)).assertGood();
    assertEquals(2, h.disk0.unmaps.size(), "UNMAP = 1 is an unmap: the block read back is zeros (LBPRZ)");
    assertArrayEquals(new byte[2 * LBS], written(h.disk0, 0, 2));
    assertEquals(0, h.disk0.writes.get());
  }

  @Test
  void shouldIgnoreTheUnmapBitOfAFullyProvisionedLun() {
    byte[] block = pattern(4096, 12);
    h.run(1, ws10(0x08, 3, 2), block).assertGood();
    assertArrayEquals(concat(block, block), h.disk1.bytes(3 * 4096, 2 * 4096));
    assertTrue(h.disk1.unmaps.isEmpty());
  }

  @Test
  void shouldTreatNdobAsABlockOfZerosWithoutDataOut() {
    h.disk0.put(0, pattern(8 * LBS, 6));
    Outcome o = h.run(0, ws16(0x09, 0, 8)).assertGood();
    assertEquals(0, o.transferLength());
    assertArrayEquals(new long[] {0, 8 * LBS}, h.disk0.unmaps.get(0));
    h.run(0, ws16(0x01, 0, 8)).assertGood(); // NDOB without UNMAP: a write of zeros
    assertArrayEquals(new byte[8 * LBS], written(h.disk0, 0, 8));
  }

  @Test
  void shouldGoToTheLastBlockWhenNumberOfBlocksIsZero() {
    byte[] block = pattern(LBS, 13);
    h.run(0, ws10(0, 2040, 0), block).assertGood();
    assertArrayEquals(concat(block, block, block, block, block, block, block, block), written(h.disk0, 2040, 8));
    assertArrayEquals(new byte[LBS], written(h.disk0, 2039, 1));
    h.run(0, ws16(0x08, 1000, 0), block).assertGood();
    assertArrayEquals(new long[] {1000L * LBS, 1048L * LBS}, h.disk0.unmaps.get(0));
    // to the end counts every block left, which MAXIMUM WRITE SAME LENGTH (32768 blocks) bounds
    h.run(3, ws16(0, 0, 0), block).assertInvalidField(10, 7);
    h.run(3, ws16(0x08, 0, 0), new byte[LBS]).assertInvalidField(10, 7);
    long end = (1L << 32) + 16;
    h.run(3, ws16(0x08, end - 32768, 0), new byte[LBS]).assertGood();
    h.run(3, ws16(0x08, end - 32769, 0), new byte[LBS]).assertInvalidField(10, 7);
  }

  @Test
  void shouldCheckTheRangeBeforeTheLengthLimits() {
    h.run(0, ws10(0, 2048, 0), new byte[LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, ws10(0, 2049, 0), new byte[LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, ws16(0, 0x8000000000000000L, 1), new byte[LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, ws16(0, -1L, 0), new byte[LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(3, ws16(0, 0, 32769), new byte[LBS]).assertInvalidField(10, 7);             // 16 MiB / 512 + 1
  }

  @Test
  void shouldRejectAnchorTheProtectionFieldAndAWrongDataOutSize() {
    h.run(0, ws10(0x10, 0, 1), new byte[LBS]).assertInvalidField(1, 4);
    h.run(0, ws10(0x18, 0, 1), new byte[LBS]).assertInvalidField(1, 4);
    h.run(0, ws16(0x20, 0, 1), new byte[LBS]).assertInvalidField(1, 7);
    h.run(0, ws10(0x08, 0, 1), new byte[LBS / 2]).assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
    h.run(0, ws10(0x08, 0, 1), new byte[2 * LBS]).assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
    h.run(2, ws10(0, 0, 1), new byte[LBS]).assertCheck(SenseCode.WRITE_PROTECTED);
    assertEquals(0, h.disk0.writes.get());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldWriteALargePatternInChunksNotAllAtOnce() {
    byte[] block = pattern(LBS, 7);
    h.run(3, ws16(0, 1000, 32768), block).assertGood(); // 16 MiB
    assertEquals(16, h.disk3.writes.get(), "1 MiB at a time");
    assertArrayEquals(block, written(h.disk3, 1000, 1));
    assertArrayEquals(block, written(h.disk3, 1000 + 32767, 1));
    assertArrayEquals(new byte[LBS], written(h.disk3, 1000 + 32768, 1));
  }

  @Test
  void shouldFailWriteSameWhenTheVDiskFails() {
    h.replaceIo(0, new FailingVDiskIo(VDiskIoException.Kind.WRITE_ERROR));
    h.run(0, ws16(0, 0, 2048), pattern(LBS, 8)).assertCheck(SenseCode.WRITE_ERROR);
    h.run(0, ws16(0x08, 0, 8), new byte[LBS]).assertCheck(SenseCode.WRITE_ERROR);
  }

  // ---- GET LBA STATUS ------------------------------------------------------------------------

  @Test
  void shouldDescribeMappedAndDeallocatedExtentsInBlocks() {
    h.disk0.put(8 * LBS, pattern(8 * LBS, 9)); // the RAM disk's page 1: blocks 8..15

    Outcome o = h.run(0, getLbaStatus(0, 1024)).assertGood();

    assertArrayEquals(hex("""
        00000034 00000000
        0000000000000000 00000008 01 000000
        0000000000000008 00000008 00 000000
        0000000000000010 000007f0 01 000000"""), o.data());
  }

  @Test
  void shouldStartAtTheRequestedLbaAndReturnWhatTheAllocationLengthHolds() {
    h.disk0.put(8 * LBS, pattern(8 * LBS, 9));
    assertArrayEquals(hex("00000014 00000000 000000000000000a 00000006 00 000000"),
        h.run(0, getLbaStatus(10, 24)).assertGood().data());
    assertArrayEquals(hex("00000014 00000000 0000"), h.run(0, getLbaStatus(10, 10)).assertGood().data(),
        "one descriptor, truncated");
    assertArrayEquals(new byte[0], h.run(0, getLbaStatus(10, 0)).assertGood().data());
  }

  @Test
  void shouldRejectAStartingLbaPastTheLastBlock() {
    h.run(0, getLbaStatus(2048, 24)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, getLbaStatus(0x8000000000000000L, 24)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, getLbaStatus(-1L, 24)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, getLbaStatus(2047, 24)).assertGood();
  }

  @Test
  void shouldSplitAnExtentLongerThanADescriptorCanCount() {
    h.disk3.provisioningSize = ((1L << 32) + 16) * LBS;
    assertArrayEquals(hex("""
        00000024 00000000
        0000000000000000 ffffffff 01 000000
        00000000ffffffff 00000011 01 000000"""), h.run(3, getLbaStatus(0, 64)).assertGood().data());
  }

  @Test
  void shouldReportAFullyProvisionedLunAsMapped() {
    assertArrayEquals(hex("00000014 00000000 0000000000000004 000000fc 00 000000"),
        h.run(1, getLbaStatus(4, 64)).assertGood().data());
  }

  // ---- SANITIZE ------------------------------------------------------------------------------

  @Test
  void shouldEraseTheWholeLunWithBlockErase() {
    h.disk0.put(0, pattern(16 * LBS, 10));
    h.disk0.put(2040 * LBS, pattern(8 * LBS, 11));
    h.run(0, sanitize(0x02, 0)).assertGood();
    assertEquals(1, h.disk0.unmaps.size());
    assertArrayEquals(new long[] {0, 2048L * LBS}, h.disk0.unmaps.get(0));
    assertArrayEquals(new byte[2048 * LBS], written(h.disk0, 0, 2048));
  }

  @Test
  void shouldRejectAParameterListReservedBitsAndServiceActionsItDoesNotDo() {
    h.run(0, sanitize(0x02, 8), new byte[8]).assertInvalidField(7, 7);
    h.run(0, sanitize(0x1F, 8), new byte[8]).assertInvalidField(7, 7);
    h.run(0, sanitize(0x42, 0)).assertInvalidField(1, 6);
    h.run(0, cdb(0x48, 0x02, 0, 0, 0x80, 0, 0, 0, 0, 0)).assertInvalidField(4, 7);
    for (int sa : new int[] {0x00, 0x01, 0x03, 0x04, 0x10, 0x1E}) h.run(0, sanitize(sa, 0)).assertInvalidField(1, 4);
    h.run(2, sanitize(0x02, 0)).assertCheck(SenseCode.WRITE_PROTECTED);
    assertTrue(h.disk0.unmaps.isEmpty());
  }

  @Test
  void shouldAnswerSanitizeInProgressUntilAnImmediateBlockEraseEnds() {
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(0, pending);

    h.run(0, sanitize(0x82, 0)).assertGood(); // IMMED: GOOD once the CDB is checked
    h.run(0, cdb(0x00, 0, 0, 0, 0, 0)).assertCheck(SenseCode.SANITIZE_IN_PROGRESS);
    h.run(0, ScsiHarness.rw10(0x28, 0, 0, 1)).assertCheck(SenseCode.SANITIZE_IN_PROGRESS);
    h.run(0, sanitize(0x02, 0)).assertCheck(SenseCode.SANITIZE_IN_PROGRESS);
    h.run(0, cdb(0x12, 0, 0, 0, 96, 0)).assertGood();                   // INQUIRY
    assertEquals(SenseCode.SANITIZE_IN_PROGRESS, SenseData.code(h.run(0, cdb(0x03, 0, 0, 0, 18, 0)).assertGood().data()));

    pending.completeAll();
    h.run(0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
    assertEquals(1, pending.ram.unmaps.size());
  }

  @Test
  void shouldEnterFailureModeWhenBlockEraseFailsAndLeaveItAsAuseAllows() {
    h.replaceIo(0, new FailingVDiskIo(VDiskIoException.Kind.WRITE_ERROR));
    h.run(0, sanitize(0x02, 0)).assertCheck(SenseCode.WRITE_ERROR);          // AUSE = 0
    h.run(0, cdb(0x00, 0, 0, 0, 0, 0)).assertCheck(SenseCode.SANITIZE_COMMAND_FAILED);
    h.run(0, sanitize(0x1F, 0)).assertInvalidField(1, 4);                   // restricted: no exit

    h.run(0, sanitize(0x22, 0)).assertCheck(SenseCode.WRITE_ERROR);          // AUSE = 1, fails again
    h.run(0, ScsiHarness.rw10(0x28, 0, 0, 1)).assertCheck(SenseCode.SANITIZE_COMMAND_FAILED);
    h.run(0, sanitize(0x1F, 0)).assertGood();                                // unrestricted: exit
    h.replaceIo(0, h.disk0);
    h.run(0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
    h.run(0, sanitize(0x1F, 0)).assertGood();                                // nothing to exit
  }

  // ---- READ DEFECT DATA ----------------------------------------------------------------------

  @Test
  void shouldReturnEmptyValidDefectListsInTheRequestedFormat() {
    assertArrayEquals(hex("00 18 0000"), h.run(0, cdb(0x37, 0, 0x18, 0, 0, 0, 0, 0, 32, 0)).assertGood().data());
    assertArrayEquals(hex("00 05 0000"), h.run(0, cdb(0x37, 0, 0x05, 0, 0, 0, 0, 0, 32, 0)).assertGood().data());
    assertArrayEquals(hex("00 1d 0000 00000000"),
        h.run(0, cdb(0xB7, 0x1D, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0)).assertGood().data());
    assertArrayEquals(hex("00 10"), h.run(0, cdb(0xB7, 0x10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0)).assertGood().data());
  }

  @Test
  void shouldRejectTheReservedDefectListFormat() {
    h.run(0, cdb(0x37, 0, 0x07, 0, 0, 0, 0, 0, 32, 0)).assertInvalidField(2, 2);
    h.run(0, cdb(0xB7, 0x0F, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0)).assertInvalidField(1, 2);
    h.run(0, cdb(0x37, 0x01, 0x00, 0, 0, 0, 0, 0, 32, 0)).assertInvalidField(1, 0);
  }

  @Test
  void shouldNotBlockOtherNexusesCommandsThatRunForAnyLunDuringSanitize() {
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(0, pending);
    h.run(0, sanitize(0x82, 0)).assertGood();
    h.run(ScsiHarness.B, 0, cdb(0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0)).assertGood(); // REPORT LUNS
    h.run(ScsiHarness.B, 1, cdb(0x00, 0, 0, 0, 0, 0)).assertGood(); // another LUN is not sanitizing
    pending.completeAll();
    h.run(A, 0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
  }
}
