package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.concat;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadCapacityTest {

  private final ScsiHarness h = new ScsiHarness();

  private static byte[] readCapacity10(long lba, int pmi) {
    return cdb(0x25, 0, (int) (lba >> 24) & 0xFF, (int) (lba >> 16) & 0xFF, (int) (lba >> 8) & 0xFF, (int) lba & 0xFF, 0, 0, pmi, 0);
  }

  private static byte[] readCapacity16(int allocation) {
    return cdb(0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, allocation >>> 24, (allocation >> 16) & 0xFF, (allocation >> 8) & 0xFF, allocation & 0xFF, 0, 0);
  }

  @Test
  void shouldReportLastLbaAndBlockLengthInReadCapacity10() {
    assertArrayEquals(hex("000007ff 00000200"), h.run(0, readCapacity10(0, 0)).assertGood().data());
    assertArrayEquals(hex("000000ff 00001000"), h.run(1, readCapacity10(0, 0)).assertGood().data());
  }

  @Test
  void shouldReportAllOnesInReadCapacity10WhenLastLbaDoesNotFit() {
    assertArrayEquals(hex("ffffffff 00000200"), h.run(3, readCapacity10(0, 0)).assertGood().data());
  }

  @Test
  void shouldRejectLbaWithoutPmiInReadCapacity10() {
    h.run(0, readCapacity10(5, 0)).assertInvalidField(2, 7);
  }

  @Test
  void shouldAcceptLbaWithPmiInReadCapacity10() {
    assertArrayEquals(hex("000007ff 00000200"), h.run(0, readCapacity10(5, 1)).assertGood().data());
  }

  @Test
  void shouldRejectObsoleteReladrBit() {
    h.run(0, cdb(0x25, 0x01, 0, 0, 0, 0, 0, 0, 0, 0)).assertInvalidField(1, 0);
  }

  @Test
  void shouldReportPhysicalBlockExponentAndThinProvisioningInReadCapacity16() {
    // byte 14: LBPME (a thin vDisk) and LBPRZ (its deallocated blocks read zeros)
    byte[] expected = concat(hex("00000000000007ff 00000200 00 03 c000"), new byte[16]);

    assertArrayEquals(expected, h.run(0, readCapacity16(32)).assertGood().data());
  }

  @Test
  void shouldReportFullLastLbaInReadCapacity16() {
    byte[] expected = concat(hex("000000010000000f 00000200 00 00 c000"), new byte[16]);

    assertArrayEquals(expected, h.run(3, readCapacity16(32)).assertGood().data());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 8, 12, 15, 16, 31, 32, 96, 65536})
  void shouldTruncateReadCapacity16ToAllocationLength(int allocation) {
    byte[] full = concat(hex("00000000000000ff 00001000 00 00 0000"), new byte[16]);

    assertArrayEquals(Arrays.copyOf(full, Math.min(32, allocation)), h.run(1, readCapacity16(allocation)).assertGood().data());
  }

  @Test
  void shouldRejectUnknownServiceActionOfServiceActionIn16() {
    // 10h is READ CAPACITY(16) and 12h GET LBA STATUS; 13h is not implemented
    h.run(0, cdb(0x9E, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0)).assertInvalidField(1, 4);
  }
}
