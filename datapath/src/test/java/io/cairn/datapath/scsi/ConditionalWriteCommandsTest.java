package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.concat;
import static io.cairn.datapath.scsi.ScsiHarness.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** COMPARE AND WRITE, ORWRITE(16) and WRITE ATOMIC(16): their checks, sense data and what reached the vDisk. */
class ConditionalWriteCommandsTest {

  private static final int LBS = 512;
  private final ScsiHarness h = new ScsiHarness();

  static byte[] caw(int flags, long lba, int blocks) {
    byte[] c = ScsiHarness.rw16(0x89, flags, lba, 0);
    c[13] = (byte) blocks;
    return c;
  }

  static byte[] orwrite(int flags, long lba, long blocks) {
    return ScsiHarness.rw16(0x8B, flags, lba, blocks);
  }

  static byte[] writeAtomic(int flags, long lba, int blocks, int boundary) {
    byte[] c = ScsiHarness.rw16(0x9C, flags, lba, 0);
    c[10] = (byte) (boundary >> 8);
    c[11] = (byte) boundary;
    c[12] = (byte) (blocks >> 8);
    c[13] = (byte) blocks;
    return c;
  }

  // ---- COMPARE AND WRITE ---------------------------------------------------------------------

  @Test
  void shouldWriteWhenTheVerifyDataMatches() {
    byte[] old = pattern(2 * LBS, 1);
    byte[] neu = pattern(2 * LBS, 2);
    h.disk0.put(4 * LBS, old);

    Outcome o = h.run(0, caw(0x18, 4, 2), concat(old, neu)).assertGood(); // DPO and FUA accepted

    assertEquals(4 * LBS, o.transferLength());
    assertArrayEquals(neu, h.disk0.bytes(4 * LBS, 2 * LBS));
    assertEquals(1, h.disk0.compareAndWrites.get());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldReportMiscompareWithTheOffsetOfTheFirstDifferenceAndWriteNothing() {
    byte[] old = pattern(3 * LBS, 3);
    h.disk0.put(0, old);
    byte[] verify = old.clone();
    verify[LBS + 77] ^= 0x10;
    verify[2 * LBS] ^= 0x01;

    Outcome o = h.run(0, caw(0, 0, 3), concat(verify, pattern(3 * LBS, 4))).assertCheck(SenseCode.MISCOMPARE_DURING_VERIFY);

    assertTrue(SenseData.informationValid(o.sense()));
    assertEquals(LBS + 77, SenseData.information(o.sense()));
    assertArrayEquals(old, h.disk0.bytes(0, 3 * LBS));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldTreatZeroBlocksAsNoOperationButRejectDataOutThatDoesNotFit() {
    h.run(0, caw(0, 0, 0)).assertGood();
    // 0 blocks (e.g. 256 wrapped to a byte) with Data-Out: the Data-Out does not fit the CDB
    h.run(0, caw(0, 0, 0), new byte[2 * LBS]).assertInvalidField(13, 7);
    h.run(0, caw(0, 0, 1), new byte[4 * LBS]).assertInvalidField(13, 7);
    h.run(0, caw(0, 0, 3), new byte[4 * LBS]).assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
    assertEquals(0, h.disk0.compareAndWrites.get());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldCheckProtectionWriteProtectAndRangeBeforeAnyIo() {
    h.run(0, caw(0x20, 0, 1), new byte[2 * LBS]).assertInvalidField(1, 7);
    h.run(0, caw(0x04, 0, 1), new byte[2 * LBS]).assertInvalidField(1, 2);
    h.run(2, caw(0, 0, 1), new byte[2 * LBS]).assertCheck(SenseCode.WRITE_PROTECTED);
    h.run(0, caw(0, 2047, 2), new byte[4 * LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, caw(0, -1L, 1), new byte[2 * LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    assertEquals(0, h.disk0.compareAndWrites.get());
    h.assertNoBufferLeft();
  }

  // ---- ORWRITE -------------------------------------------------------------------------------

  @Test
  void shouldOrTheDataOutIntoTheBlocks() {
    byte[] a5 = new byte[4 * LBS];
    Arrays.fill(a5, (byte) 0xA5);
    byte[] x5a = new byte[4 * LBS];
    Arrays.fill(x5a, (byte) 0x5A);
    h.run(0, orwrite(0x18, 10, 4), a5).assertGood();
    assertArrayEquals(a5, h.disk0.bytes(10 * LBS, 4 * LBS));
    h.run(0, orwrite(0, 10, 4), x5a).assertGood();
    byte[] ff = new byte[4 * LBS];
    Arrays.fill(ff, (byte) 0xFF);
    assertArrayEquals(ff, h.disk0.bytes(10 * LBS, 4 * LBS));
    assertEquals(2, h.disk0.compareAndWrites.get(), "each ORWRITE is one compare-and-write of what it read");
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRetryWhenAnotherWriteChangedTheRangeBetweenTheReadAndTheCompare() {
    AtomicInteger interfere = new AtomicInteger(2);
    RamVDiskIo racy = new RamVDiskIo() {
      @Override
      public synchronized CompletableFuture<Long> compareAndWrite(long offset, ByteBuf compare, ByteBuf data) {
        if (interfere.getAndDecrement() > 0) put(offset, new byte[] {(byte) (0x01 << interfere.get())}); // a racing writer
        return super.compareAndWrite(offset, compare, data);
      }
    };
    h.replaceIo(0, racy);
    byte[] mask = new byte[LBS];
    mask[0] = (byte) 0x80;
    h.run(0, orwrite(0, 0, 1), mask).assertGood();
    assertEquals(3, racy.compareAndWrites.get());
    assertEquals((byte) 0x81, racy.bytes(0, 1)[0], "the OR applied to what the last racing write left");
  }

  @Test
  void shouldCheckOrwriteLikeAWrite() {
    h.run(0, orwrite(0, 0, 0)).assertGood();
    h.run(0, orwrite(0, 2049, 0)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, orwrite(0, 0x8000000000000000L, 0)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    for (int protect = 1; protect < 8; protect++) h.run(0, orwrite(protect << 5, 0, 1), new byte[LBS]).assertInvalidField(1, 7);
    h.run(2, orwrite(0, 0, 1), new byte[LBS]).assertCheck(SenseCode.WRITE_PROTECTED);
    h.run(0, orwrite(0, 0, 1 << 16), new byte[LBS]).assertInvalidField(10, 7); // beyond MAXIMUM TRANSFER LENGTH
    h.assertNoBufferLeft();
  }

  // ---- WRITE ATOMIC --------------------------------------------------------------------------

  @Test
  void shouldWriteAtomicallyUpToTheMaximumAtomicTransferLength() {
    byte[] data = pattern(2048 * LBS, 5); // 1 MiB: the most
    h.run(0, writeAtomic(0x18, 0, 2048, 0), data).assertGood();
    assertArrayEquals(data, h.disk0.bytes(0, data.length));
    assertEquals(1, h.disk0.atomicWrites.get());
    h.run(3, writeAtomic(0, 0, 2049, 0), new byte[2049 * LBS]).assertInvalidField(12, 7);
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRejectAtomicBoundariesProtectionAndRangesPastTheEnd() {
    h.run(0, writeAtomic(0, 0, 1, 1), new byte[LBS]).assertInvalidField(11, 0);
    for (int protect = 1; protect < 8; protect++) h.run(0, writeAtomic(protect << 5, 0, 1, 0), new byte[LBS]).assertInvalidField(1, 7);
    h.run(0, writeAtomic(0, 2047, 2, 0), new byte[2 * LBS]).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, writeAtomic(0, 0, 0, 0)).assertGood();
    h.run(0, writeAtomic(0, 2049, 0, 0)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.run(0, writeAtomic(0, 0, 4, 0), new byte[2 * LBS]).assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
    assertEquals(0, h.disk0.atomicWrites.get());
    h.assertNoBufferLeft();
  }
}
