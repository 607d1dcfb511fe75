package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.pattern;
import static io.cairn.datapath.scsi.ScsiHarness.rw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.vdisk.VDiskIoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VerifySyncStartTest {

  private static final int LBS = 512;
  private final ScsiHarness h = new ScsiHarness();

  static int verifyOpcode(int size) {
    return switch (size) { case 10 -> 0x2F; case 12 -> 0xAF; default -> 0x8F; };
  }

  private static byte[] verify(int size, int bytchk, long lba, int blocks) {
    return rw(size, verifyOpcode(size), bytchk << 1, lba, blocks);
  }

  @ParameterizedTest(name = "VERIFY({0})")
  @ValueSource(ints = {10, 12, 16})
  void shouldVerifyReadableMediumWithoutDataOut(int size) {
    h.run(0, verify(size, 0, 0, 8)).assertGood();

    assertEquals(1, h.disk0.reads.get());
    h.assertNoBufferLeft();
  }

  @ParameterizedTest(name = "VERIFY({0})")
  @ValueSource(ints = {10, 12, 16})
  void shouldCompareDataOutWithMediumWhenBytchkIsOne(int size) {
    byte[] data = pattern(4 * LBS, 1);
    h.disk0.put(10L * LBS, data);

    Outcome o = h.run(0, verify(size, 1, 10, 4), data).assertGood();

    assertEquals(4 * LBS, o.transferLength());
    h.assertNoBufferLeft();
  }

  @ParameterizedTest(name = "VERIFY({0})")
  @ValueSource(ints = {10, 12, 16})
  void shouldReportOffsetOfFirstMiscompare(int size) {
    byte[] data = pattern(4 * LBS, 2);
    h.disk0.put(0, data);
    byte[] sent = data.clone();
    sent[1234] ^= 0x58;
    sent[1500] ^= 0x01;

    Outcome o = h.run(0, verify(size, 1, 0, 4), sent).assertCheck(SenseCode.MISCOMPARE_DURING_VERIFY);

    assertTrue(SenseData.informationValid(o.sense()));
    assertEquals(1234, SenseData.information(o.sense()));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldCompareOneBlockAgainstEveryBlockWhenBytchkIsThree() {
    byte[] block = pattern(LBS, 3);
    for (int i = 0; i < 3; i++) h.disk0.put((long) (20 + i) * LBS, block);

    h.run(0, verify(10, 3, 20, 3), block).assertGood();
    h.disk0.put(22L * LBS + 7, new byte[] {(byte) (block[7] + 1)});
    Outcome o = h.run(0, verify(10, 3, 20, 3), block).assertCheck(SenseCode.MISCOMPARE_DURING_VERIFY);

    assertEquals(2L * LBS + 7, SenseData.information(o.sense()));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRejectReservedBytchkValue() {
    h.run(0, verify(10, 2, 0, 1)).assertInvalidField(1, 2);
  }

  @ParameterizedTest(name = "VERIFY({0})")
  @ValueSource(ints = {10, 12, 16})
  void shouldRejectVerifyProtect(int size) {
    h.run(0, rw(size, verifyOpcode(size), 0x20, 0, 1)).assertInvalidField(1, 7);
  }

  @ParameterizedTest(name = "VERIFY({0})")
  @ValueSource(ints = {10, 12, 16})
  void shouldRejectVerifyBeyondTheEnd(int size) {
    h.run(0, verify(size, 0, 2047, 1)).assertGood();
    h.run(0, verify(size, 0, 2047, 2)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, verify(size, 1, 2048, 1), new byte[LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.assertNoBufferLeft();
  }

  @Test
  void shouldVerifyNothingForZeroLength() {
    h.run(0, verify(10, 1, 0, 0)).assertGood();
    assertEquals(0, h.disk0.reads.get());
  }

  @Test
  void shouldRejectCompareWithTooLittleDataOut() {
    Outcome o = h.run(A, 0, verify(10, 1, 0, 2), new byte[LBS], LBS).assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);

    assertEquals(2 * LBS, o.transferLength());
    assertEquals(0, h.disk0.reads.get());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldReportUnrecoveredReadErrorWhenVerifyingBadMedium() {
    h.replaceIo(0, new FailingVDiskIo(VDiskIoException.Kind.UNRECOVERED_READ_ERROR));

    h.run(0, verify(16, 1, 0, 1), new byte[LBS]).assertCheck(SenseCode.UNRECOVERED_READ_ERROR);
    h.assertNoBufferLeft();
  }

  @Test
  void shouldFlushOnSynchronizeCache() {
    h.run(0, cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0)).assertGood();
    h.run(0, cdb(0x91, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0)).assertGood();

    assertEquals(2, h.disk0.flushes.get());
  }

  @Test
  void shouldRangeCheckSynchronizeCache() {
    h.run(0, cdb(0x35, 0, 0, 0, 0x07, 0xFF, 0, 0, 1, 0)).assertGood();
    h.run(0, cdb(0x35, 0, 0, 0, 0x07, 0xFF, 0, 0, 2, 0)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, cdb(0x35, 0, 0, 0, 0x08, 0x00, 0, 0, 0, 0)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, cdb(0x91, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0, 0)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);

    assertEquals(1, h.disk0.flushes.get());
  }

  @Test
  void shouldAcceptStartStopUnitWithoutEjecting() {
    h.run(0, cdb(0x1B, 0x01, 0, 0, 0x00, 0)).assertGood();
    h.run(0, cdb(0x1B, 0x00, 0, 0, 0x01, 0)).assertGood();
    h.run(0, cdb(0x1B, 0x00, 0, 0, 0x04, 0)).assertGood();
    h.run(0, cdb(0x1B, 0x00, 0, 0, 0x30, 0)).assertGood();

    h.run(0, cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
  }

  @Test
  void shouldRefuseToEjectANonRemovableMedium() {
    h.run(0, cdb(0x1B, 0x01, 0, 0, 0x02, 0)).assertInvalidField(4, 1);
    h.run(0, cdb(0x1B, 0x00, 0, 0, 0x03, 0)).assertInvalidField(4, 1);
  }

  @Test
  void shouldRejectReservedPowerCondition() {
    h.run(0, cdb(0x1B, 0, 0, 0, 0x40, 0)).assertInvalidField(4, 7);
    h.run(0, cdb(0x1B, 0, 0, 0, 0x08, 0)).assertInvalidField(4, 3);
  }
}
