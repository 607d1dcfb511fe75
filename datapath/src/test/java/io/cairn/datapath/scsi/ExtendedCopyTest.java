package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.B;
import static io.cairn.datapath.scsi.ScsiHarness.await;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.concat;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static io.cairn.datapath.scsi.ScsiHarness.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.copy.CopyParameterList;
import io.cairn.datapath.scsi.copy.XcopyList;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.target.TargetInfo;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * EXTENDED COPY and RECEIVE COPY RESULTS through the SCSI target service, over RAM vDisks: what is
 * copied, the sense data of every COPY ABORTED case, and what RECEIVE COPY RESULTS reports.
 */
class ExtendedCopyTest {

  /** NAA designators of the harness LUNs (VPD 83h: 3h in the top nibble, the uuid halves XORed). */
  static final long NAA_LUN0 = 0x3577767076745678L;
  static final long NAA_LUN1 = 0x3000000000004001L;
  static final long NAA_LUN2 = 0x3000000000004002L;
  static final long NAA_LUN3 = 0x3000000000004003L;

  private final ScsiHarness h = new ScsiHarness();

  static byte[] xcopy(int serviceAction, int length) {
    return cdb(0x83, serviceAction, 0, 0, 0, 0, 0, 0, 0, 0, length >>> 24, (length >> 16) & 0xFF, (length >> 8) & 0xFF,
        length & 0xFF, 0, 0);
  }

  static byte[] receiveCopyResults(int serviceAction, int listId, int allocation) {
    return cdb(0x84, serviceAction, listId & 0xFF, 0, 0, 0, 0, 0, 0, 0, allocation >>> 24, (allocation >> 16) & 0xFF,
        (allocation >> 8) & 0xFF, allocation & 0xFF, 0, 0);
  }

  static byte[] receiveCopyStatusLid4(long listId, int allocation) {
    return cdb(0x84, 0x05, (int) (listId >>> 24), (int) (listId >> 16) & 0xFF, (int) (listId >> 8) & 0xFF, (int) listId & 0xFF,
        0, 0, 0, 0, allocation >>> 24, (allocation >> 16) & 0xFF, (allocation >> 8) & 0xFF, allocation & 0xFF, 0, 0);
  }

  private Outcome extendedCopy(ItNexus nexus, int lun, byte[] list) {
    return h.run(nexus, lun, xcopy(CopyParameterList.LID1, list.length), list, list.length);
  }

  private Outcome extendedCopy(byte[] list) {
    return extendedCopy(A, 0, list);
  }

  private byte[] copyStatus(ItNexus nexus, int listId) {
    return h.run(nexus, 0, receiveCopyResults(0x00, listId, 1024)).assertGood().data();
  }

  // ---- copying ---------------------------------------------------------------------------------

