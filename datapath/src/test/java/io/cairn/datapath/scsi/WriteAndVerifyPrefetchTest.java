package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.pattern;
import static io.cairn.datapath.scsi.ScsiHarness.rw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WriteAndVerifyPrefetchTest {

  private static final int LBS = 512;
  private final ScsiHarness h = new ScsiHarness();

  static int writeAndVerifyOpcode(int size) {
    return switch (size) { case 10 -> 0x2E; case 12 -> 0xAE; default -> 0x8E; };
  }

  private static byte[] writeAndVerify(int size, int bytchk, long lba, int blocks) {
    return rw(size, writeAndVerifyOpcode(size), bytchk << 1, lba, blocks);
  }

  @ParameterizedTest(name = "WRITE AND VERIFY({0})")
  @ValueSource(ints = {10, 12, 16})
  void shouldWriteThenReadBackTheBlocks(int size) {
    byte[] data = pattern(3 * LBS, size);

    Outcome o = h.run(0, writeAndVerify(size, 0, 40, 3), data).assertGood();

    assertEquals(3 * LBS, o.transferLength());
    assertArrayEquals(data, h.disk0.bytes(40L * LBS, data.length));
    assertEquals(1, h.disk0.writes.get());
    assertEquals(1, h.disk0.reads.get());
    h.assertNoBufferLeft();
  }

  @ParameterizedTest(name = "WRITE AND VERIFY({0})")
  @ValueSource(ints = {10, 12, 16})
  void shouldCompareWhatWasWrittenWithBytchk(int size) {
    byte[] data = pattern(2 * LBS, 4);

    h.run(0, writeAndVerify(size, 1, 0, 2), data).assertGood();

    assertArrayEquals(data, h.disk0.bytes(0, data.length));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldReportMiscompareWhenTheMediumDoesNotHoldWhatWasWritten() {
    RamVDiskIo lossy = new RamVDiskIo() {
      @Override
      public synchronized CompletableFuture<Void> write(long offset, ByteBuf data) {
        data.setByte(data.readerIndex() + 700, data.getByte(data.readerIndex() + 700) ^ 0x20);
        return super.write(offset, data);
      }
    };
    h.replaceIo(0, lossy);

    Outcome o = h.run(0, writeAndVerify(10, 1, 0, 2), pattern(2 * LBS, 5)).assertCheck(SenseCode.MISCOMPARE_DURING_VERIFY);

    assertEquals(700, SenseData.information(o.sense()));
    org.junit.jupiter.api.Assertions.assertTrue(lossy.allReadBuffersReleased());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRefuseWriteAndVerifyOnReadOnlyLunAndPastTheEnd() {
    h.run(2, writeAndVerify(10, 0, 0, 1), new byte[LBS]).assertCheck(SenseCode.WRITE_PROTECTED);
    h.run(0, writeAndVerify(16, 0, 2047, 2), new byte[2 * LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, writeAndVerify(12, 0, 0, 1).clone(), new byte[LBS]).assertGood();
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRejectReservedBytchkAndWrprotect() {
    h.run(0, writeAndVerify(10, 2, 0, 1), new byte[LBS]).assertInvalidField(1, 2);
    h.run(0, writeAndVerify(10, 3, 0, 1), new byte[LBS]).assertInvalidField(1, 2);
    h.run(0, rw(16, 0x8E, 0x40, 0, 1), new byte[LBS]).assertInvalidField(1, 7);
    h.assertNoBufferLeft();
  }

  @Test
  void shouldWriteNothingForZeroLengthWriteAndVerify() {
    h.run(0, writeAndVerify(10, 1, 0, 0)).assertGood();

    assertEquals(0, h.disk0.writes.get() + h.disk0.reads.get());
  }

  @Test
  void shouldReportWriteErrorOfWriteAndVerify() {
    VDiskIo failing = new FailingVDiskIo(VDiskIoException.Kind.WRITE_ERROR);
    h.replaceIo(0, failing);

    h.run(0, writeAndVerify(10, 1, 0, 1), new byte[LBS]).assertCheck(SenseCode.WRITE_ERROR);
    h.assertNoBufferLeft();
  }

  @Test
  void shouldWriteWholeBlocksOfShortDataOutAndVerifyThem() {
    byte[] sent = pattern(LBS, 6);

    Outcome o = h.run(A, 0, writeAndVerify(10, 1, 0, 2), sent, LBS).assertGood();

    assertEquals(2 * LBS, o.transferLength());
    assertArrayEquals(sent, h.disk0.bytes(0, LBS));
    assertArrayEquals(new byte[LBS], h.disk0.bytes(LBS, LBS));
    h.assertNoBufferLeft();
  }

  private static byte[] preFetch10(int flags, long lba, int blocks) {
    return rw(10, 0x34, flags, lba, blocks);
  }

  @Test
  void shouldAnswerPreFetchWithGoodWithoutIo() {
    h.run(0, preFetch10(0x00, 0, 8)).assertGood();
    h.run(0, preFetch10(0x02, 2047, 1)).assertGood();
    byte[] grouped = preFetch10(0, 0, 1);
    grouped[6] = 3;
    h.run(0, grouped).assertGood();
    h.run(0, rw(16, 0x90, 0x02, 0, 0)).assertGood();

    assertEquals(0, h.disk0.reads.get());
  }

  @Test
  void shouldRangeCheckPreFetch() {
    h.run(0, preFetch10(0, 2047, 2)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, preFetch10(0, 2048, 0)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, rw(16, 0x90, 0, -1L, 1)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, preFetch10(0x01, 0, 1)).assertInvalidField(1, 0);
  }
}
