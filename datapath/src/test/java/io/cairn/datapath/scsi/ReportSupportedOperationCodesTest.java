package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReportSupportedOperationCodesTest {

  /** Every opcode/service action the table implements, ascending. */
  private static final int[][] COMMANDS = {
    {0x00, -1, 6}, {0x03, -1, 6}, {0x08, -1, 6}, {0x0A, -1, 6}, {0x12, -1, 6}, {0x15, -1, 6}, {0x16, -1, 6},
    {0x17, -1, 6}, {0x1A, -1, 6},
    {0x1B, -1, 6}, {0x25, -1, 10}, {0x28, -1, 10}, {0x2A, -1, 10}, {0x2E, -1, 10}, {0x2F, -1, 10},
    {0x34, -1, 10}, {0x35, -1, 10}, {0x37, -1, 10}, {0x41, -1, 10}, {0x42, -1, 10}, {0x48, 0x02, 10},
    {0x48, 0x1F, 10}, {0x55, -1, 10}, {0x56, -1, 10}, {0x57, -1, 10}, {0x5A, -1, 10},
    {0x5E, 0x00, 10}, {0x5E, 0x01, 10}, {0x5E, 0x02, 10}, {0x5E, 0x03, 10},
    {0x5F, 0x00, 10}, {0x5F, 0x01, 10}, {0x5F, 0x02, 10}, {0x5F, 0x03, 10}, {0x5F, 0x04, 10}, {0x5F, 0x05, 10},
    {0x5F, 0x06, 10}, {0x5F, 0x07, 10},
    {0x83, 0x00, 16}, {0x83, 0x01, 16}, {0x84, 0x00, 16}, {0x84, 0x01, 16}, {0x84, 0x03, 16}, {0x84, 0x04, 16}, {0x84, 0x05, 16},
    {0x88, -1, 16}, {0x89, -1, 16}, {0x8A, -1, 16}, {0x8B, -1, 16},
    {0x8E, -1, 16}, {0x8F, -1, 16}, {0x90, -1, 16}, {0x91, -1, 16}, {0x93, -1, 16}, {0x9C, -1, 16},
    {0x9E, 0x10, 16}, {0x9E, 0x12, 16}, {0xA0, -1, 12},
    {0xA3, 0x0A, 12}, {0xA3, 0x0C, 12}, {0xA8, -1, 12}, {0xAA, -1, 12}, {0xAE, -1, 12}, {0xAF, -1, 12}, {0xB7, -1, 12},
  };

  private final ScsiHarness h = new ScsiHarness();

  private static byte[] rsoc(int rctdAndOptions, int opcode, int serviceAction, int allocation) {
    return cdb(0xA3, 0x0C, rctdAndOptions, opcode, serviceAction >> 8, serviceAction & 0xFF,
        allocation >>> 24, (allocation >> 16) & 0xFF, (allocation >> 8) & 0xFF, allocation & 0xFF, 0, 0);
  }

  @Test
  void shouldListEveryImplementedCommand() {
    byte[] d = h.run(0, rsoc(0, 0, 0, 65535)).assertGood().data();

    assertEquals(4 + 8 * COMMANDS.length, d.length);
    assertArrayEquals(hex(String.format("%08x", 8 * COMMANDS.length)), Arrays.copyOf(d, 4));
    for (int i = 0; i < COMMANDS.length; i++) {
      int[] c = COMMANDS[i];
      byte[] expected = cdb(c[0], 0, 0, Math.max(c[1], 0), 0, c[1] >= 0 ? 0x01 : 0x00, 0, c[2]);
      assertArrayEquals(expected, Arrays.copyOfRange(d, 4 + 8 * i, 12 + 8 * i), "descriptor " + i);
    }
  }

  @Test
  void shouldReportUsageDataOfOneCommandWithDpoAndFua() {
    byte[] d = h.run(0, rsoc(0x01, 0x28, 0, 65535)).assertGood().data();

    assertArrayEquals(hex("00 03 000a 28 1a ffffffff 3f ffff 00"), d);
  }

  @Test
  void shouldReportUsageDataOfOneServiceActionWithItsServiceActionValue() {
    byte[] d = h.run(0, rsoc(0x02, 0x9E, 0x10, 65535)).assertGood().data();

    assertArrayEquals(hex("00 03 0010 9e 10 ffffffffffffffff ffffffff 01 00"), d);
  }

  @Test
  void shouldReportUnsupportedCommandAsNotSupported() {
    assertArrayEquals(hex("00 01 0000"), h.run(0, rsoc(0x01, 0xC0, 0, 65535)).assertGood().data());
    assertArrayEquals(hex("00 01 0000"), h.run(0, rsoc(0x02, 0x9E, 0x13, 65535)).assertGood().data());
  }

  @Test
  void shouldRejectTheWrongReportingOptionForTheOpcode() {
    h.run(0, rsoc(0x01, 0x9E, 0, 65535)).assertInvalidField(3, 7);
    h.run(0, rsoc(0x02, 0x28, 0, 65535)).assertInvalidField(3, 7);
    h.run(0, rsoc(0x03, 0x28, 0, 65535)).assertInvalidField(2, 2);
  }

  @Test
  void shouldAppendCommandTimeoutsDescriptorsWithRctd() {
    byte[] all = h.run(0, rsoc(0x80, 0, 0, 65535)).assertGood().data();
    byte[] one = h.run(0, rsoc(0x81, 0x28, 0, 65535)).assertGood().data();

    assertEquals(4 + 20 * COMMANDS.length, all.length);
    // READ(10) is the 12th command (index 11): CTDP set, then a 12-byte timeouts descriptor (30 s recommended)
    assertArrayEquals(hex("28 00 0000 00 02 000a 000a 00 00 00000000 0000001e"), Arrays.copyOfRange(all, 4 + 20 * 11, 24 + 20 * 11));
    assertArrayEquals(hex("00 83 000a 28 1a ffffffff 3f ffff 00 000a 00 00 00000000 0000001e"), one);
  }

  @Test
  void shouldReportUsageDataOfTheDataCommands() {
    // WRITE SAME(16): UNMAP and NDOB; COMPARE AND WRITE: DPO, FUA, FUA_NV, NUMBER OF LOGICAL BLOCKS;
    // WRITE ATOMIC(16): DPO, FUA, no ATOMIC BOUNDARY; UNMAP: no ANCHOR; SANITIZE: IMMED, AUSE
    assertArrayEquals(hex("00 03 0010 93 09 ffffffffffffffff ffffffff 3f 00"), h.run(0, rsoc(0x01, 0x93, 0, 65535)).assertGood().data());
    assertArrayEquals(hex("00 03 0010 89 1a ffffffffffffffff 000000 ff 3f 00"), h.run(0, rsoc(0x01, 0x89, 0, 65535)).assertGood().data());
    assertArrayEquals(hex("00 03 0010 9c 18 ffffffffffffffff 0000 ffff 3f 00"), h.run(0, rsoc(0x01, 0x9C, 0, 65535)).assertGood().data());
    assertArrayEquals(hex("00 03 000a 42 00 00000000 3f ffff 00"), h.run(0, rsoc(0x01, 0x42, 0, 65535)).assertGood().data());
    assertArrayEquals(hex("00 03 000a 48 a2 0000000000 ffff 00"), h.run(0, rsoc(0x02, 0x48, 0x02, 65535)).assertGood().data());
    assertArrayEquals(hex("00 01 0000"), h.run(0, rsoc(0x02, 0x48, 0x01, 65535)).assertGood().data(), "no OVERWRITE");
  }

  @Test
  void shouldTruncateToAllocationLength() {
    assertArrayEquals(hex("00 03 000a 28 1a"), h.run(0, rsoc(0x01, 0x28, 0, 6)).assertGood().data());
  }
}