  @Test
  void shouldCopyBlocksFromOneLunToAnotherByteForByte() {
    byte[] data = pattern(64 * 512, 3);
    h.disk0.put(100 * 512, data);

    extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 64, 100, 5000).build()).assertGood();

    assertArrayEquals(data, h.disk3.bytes(5000 * 512, data.length));
    assertArrayEquals(new byte[512], h.disk3.bytes(4999 * 512, 512), "nothing before the range");
    assertArrayEquals(new byte[512], h.disk3.bytes(5064 * 512, 512), "nothing after it");
    assertEquals(0, h.disk0.writes.get(), "the source is only read");
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRunEverySegmentInOrder() {
    h.disk0.put(0, pattern(8 * 512, 1));
    byte[] list = XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN3, 0)
        .b2b(0, 1, 8, 0, 10)
        .b2b(1, 0, 8, 10, 100)
        .build();

    extendedCopy(list).assertGood();

    assertArrayEquals(pattern(8 * 512, 1), h.disk3.bytes(10 * 512, 8 * 512));
    assertArrayEquals(pattern(8 * 512, 1), h.disk0.bytes(100 * 512, 8 * 512), "the second segment read what the first wrote");
  }

  @Test
  void shouldConvertBetweenBlockSizesCountingSourceBlocks() {
    byte[] data = pattern(16 * 512, 4);
    h.disk0.put(32 * 512, data);

    extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN1, 4096).b2b(0, 1, 16, 32, 7).build()).assertGood();

    assertArrayEquals(data, h.disk1.bytes(7 * 4096, 2 * 4096));
  }

  @Test
  void shouldCountDestinationBlocksWhenDcIsSet() {
    byte[] data = pattern(2 * 4096, 5);
    h.disk1.put(3 * 4096, data);

    extendedCopy(XcopyList.lid1().naa(NAA_LUN1, 4096).naa(NAA_LUN0, 512).b2b(0x02, 0, 1, 16, 3, 64).build()).assertGood();

    assertArrayEquals(pattern(2 * 4096, 5), h.disk0.bytes(64 * 512, 2 * 4096), "DC = 1: 16 blocks of 512 bytes");
  }

  @Test
  void shouldCopyWithinTheAddressedLunNamedByCscdIdFFFFAsIfTheSourceWereReadFirst() {
    byte[] data = pattern(1024 * 512, 6);
    h.disk0.put(0, data);

    extendedCopy(XcopyList.lid1().b2b(0xFFFF, 0xFFFF, 1024, 0, 1).build()).assertGood();

    assertArrayEquals(data, h.disk0.bytes(512, data.length));
  }

  @Test
  void shouldDoNothingForZeroBlocksOrAnEmptyParameterList() {
    extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 0, 0, 0).build()).assertGood();
    h.run(A, 0, xcopy(CopyParameterList.LID1, 0), null, 0).assertGood();

    assertEquals(0, h.disk3.writes.get());
  }

  @Test
  void shouldRunALid4ListAndReportItInCopyStatusLid4() {
    h.disk0.put(0, pattern(4 * 512, 7));
    byte[] list = XcopyList.lid4().listId(0xA1B2C3D4L).naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 4, 0, 0).build();

    h.run(A, 0, xcopy(CopyParameterList.LID4, list.length), list, list.length).assertGood();

    assertArrayEquals(pattern(4 * 512, 7), h.disk3.bytes(0, 4 * 512));
    byte[] status = h.run(0, receiveCopyStatusLid4(0xA1B2C3D4L, 1024)).assertGood().data();
    assertArrayEquals(hex("0000001c 01 01 0001 00000000 00 00 00 00 0000000000000800 0001 000000000000"), status);
  }

  @Test
  void shouldTakeOnlyParameterListLengthBytesAndRejectShortDataOut() {
    byte[] list = XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 1, 0, 0).build();

    Outcome o = h.run(A, 0, xcopy(CopyParameterList.LID1, list.length), java.util.Arrays.copyOf(list, list.length - 1), list.length - 1);

    o.assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
    assertEquals(0, h.disk3.writes.get());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRejectReservedCdbBits() {
    byte[] cdb = xcopy(CopyParameterList.LID1, 0);
    cdb[2] = 1;
    h.run(0, cdb).assertInvalidField(2, 0);
    h.run(0, cdb(0x83, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).assertInvalidField(1, 4);
  }

  @Test
  void shouldAnswerParameterListErrorsWithIllegalRequestAndCopyNothing() {
    byte[] list = XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 8, 0, 0).build();

    Outcome o = h.run(A, 0, xcopy(CopyParameterList.LID1, list.length - 1), list, list.length);

    o.assertCheck(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
    assertEquals(0, h.disk3.writes.get());
    h.run(0, receiveCopyResults(0x00, 1, 1024)).assertInvalidField(2, 7);
  }

  // ---- COPY ABORTED ----------------------------------------------------------------------------

  @Test
  void shouldAbortWithUnreachableCopyTargetForACscdIdBeyondTheList() {
    byte[] list = XcopyList.lid1().naa(NAA_LUN0, 512).b2b(0, 1, 8, 0, 100).build();

    Outcome o = extendedCopy(list);

    // COPY ABORTED 08h/04h; segment 0; segment pointer SD = 1 at byte 6 (DESTINATION CSCD DESCRIPTOR ID)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000000 08 04 00 af 0006"), o.sense());
    assertEquals(0, h.disk0.writes.get());
  }

  @Test
  void shouldAbortWithCopyTargetDeviceNotReachableForAnUnknownDesignator() {
    byte[] list = XcopyList.lid1().naa(NAA_LUN0, 512).naa(0x3123456789ABCDEFL, 512).b2b(0, 1, 8, 0, 0).build();

    Outcome o = extendedCopy(list);

    // COPY ABORTED 0Dh/02h; segment pointer SD = 0 at the second CSCD descriptor's DESIGNATOR (16 + 32 + 8)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000000 0d 02 00 80 0038"), o.sense());
  }

  @Test
  void shouldNotReachALunOfAnotherTarget() {
    UUID other = UUID.fromString("00000000-0000-4000-8000-0000000000ff");
    RamVDiskIo io = new RamVDiskIo();
    h.catalog.put(new TargetInfo("iqn.2026-11.io.cairn:other", "other",
        List.of(new LunEntry(0, new LunInfo(99, "secret", other, 2048L * 512, 512, 512, false, true), io))));
    long naa = 0x3000000000004000L | 0xFF;
    h.disk0.put(0, pattern(512, 9));

    Outcome o = extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(naa, 512).b2b(0, 1, 1, 0, 0).build());

    assertEquals(SenseCode.COPY_TARGET_DEVICE_NOT_REACHABLE, o.senseCode());
    assertEquals(0, io.writes.get());
  }

  @Test
  void shouldAbortBeyondTheDestinationCapacityPointingAtItsLbaAndCopyNothing() {
    h.disk0.put(0, pattern(2 * 512, 1));

    Outcome o = extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).b2b(0, 0, 2, 0, 2047).build());

    // COPY ABORTED, no additional sense code; segment 0; SD = 1 at byte 20 (DESTINATION ... LOGICAL BLOCK ADDRESS)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000000 00 00 00 af 0014"), o.sense());
    assertEquals(0, h.disk0.writes.get());
  }

  @Test
  void shouldAbortBeyondTheSourceCapacityWithUnsignedLbas() {
    Outcome o = extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN3, 512)
        .b2b(0, 1, 1, 0, 0)
        .b2b(0, 1, 2, 0xFFFF_FFFF_FFFF_FFFFL, 0).build());

    // segment 1 (COMMAND-SPECIFIC INFORMATION = 1); SD = 1 at byte 12 (SOURCE ... LOGICAL BLOCK ADDRESS)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000001 00 00 00 af 000c"), o.sense());
    assertEquals(0, h.disk3.writes.get(), "segments are all checked before any data moves");
  }

  @Test
  void shouldAbortAnInexactSegmentBetweenBlockSizes() {
    Outcome o = extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN1, 4096).b2b(0, 1, 3, 0, 0).build());

    // COPY ABORTED 26h/0Ah UNEXPECTED INEXACT SEGMENT; SD = 1 at byte 10 (NUMBER OF BLOCKS)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000000 26 0a 00 af 000a"), o.sense());
  }

  @Test
  void shouldAbortACscdThatIsNotADirectAccessDevice() {
    byte[] designator = hex("3577767076745678");
    Outcome o = extendedCopy(XcopyList.lid1().cscd(0xE4, 0x01, 0x01, 0x03, designator, 0).b2b(0, 0, 1, 0, 1).build());

    // COPY ABORTED 0Dh/03h; SD = 0 at byte 17 bit 4 (PERIPHERAL DEVICE TYPE)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000000 0d 03 00 8c 0011"), o.sense());
  }

  @Test
  void shouldAbortADiskBlockLengthOtherThanTheDevices() {
    Outcome o = extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 4096).b2b(0, 0, 1, 0, 1).build());

    // COPY ABORTED 26h/00h; SD = 0 at byte 45 (DISK BLOCK LENGTH)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000000 26 00 00 8f 002d"), o.sense());
  }

  @Test
  void shouldAbortWritingAReadOnlyLun() {
    Outcome o = extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN2, 512).b2b(0, 1, 1, 0, 0).build());

    assertArrayEquals(hex("70 00 0a 00000000 0a 00000000 27 00 00 af 0006"), o.sense());
    assertEquals(0, h.disk2.writes.get());
  }

  @Test
  void shouldAbortWritingASoftwareWriteProtectedLunButReadFromIt() {
    byte[] modeList = concat(hex("00 00 00 00"), hex("0a 0a 02 10 08 00 0000 0000 0000"));
    h.run(3, cdb(0x15, 0x10, 0, 0, modeList.length, 0), modeList).assertGood();

    Outcome o = extendedCopy(XcopyList.lid1().naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 1, 0, 0).build());
    assertEquals(new SenseCode(SenseCode.KEY_COPY_ABORTED, 0x27, 0x02), o.senseCode());

    h.disk3.put(0, pattern(512, 2));
    extendedCopy(XcopyList.lid1().naa(NAA_LUN3, 512).naa(NAA_LUN0, 512).b2b(0, 1, 1, 0, 0).build()).assertGood();
    assertArrayEquals(pattern(512, 2), h.disk0.bytes(0, 512));
  }

  @Test
  void shouldReportWhereAnIoFailureStoppedTheCopy() {
    FailingVDiskIo failing = new FailingVDiskIo(h.disk3, 4 * 512);
    h.replaceIo(3, failing);
    h.disk0.put(0, pattern(64 * 512, 8));
    byte[] list = XcopyList.lid1().listId(9).naa(NAA_LUN0, 512).naa(NAA_LUN3, 512)
        .b2b(0, 1, 8, 0, 0)
        .b2b(1, 1, 8, 0, 8)
        .build();

    Outcome o = extendedCopy(list);

    // segment 0 copied LUN0 to LUN3; segment 1 read LUN3 beyond its readable first 2 KiB: MEDIUM ERROR's
    // UNRECOVERED READ ERROR under COPY ABORTED; segment 1; SD = 1 at byte 12 (its SOURCE LBA)
    assertArrayEquals(hex("70 00 0a 00000000 0a 00000001 11 00 00 af 000c"), o.sense());
    assertArrayEquals(hex("00000008 02 0001 00 00001000"), copyStatus(A, 9), "1 segment, 4096 bytes done");
    byte[] details = h.run(0, receiveCopyResults(0x04, 9, 1024)).assertGood().data();
    assertEquals(60 + 18, details.length);
    assertArrayEquals(hex("0000004a"), java.util.Arrays.copyOf(details, 4));
    assertArrayEquals(hex("02 00 0012"), java.util.Arrays.copyOfRange(details, 56, 60));
    assertArrayEquals(o.sense(), java.util.Arrays.copyOfRange(details, 60, 78));
    h.run(0, receiveCopyResults(0x04, 9, 1024)).assertInvalidField(2, 7);
  }

  // ---- RECEIVE COPY RESULTS ----------------------------------------------------------------------

  @Test
  void shouldReportCopyStatusOfACompletedCopy() {
    h.disk0.put(0, pattern(4 * 512, 1));
    extendedCopy(XcopyList.lid1().listId(7).naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 4, 0, 0).build()).assertGood();

    assertArrayEquals(hex("00000008 01 0001 00 00000800"), copyStatus(A, 7));
    assertArrayEquals(hex("00000008 01 0001 00 00000800"), copyStatus(A, 7), "status stays until replaced");
    assertArrayEquals(hex("00000000"), h.run(0, receiveCopyResults(0x04, 7, 1024)).assertGood().data(), "no failure details");
  }

  @Test
  void shouldTruncateCopyStatusToTheAllocationLength() {
    extendedCopy(XcopyList.lid1().listId(7).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build()).assertGood();

    assertArrayEquals(hex("00000008 01 00"), h.run(0, receiveCopyResults(0x00, 7, 6)).assertGood().data());
  }

  @Test
  void shouldAnswerInvalidFieldInCdbForAListIdentifierWithNoCopy() {
    h.run(0, receiveCopyResults(0x00, 1, 1024)).assertInvalidField(2, 7);
    h.run(0, receiveCopyResults(0x04, 1, 1024)).assertInvalidField(2, 7);
    h.run(0, receiveCopyStatusLid4(1, 1024)).assertInvalidField(2, 7);
  }

  @Test
  void shouldHoldNothingForListIdUsage11() {
    extendedCopy(XcopyList.lid1().listId(0).usage(CopyParameterList.LIST_ID_USAGE_NONE).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build())
        .assertGood();

    h.run(0, receiveCopyResults(0x00, 0, 1024)).assertInvalidField(2, 7);
  }

  @Test
  void shouldKeepCopyStatusPerNexusAndLun() {
    extendedCopy(XcopyList.lid1().listId(3).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build()).assertGood();

    h.run(B, 0, receiveCopyResults(0x00, 3, 1024)).assertInvalidField(2, 7);
    h.run(A, 3, receiveCopyResults(0x00, 3, 1024)).assertInvalidField(2, 7);
    copyStatus(A, 3);
  }

  @Test
  void shouldDropCopyStatusOnNexusLossAndLogicalUnitReset() throws Exception {
    extendedCopy(XcopyList.lid1().listId(3).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build()).assertGood();
    extendedCopy(B, 0, XcopyList.lid1().listId(4).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build()).assertGood();

    h.service.nexusLost(A);
    h.run(A, 0, receiveCopyResults(0x00, 3, 1024)).assertInvalidField(2, 7);
    copyStatus(B, 4);

    assertEquals(ScsiTargetService.FUNCTION_COMPLETE,
        h.service.taskManagement(A, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0).get(5, TimeUnit.SECONDS));
    h.run(B, 0, cdb(0x00, 0, 0, 0, 0, 0)).assertCheck(SenseCode.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    h.run(B, 0, receiveCopyResults(0x00, 4, 1024)).assertInvalidField(2, 7);
  }

  @Test
  void shouldAnswerReceiveCopyDataOnlyForACopyThatAskedToHoldData() {
    extendedCopy(XcopyList.lid1().listId(1).usage(CopyParameterList.LIST_ID_USAGE_HOLD).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build())
        .assertGood();
    extendedCopy(XcopyList.lid1().listId(2).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build()).assertGood();

    assertArrayEquals(hex("00000000"), h.run(0, receiveCopyResults(0x01, 1, 1024)).assertGood().data());
    h.run(0, receiveCopyResults(0x01, 2, 1024)).assertInvalidField(2, 7);
  }

  @Test
  void shouldReportTheOperatingParametersTheParserEnforces() {
    byte[] d = h.run(0, receiveCopyResults(0x03, 0, 1024)).assertGood().data();

    assertArrayEquals(hex("0000002a 01 000000 0010 0020 00000580 10000000 00000000 00000000 00000000 0000 0008 08 00 00 00 000000 02"
        + "02 e4"), d);
  }

  @Test
  void shouldRejectAReservedListIdentifierByteForOperatingParameters() {
    h.run(0, receiveCopyResults(0x03, 5, 1024)).assertInvalidField(2, 2);
    h.run(0, receiveCopyResults(0x02, 0, 1024)).assertInvalidField(1, 4);
  }

  // ---- running copies ----------------------------------------------------------------------------

  @Test
  void shouldReportARunningCopyAndRefuseItsListIdentifierUntilItEnds() {
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(3, pending);
    byte[] list = XcopyList.lid1().listId(5).naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 8, 0, 0).build();

    CompletableFuture<ScsiResponse> running = h.submit(A, 0, xcopy(0, list.length), list, list.length, Task.SIMPLE, h.tag());

    assertFalse(running.isDone());
    assertArrayEquals(hex("00000008 00 0000 00 00000000"), copyStatus(A, 5), "in progress");
    extendedCopy(list).assertCheck(SenseCode.OPERATION_IN_PROGRESS);
    extendedCopy(B, 0, XcopyList.lid1().listId(5).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build()).assertGood();
    pending.completeAll();
    await(running).assertGood();
    assertArrayEquals(hex("00000008 01 0001 00 00001000"), copyStatus(A, 5));
    h.replaceIo(3, h.disk3);
    extendedCopy(list).assertGood();
  }

  @Test
  void shouldRefuseMoreCopiesThanItRunsAtOnce() {
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(3, pending);
    List<CompletableFuture<ScsiResponse>> running = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] list = XcopyList.lid1().listId(i).naa(NAA_LUN0, 512).naa(NAA_LUN3, 512).b2b(0, 1, 1, 0, i).build();
      running.add(h.submit(A, 0, xcopy(0, list.length), list, list.length, Task.SIMPLE, h.tag()));
    }

    byte[] ninth = XcopyList.lid1().listId(8).b2b(0xFFFF, 0xFFFF, 1, 0, 1).build();
    extendedCopy(ninth).assertCheck(SenseCode.INSUFFICIENT_RESOURCES);

    pending.completeAll();
    for (CompletableFuture<ScsiResponse> f : running) await(f).assertGood();
    extendedCopy(ninth).assertGood();
  }

  @Test
  void shouldStopAnAbortedCopyBetweenChunksAndReportItAborted() throws Exception {
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(3, pending);
    byte[] list = XcopyList.lid4().listId(77).naa(NAA_LUN0, 512).naa(NAA_LUN3, 512)
        .b2b(0, 1, 8, 0, 0)
        .b2b(0, 1, 8, 0, 8)
        .build();
    CompletableFuture<ScsiResponse> running = h.submit(A, 0, xcopy(CopyParameterList.LID4, list.length), list, list.length,
        Task.SIMPLE, 42);

    CompletableFuture<Integer> abort = h.service.taskManagement(A, TaskManagementFunction.ABORT_TASK, 0, 42);
    ExecutionException e = assertThrows(ExecutionException.class, () -> running.get(1, TimeUnit.SECONDS));
    assertInstanceOf(TaskAbortedException.class, e.getCause());
    pending.completeAll();

    assertEquals(ScsiTargetService.FUNCTION_COMPLETE, abort.get(5, TimeUnit.SECONDS));
    byte[] status = h.run(0, receiveCopyStatusLid4(77, 1024)).assertGood().data();
    assertEquals(0x60, status[5] & 0xFF, "COPY OPERATION STATUS: aborted");
    assertEquals(0x02, status[12] & 0xFF, "EXTENDED COPY COMPLETION STATUS: CHECK CONDITION");
    assertEquals(1, pending.ram.writes.get(), "the write in flight landed, the second segment never started");
    assertEquals(1, ((status[24] & 0xFF) << 8) | (status[25] & 0xFF), "SEGMENTS PROCESSED");
    h.assertNoBufferLeft();
  }

  // ---- discovery -------------------------------------------------------------------------------

  @Test
  void shouldListTheCopyCommandsInReportSupportedOperationCodes() {
    byte[] ec = h.run(0, cdb(0xA3, 0x0C, 0x02, 0x83, 0x00, 0x01, 0, 0, 0x10, 0, 0, 0)).assertGood().data();
    byte[] op = h.run(0, cdb(0xA3, 0x0C, 0x02, 0x84, 0x00, 0x03, 0, 0, 0x10, 0, 0, 0)).assertGood().data();

    assertArrayEquals(hex("00 03 0010 83 01 0000000000000000 ffffffff 00 00"), ec);
    assertArrayEquals(hex("00 03 0010 84 03 0000000000000000 ffffffff 00 00"), op);
  }

  @Test
  void shouldDescribeTheCopyManagerInTheThirdPartyCopyVpdPage() {
    byte[] d = h.run(0, cdb(0x12, 0x01, 0x8F, 0x04, 0x00, 0)).assertGood().data();

    assertArrayEquals(hex("00 8f 0064"
        + "0001 000c 0b 83 02 00 01 84 05 00 01 03 04 05"
        + "0004 001c 00000000 0010 0020 00000580 00000000 000000000000000000000000"
        + "0008 0004 02 02 e4 00"
        + "000c 0004 0002 ffff"
        + "8001 0020 00000008 00000008 10000000 00 00 000000000000000000000000000000000000"), d);
  }

  /** Reads fail past {@code readable} bytes, as a vDisk with a damaged slice would. */
  private static final class FailingVDiskIo implements VDiskIo {
    private final RamVDiskIo ram;
    private final long readable;

    FailingVDiskIo(RamVDiskIo ram, long readable) {
      this.ram = ram;
      this.readable = readable;
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
      if (offset + length > readable) {
        return CompletableFuture.failedFuture(new VDiskIoException(VDiskIoException.Kind.UNRECOVERED_READ_ERROR, "bad slice"));
      }
      return ram.read(offset, length);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data) {
      return ram.write(offset, data);
    }

    @Override
    public CompletableFuture<Void> flush() {
      return ram.flush();
    }
  }

  @Test
  void shouldAdvertiseThirdPartyCopyInStandardInquiry() {
    byte[] d = h.run(0, cdb(0x12, 0, 0, 0, 96, 0)).assertGood().data();

    assertTrue((d[5] & 0x08) != 0, "3PC");
    assertEquals(0, h.run(ScsiHarness.MISSING_LUN, cdb(0x12, 0, 0, 0, 96, 0)).assertGood().data()[5], "no LU, no copy manager");
    assertEquals(SenseCode.KEY_COPY_ABORTED, SenseData.senseKey(SenseData.of(SenseCode.COPY_ABORTED)));
  }
}
