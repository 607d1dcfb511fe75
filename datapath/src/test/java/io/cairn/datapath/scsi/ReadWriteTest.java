package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.pattern;
import static io.cairn.datapath.scsi.ScsiHarness.rw;
import static io.cairn.datapath.scsi.ScsiHarness.rw10;
import static io.cairn.datapath.scsi.ScsiHarness.rw12;
import static io.cairn.datapath.scsi.ScsiHarness.rw16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.vdisk.VDiskIoException;
import java.util.Arrays;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ReadWriteTest {

  private static final int LBS = 512;
  private static final long BLOCKS = 2048;

  private final ScsiHarness h = new ScsiHarness();

  static int readOpcode(int size) {
    return switch (size) { case 6 -> 0x08; case 10 -> 0x28; case 12 -> 0xA8; default -> 0x88; };
  }

  static int writeOpcode(int size) {
    return switch (size) { case 6 -> 0x0A; case 10 -> 0x2A; case 12 -> 0xAA; default -> 0x8A; };
  }

  private Outcome write(int size, long lba, int blocks, byte[] data) {
    return h.run(0, rw(size, writeOpcode(size), 0, lba, blocks), data);
  }

  private Outcome read(int size, long lba, int blocks) {
    return h.run(0, rw(size, readOpcode(size), 0, lba, blocks));
  }

  @ParameterizedTest(name = "{0}-byte CDB")
  @ValueSource(ints = {6, 10, 12, 16})
  void shouldReadBackWhatWasWritten(int size) {
    byte[] data = pattern(5 * LBS, size);

    Outcome w = write(size, 100, 5, data).assertGood();
    Outcome r = read(size, 100, 5).assertGood();

    assertEquals(5 * LBS, w.transferLength());
    assertArrayEquals(data, r.data());
    assertArrayEquals(data, h.disk0.bytes(100L * LBS, data.length));
    assertArrayEquals(new byte[LBS], h.disk0.bytes(99L * LBS, LBS));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldAddressFourKibBlocksByLogicalBlockSize() {
    byte[] data = pattern(2 * 4096, 9);

    h.run(1, rw10(0x2A, 0, 254, 2), data).assertGood();

    assertArrayEquals(data, h.disk1.bytes(254L * 4096, data.length));
    assertArrayEquals(data, h.run(1, rw10(0x28, 0, 254, 2)).assertGood().data());
    h.assertNoBufferLeft();
  }

  @ParameterizedTest(name = "{0}-byte CDB")
  @ValueSource(ints = {6, 10, 12, 16})
  void shouldAcceptTheLastBlockAndRejectOnePastIt(int size) {
    write(size, BLOCKS - 1, 1, pattern(LBS, 1)).assertGood();
    read(size, BLOCKS - 1, 1).assertGood();

    read(size, BLOCKS, 1).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    read(size, BLOCKS - 1, 2).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    write(size, BLOCKS, 1, pattern(LBS, 1)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    write(size, BLOCKS - 1, 2, pattern(2 * LBS, 1)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.assertNoBufferLeft();
  }

  static Stream<Arguments> overflowingRanges() {
    return Stream.of(
        Arguments.of("READ(16) LBA 2^64-1, 2 blocks", rw16(0x88, 0, -1L, 2)),
        Arguments.of("READ(16) LBA 2^64-1, 1 block", rw16(0x88, 0, -1L, 1)),
        Arguments.of("READ(16) LBA 2^63, 1 block", rw16(0x88, 0, Long.MIN_VALUE, 1)),
        Arguments.of("READ(16) LBA 2040, 16 blocks", rw16(0x88, 0, 2040, 16)),
        Arguments.of("READ(12) LBA 2^32-1, 1 block", rw12(0xA8, 0, 0xFFFF_FFFFL, 1)),
        Arguments.of("READ(10) LBA 2^31, 1 block", rw10(0x28, 0, 0x8000_0000L, 1)),
        Arguments.of("WRITE(16) LBA 2^64-2, 2 blocks", rw16(0x8A, 0, -2L, 2)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("overflowingRanges")
  void shouldRejectLbaPlusLengthBeyondCapacityWithoutOverflow(String name, byte[] cdb) {
    byte[] data = (cdb[0] & 0xFF) == 0x8A ? new byte[2 * LBS] : null;
    Outcome o = data == null ? h.run(0, cdb) : h.run(0, cdb, data);

    o.assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    assertEquals(0, h.disk0.reads.get() + h.disk0.writes.get());
  }

  @Test
  void shouldRejectLbaPastTheEndOfAHugeLunOnlyBeyondItsCapacity() {
    long last = (1L << 32) + 15;

    h.run(3, rw16(0x88, 0, last, 1)).assertGood();
    h.run(3, rw16(0x88, 0, last + 1, 1)).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    h.assertNoBufferLeft();
  }

  @ParameterizedTest(name = "{0}-byte CDB")
  @ValueSource(ints = {10, 12, 16})
  void shouldTransferNothingForZeroLength(int size) {
    Outcome r = read(size, 0, 0).assertGood();
    Outcome w = h.run(0, rw(size, writeOpcode(size), 0, 5, 0)).assertGood();

    assertEquals(0, r.data().length);
    assertEquals(0, w.transferLength());
    assertEquals(0, h.disk0.reads.get() + h.disk0.writes.get());
  }

  @ParameterizedTest(name = "{0}-byte CDB")
  @ValueSource(ints = {10, 12, 16})
  void shouldStillCheckTheLbaOfAZeroLengthTransfer(int size) {
    read(size, BLOCKS - 1, 0).assertGood();
    read(size, BLOCKS + 1, 0).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
    read(size, 0x8000_0000L, 0).assertCheck(SenseCode.LBA_OUT_OF_RANGE);
  }

  @Test
  void shouldTreatZeroLengthInSixByteCdbAs256Blocks() {
    byte[] data = pattern(256 * LBS, 3);

    Outcome w = write(6, 10, 0, data).assertGood();
    Outcome r = read(6, 10, 0).assertGood();

    assertEquals(256 * LBS, w.transferLength());
    assertArrayEquals(data, r.data());
    h.assertNoBufferLeft();
  }

  static Stream<Arguments> protectFields() {
    return IntStream.of(10, 12, 16).boxed().flatMap(size -> IntStream.rangeClosed(1, 7).boxed().flatMap(p ->
        Stream.of(Arguments.of(size, readOpcode(size), p), Arguments.of(size, writeOpcode(size), p))));
  }

  @ParameterizedTest(name = "{0}-byte opcode {1} protect {2}")
  @MethodSource("protectFields")
  void shouldRejectProtectionInformationRequests(int size, int opcode, int protect) {
    byte[] cdb = rw(size, opcode, protect << 5, 0, 1);
    Outcome o = opcode == writeOpcode(size) ? h.run(0, cdb, new byte[LBS]) : h.run(0, cdb);

    o.assertInvalidField(1, 7);
    assertEquals(0, h.disk0.reads.get() + h.disk0.writes.get());
    h.assertNoBufferLeft();
  }

  @ParameterizedTest(name = "{0}-byte CDB flags {1}")
  @MethodSource("dpoFua")
  void shouldAcceptDpoAndFua(int size, int flags) {
    h.run(0, rw(size, writeOpcode(size), flags, 0, 1), pattern(LBS, 2)).assertGood();
    assertArrayEquals(pattern(LBS, 2), h.run(0, rw(size, readOpcode(size), flags, 0, 1)).assertGood().data());
  }

  static Stream<Arguments> dpoFua() {
    return IntStream.of(10, 12, 16).boxed().flatMap(size ->
        Stream.of(0x10, 0x08, 0x18, 0x02).map(f -> Arguments.of(size, f)));
  }

  @Test
  void shouldRejectRebuildAssistBitAndReservedBits() {
    h.run(0, rw10(0x28, 0x04, 0, 1)).assertInvalidField(1, 2);
    h.run(0, rw10(0x28, 0x01, 0, 1)).assertInvalidField(1, 0);
    byte[] group = rw10(0x28, 0, 0, 1);
    group[6] = (byte) 0x80;
    h.run(0, group).assertInvalidField(6, 7);
    byte[] six = ScsiHarness.cdb(0x08, 0x20, 0, 0, 1, 0);
    h.run(0, six).assertInvalidField(1, 5);
  }

  @Test
  void shouldIgnoreGroupNumber() {
    byte[] cdb = rw10(0x28, 0, 0, 1);
    cdb[6] = 0x3F;

    h.run(0, cdb).assertGood();
  }

  @ParameterizedTest(name = "{0}-byte CDB")
  @ValueSource(ints = {6, 10, 12, 16})
  void shouldRefuseWritesToReadOnlyLun(int size) {
    Outcome o = h.run(2, rw(size, writeOpcode(size), 0, 0, 1), pattern(LBS, 4));

    o.assertCheck(SenseCode.WRITE_PROTECTED);
    assertEquals(0, h.disk2.writes.get());
    h.run(2, rw(size, readOpcode(size), 0, 0, 1)).assertGood();
    h.assertNoBufferLeft();
  }

  static Stream<Arguments> partialBlockDataOut() {
    return Stream.of(
        Arguments.of(10, 1, 200), Arguments.of(12, 2, LBS + 1), Arguments.of(16, 4, 3 * LBS + 1), Arguments.of(6, 1, 511));
  }

  @ParameterizedTest(name = "{0}-byte CDB, {1} blocks, {2} bytes of Data-Out")
  @MethodSource("partialBlockDataOut")
  void shouldWriteNothingWhenDataOutEndsInsideABlock(int size, int blocks, int sent) {
    h.disk0.put(0, pattern(8 * LBS, 7));
    byte[] cdb = rw(size, writeOpcode(size), 0, 0, blocks);

    Outcome o = h.run(A, 0, cdb, pattern(sent, 1), sent);

    o.assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
    assertEquals((long) blocks * LBS, o.transferLength());
    assertEquals(0, h.disk0.writes.get());
    assertArrayEquals(pattern(8 * LBS, 7), h.disk0.bytes(0, 8 * LBS));
    h.assertNoBufferLeft();
  }

  static Stream<Arguments> wholeBlockShortDataOut() {
    return Stream.of(
        Arguments.of(10, 1, 0), Arguments.of(10, 2, 1), Arguments.of(12, 2, 1), Arguments.of(16, 2, 1),
        Arguments.of(16, 8, 5), Arguments.of(6, 3, 2));
  }

  @ParameterizedTest(name = "{0}-byte CDB, {1} blocks, {2} blocks of Data-Out")
  @MethodSource("wholeBlockShortDataOut")
  void shouldWriteOnlyTheWholeBlocksReceivedWhenDataOutIsShort(int size, int blocks, int sentBlocks) {
    h.disk0.put(0, pattern(8 * LBS, 7));
    byte[] sent = pattern(sentBlocks * LBS, 2);
    byte[] cdb = rw(size, writeOpcode(size), 0, 0, blocks);

    Outcome o = sentBlocks == 0 ? h.run(A, 0, cdb, null, 0) : h.run(A, 0, cdb, sent, sent.length);

    o.assertGood();
    assertEquals((long) blocks * LBS, o.transferLength(), "the CDB's length, so the transport reports overflow");
    assertArrayEquals(sent, h.disk0.bytes(0, sent.length));
    int rest = 8 * LBS - sent.length;
    assertArrayEquals(java.util.Arrays.copyOfRange(pattern(8 * LBS, 7), sent.length, 8 * LBS), h.disk0.bytes(sent.length, rest));
    h.assertNoBufferLeft();
  }

  @ParameterizedTest(name = "{0}-byte CDB")
  @ValueSource(ints = {10, 12, 16})
  void shouldWriteOnlyTheTransferLengthWhenDataOutIsLonger(int size) {
    byte[] sent = pattern(2 * LBS, 5);

    Outcome o = h.run(A, 0, rw(size, writeOpcode(size), 0, 0, 1), sent, 10000).assertGood();

    assertEquals(LBS, o.transferLength());
    assertArrayEquals(Arrays.copyOf(sent, LBS), h.disk0.bytes(0, LBS));
    assertArrayEquals(new byte[LBS], h.disk0.bytes(LBS, LBS));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldReadEvenWhenTheInitiatorFlaggedTheReadAsAWrite() {
    h.disk0.put(0, pattern(LBS, 8));

    Outcome o = h.run(A, 0, rw10(0x28, 0, 0, 1), new byte[LBS], LBS).assertGood();

    assertArrayEquals(pattern(LBS, 8), o.data());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRejectTransfersBeyondMaximumTransferLength() {
    int max = ScsiSettings.DEFAULT.maxTransferLengthBytes() / LBS;

    h.run(0, rw10(0x28, 0, 0, max + 1)).assertInvalidField(7, 7);
    h.run(0, rw12(0xA8, 0, 0, max + 1)).assertInvalidField(6, 7);
    h.run(0, rw16(0x88, 0, 0, max + 1)).assertInvalidField(10, 7);
    h.run(0, rw16(0x8A, 0, 0, max + 1), new byte[LBS]).assertInvalidField(10, 7);
    assertEquals(0, h.disk0.reads.get() + h.disk0.writes.get());
    h.assertNoBufferLeft();
  }

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(VDiskIoException.Kind.UNRECOVERED_READ_ERROR, SenseCode.UNRECOVERED_READ_ERROR),
        Arguments.of(VDiskIoException.Kind.WRITE_ERROR, SenseCode.WRITE_ERROR),
        Arguments.of(VDiskIoException.Kind.LBA_OUT_OF_RANGE, SenseCode.LBA_OUT_OF_RANGE),
        Arguments.of(VDiskIoException.Kind.SPACE_EXHAUSTED, SenseCode.SPACE_ALLOCATION_FAILED_WRITE_PROTECT),
        Arguments.of(VDiskIoException.Kind.NOT_READY, SenseCode.LOGICAL_UNIT_NOT_READY),
        Arguments.of(VDiskIoException.Kind.TIMEOUT, SenseCode.TIMEOUT_ON_LOGICAL_UNIT),
        Arguments.of(VDiskIoException.Kind.INTERNAL, SenseCode.INTERNAL_TARGET_FAILURE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void shouldMapEveryVDiskFailureKindToItsSense(VDiskIoException.Kind kind, SenseCode expected) {
    h.replaceIo(0, new FailingVDiskIo(kind));

    h.run(0, rw10(0x28, 0, 0, 1)).assertCheck(expected);
    h.run(0, rw10(0x2A, 0, 0, 1), new byte[LBS]).assertCheck(expected);
    h.run(0, ScsiHarness.cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0)).assertCheck(expected);
    h.run(0, ScsiHarness.cdb(0x2F, 0, 0, 0, 0, 0, 0, 0, 1, 0)).assertCheck(expected);
    h.assertNoBufferLeft();
  }

  @ParameterizedTest
  @EnumSource(VDiskIoException.Kind.class)
  void shouldKeepServingOtherLunsWhenOneFails(VDiskIoException.Kind kind) {
    h.replaceIo(0, new FailingVDiskIo(kind));

    h.run(0, rw10(0x28, 0, 0, 1));
    h.run(1, rw10(0x28, 0, 0, 1)).assertGood();
  }
}
