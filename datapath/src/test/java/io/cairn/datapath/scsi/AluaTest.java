package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Implicit ALUA: INQUIRY TPGS and REPORT TARGET PORT GROUPS (SPC-4 5.16, 6.36). */
class AluaTest {

  private static final ItNexus PATH_2 = new ItNexus(ScsiHarness.A.initiatorName(), ScsiHarness.A.isid(), ScsiHarness.IQN, 2);

  private static byte[] rtpg(int format, int allocation) {
    return cdb(0xA3, (format << 5) | 0x0A, 0, 0, 0, 0, allocation >>> 24, (allocation >>> 16) & 0xFF,
        (allocation >>> 8) & 0xFF, allocation & 0xFF, 0, 0);
  }

  @Test
  void shouldReportImplicitAluaInStandardInquiry() {
    byte[] d = new ScsiHarness().run(0, cdb(0x12, 0, 0, 0, 96, 0)).assertGood().data();

    assertEquals(0x10, d[5] & 0x30, "TPGS = 01b");
  }

  @Test
  void shouldReportEveryPortalGroupOfTheNodeActiveOptimized() {
    ScsiHarness h = new ScsiHarness(ScsiSettings.DEFAULT, List.of(2, 1));

    byte[] d = h.run(PATH_2, 0, rtpg(0, 1024)).assertGood().data();

    assertArrayEquals(hex("00000018"
        + "00 01 0001 00 00 00 01 0000 0001"
        + "00 01 0002 00 00 00 01 0000 0002"), d);
  }

  @Test
  void shouldAddTheExtendedHeaderForParameterDataFormat001() {
    ScsiHarness h = new ScsiHarness(ScsiSettings.DEFAULT, List.of(1));

    byte[] d = h.run(ScsiHarness.A, 1, rtpg(1, 1024)).assertGood().data();

    assertArrayEquals(hex("00000010 10 00 0000" + "00 01 0001 00 00 00 01 0000 0001"), d);
  }

  @Test
  void shouldReportThePathsOwnGroupWhenTheNodeListsNone() {
    byte[] d = new ScsiHarness().run(PATH_2, 0, rtpg(0, 1024)).assertGood().data();

    assertArrayEquals(hex("0000000c 00 01 0002 00 00 00 01 0000 0002"), d);
  }

  @Test
  void shouldTruncateToTheAllocationLength() {
    ScsiHarness h = new ScsiHarness(ScsiSettings.DEFAULT, List.of(1, 2));

    byte[] d = h.run(ScsiHarness.A, 0, rtpg(0, 6)).assertGood().data();

    assertArrayEquals(hex("00000018 0001"), d);
    assertEquals(6, Arrays.copyOf(d, 6).length);
  }

  @Test
  void shouldRejectAReservedParameterDataFormat() {
    new ScsiHarness().run(0, rtpg(2, 1024)).assertInvalidField(1, 7);
  }
}
