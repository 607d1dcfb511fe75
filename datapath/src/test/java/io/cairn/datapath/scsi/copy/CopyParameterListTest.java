package io.cairn.datapath.scsi.copy;

import static io.cairn.datapath.scsi.copy.XcopyList.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.copy.CopyParameterList.BlockSegment;
import io.cairn.datapath.scsi.copy.CopyParameterList.CopyList;
import io.cairn.datapath.scsi.copy.CopyParameterList.Cscd;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CopyParameterListTest {

  private static final CopyLimits LIMITS = CopyLimits.DEFAULT;
  private static final long NAA = 0x3577767076745678L;

  /** libiscsi's ExtendedCopy.Simple list for a 4 GiB LUN of 512-byte blocks: 2048 blocks from LBA 0 to the end. */
  private static final byte[] LIBISCSI_SIMPLE = hex(
      "01 10 0020 00000000 0000001c 00000000"
          + "e4 00 0000 01 03 00 08 3577767076745678 000000000000000000000000 00 000200"
          + "02 00 0018 0000 0000 0000 0800 0000000000000000 00000000007ff800");

  private static CopyList parse(byte[] list, int serviceAction) {
    return CopyParameterList.parse(list, list.length, serviceAction, LIMITS);
  }

  private static byte[] senseOf(byte[] list, long length, int serviceAction) {
    return assertThrows(CopyException.class, () -> CopyParameterList.parse(list, length, serviceAction, LIMITS)).sense();
  }

  private static byte[] senseOf(byte[] list) {
    return senseOf(list, list.length, CopyParameterList.LID1);
  }

  private static void assertParameterListLengthError(byte[] sense) {
    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 1a 00 00 000000"), sense);
  }

  /** ILLEGAL REQUEST with a field pointer into the parameter list (C/D = 0). */
  private static void assertInList(SenseCode code, int field, int bit, byte[] sense) {
    assertEquals(code, SenseData.code(sense));
    assertFalse(SenseData.pointsIntoCdb(sense), "C/D");
    assertEquals(field, SenseData.fieldPointer(sense), "field pointer");
    assertEquals(bit, SenseData.bitPointer(sense), "bit pointer");
  }

  @Test
  void shouldParseLibiscsiSimpleListByteForByte() {
    CopyList l = parse(LIBISCSI_SIMPLE, CopyParameterList.LID1);

    assertEquals(CopyParameterList.LID1, l.serviceAction());
    assertEquals(1, l.listIdentifier());
    assertEquals(CopyParameterList.LIST_ID_USAGE_NO_HOLD, l.listIdUsage());
    assertTrue(l.heldForResults());
    assertEquals(1, l.cscds().size());
    Cscd c = l.cscds().get(0);
    assertEquals(16, c.offset());
    assertEquals(0, c.peripheralDeviceType());
    assertEquals(1, c.codeSet());
    assertEquals(0, c.association());
    assertEquals(3, c.designatorType());
    assertArrayEquals(hex("3577767076745678"), c.designator());
    assertEquals(512, c.diskBlockLength());
    assertEquals(45, c.diskBlockLengthOffset());
    assertEquals(new BlockSegment(0, 48, 0, 0, false, 2048, 0, 0x7FF800), l.segments().get(0));
  }

  @Test
  void shouldParseLid4ListWithFourByteListIdentifier() {
    byte[] list = XcopyList.lid4().listId(0x12345678L).naa(NAA, 0).naa(NAA + 1, 4096)
        .b2b(0x02, 0, 1, 8, 100, 200).build();
    assertEquals(48 + 64 + 28, list.length);

    CopyList l = parse(list, CopyParameterList.LID4);

    assertEquals(CopyParameterList.LID4, l.serviceAction());
    assertEquals(0x12345678L, l.listIdentifier());
    assertEquals(2, l.cscds().size());
    assertEquals(48 + 32, l.cscds().get(1).offset());
    assertEquals(4096, l.cscds().get(1).diskBlockLength());
    assertEquals(new BlockSegment(0, 112, 0, 1, true, 8, 100, 200), l.segments().get(0));
  }

  @Test
  void shouldReadUnsigned64BitLbasAndCscdIdFFFF() {
    byte[] list = XcopyList.lid1().b2b(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF_FFFF_FFFF_FFFEL, 0x8000_0000_0000_0000L).build();

    BlockSegment s = parse(list, CopyParameterList.LID1).segments().get(0);

    assertEquals(0xFFFF, s.sourceId());
    assertEquals(0xFFFF, s.destinationId());
    assertEquals(0xFFFF, s.blocks());
    assertEquals(0xFFFF_FFFF_FFFF_FFFEL, s.sourceLba());
    assertEquals(0x8000_0000_0000_0000L, s.destinationLba());
  }

  @Test
  void shouldAcceptListIdUsage11WithListIdentifierZeroAndHoldNothing() {
    CopyList l = parse(XcopyList.lid1().listId(0).usage(CopyParameterList.LIST_ID_USAGE_NONE).build(), CopyParameterList.LID1);

    assertFalse(l.heldForResults());
    assertTrue(l.cscds().isEmpty());
    assertTrue(l.segments().isEmpty());
  }

  @Test
  void shouldIgnoreLuIdTypeNulBitAndRelativeInitiatorPort() {
    byte[] list = XcopyList.lid1().cscd(0xE4, 0xA0, 0x01, 0x03, hex("3577767076745678"), 512).b2b(0, 0, 1, 0, 0).build();
    list[16 + 2] = 0x12;
    list[16 + 3] = 0x34;

    Cscd c = parse(list, CopyParameterList.LID1).cscds().get(0);

    assertEquals(0, c.peripheralDeviceType());
  }

  @Test
  void shouldLookNoFurtherThanTheLimitsInAnOverlongList() {
    byte[] list = Arrays.copyOf(LIBISCSI_SIMPLE, LIBISCSI_SIMPLE.length);

    CopyList l = CopyParameterList.parse(list, 1L << 31, CopyParameterList.LID1, LIMITS);

    assertEquals(1, l.segments().size());
  }

  // ---- PARAMETER LIST LENGTH ERROR -------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {1, 15})
  void shouldRejectATruncatedLid1Header(int length) {
    assertParameterListLengthError(senseOf(Arrays.copyOf(LIBISCSI_SIMPLE, length), length, CopyParameterList.LID1));
  }

  @Test
  void shouldRejectATruncatedLid4Header() {
    byte[] list = XcopyList.lid4().build();
    assertParameterListLengthError(senseOf(list, 47, CopyParameterList.LID4));
  }

  @Test
  void shouldRejectAParameterListLengthThatCutsTheCscdDescriptor() {
    assertParameterListLengthError(senseOf(LIBISCSI_SIMPLE, 16 + 32 - 1, CopyParameterList.LID1));
  }

  @Test
  void shouldRejectAParameterListLengthThatCutsTheSegmentDescriptor() {
    assertParameterListLengthError(senseOf(LIBISCSI_SIMPLE, 16 + 32 + 28 - 1, CopyParameterList.LID1));
  }

  @Test
  void shouldRejectDescriptorListsLongerThanTheMaximumDescriptorListLength() {
    XcopyList b = XcopyList.lid1();
    for (int i = 0; i < 17; i++) b.naa(NAA, 512);
    for (int i = 0; i < 32; i++) b.b2b(0, 0, 1, 0, 0);
    assertEquals(17 * 32 + 32 * 28, b.cscdLength() + b.segmentLength());

    assertParameterListLengthError(senseOf(b.build()));
  }

  @Test
  void shouldRejectInlineData() {
    byte[] list = Arrays.copyOf(LIBISCSI_SIMPLE, LIBISCSI_SIMPLE.length + 4);
    list[15] = 4;

    assertParameterListLengthError(senseOf(list));
  }

  // ---- header fields ---------------------------------------------------------------------

  @Test
  void shouldRejectReservedHeaderBitsWithAFieldPointer() {
    byte[] list = LIBISCSI_SIMPLE.clone();
    list[1] |= 0x40;

    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 26 00 00 8f 0001"), senseOf(list));
  }

  @Test
  void shouldRejectReservedHeaderBytes() {
    byte[] list = LIBISCSI_SIMPLE.clone();
    list[6] = 0x01;

    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 6, 0, senseOf(list));
  }

  @Test
  void shouldRejectTheReservedListIdUsage() {
    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 1, 4,
        senseOf(XcopyList.lid1().usage(CopyParameterList.LIST_ID_USAGE_RESERVED).build()));
  }

  @Test
  void shouldRejectAListIdentifierWhenListIdUsageSaysThereIsNone() {
    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 0, 7,
        senseOf(XcopyList.lid1().listId(5).usage(CopyParameterList.LIST_ID_USAGE_NONE).build()));
    byte[] lid4 = XcopyList.lid4().listId(5).usage(CopyParameterList.LIST_ID_USAGE_NONE).build();
    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 20, 7, senseOf(lid4, lid4.length, CopyParameterList.LID4));
  }

  @Test
  void shouldRejectLid4ListFormatOtherThan01h() {
    byte[] list = XcopyList.lid4().build();
    list[0] = 0x02;

    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 0, 7, senseOf(list, list.length, CopyParameterList.LID4));
  }

  @Test
  void shouldRejectLid4ImmedAsNotSupported() {
    byte[] list = XcopyList.lid4().build();
    list[15] = 0x01;

    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 15, 0, senseOf(list, list.length, CopyParameterList.LID4));
  }

  @Test
  void shouldAcceptLid4GoodSense() {
    byte[] list = XcopyList.lid4().build();
    list[15] = 0x02;

    assertTrue(parse(list, CopyParameterList.LID4).segments().isEmpty());
  }

  @Test
  void shouldRejectLid4HeaderCscdDescriptors() {
    byte[] list = XcopyList.lid4().build();
    list[3] = 0x20;
    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 2, 7, senseOf(list, list.length, CopyParameterList.LID4));

    byte[] typed = XcopyList.lid4().build();
    typed[16] = (byte) 0xE4;
    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 16, 7, senseOf(typed, typed.length, CopyParameterList.LID4));
  }

  // ---- descriptors -----------------------------------------------------------------------

  @Test
  void shouldRejectMoreCscdDescriptorsThanTheMaximum() {
    XcopyList b = XcopyList.lid1();
    for (int i = 0; i < 17; i++) b.naa(NAA, 512);
    b.b2b(0, 0, 1, 0, 0);

    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 26 06 00 000000"), senseOf(b.build()));
  }

  @Test
  void shouldRejectMoreSegmentDescriptorsThanTheMaximum() {
    XcopyList b = XcopyList.lid1().naa(NAA, 512);
    for (int i = 0; i < 33; i++) b.b2b(0, 0, 1, 0, 0);

    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 26 08 00 000000"), senseOf(b.build()));
  }

  @Test
  void shouldRejectAFibreChannelCscdDescriptorAsUnsupportedTargetDescriptorType() {
    byte[] list = XcopyList.lid1().cscd(0xE0, 0, 0, 0, new byte[0], 512).b2b(0, 0, 1, 0, 0).build();

    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 26 07 00 8f 0010"), senseOf(list));
  }

  @Test
  void shouldRejectAStreamToStreamSegmentAsUnsupportedSegmentDescriptorType() {
    byte[] segment = hex("03 00 0010 0000 0000 00000000 00000000 00000000");
    byte[] list = XcopyList.lid1().naa(NAA, 512).segment(segment).build();

    assertArrayEquals(hex("70 00 05 00000000 0a 00000000 26 09 00 8f 0030"), senseOf(list));
  }

  @Test
  void shouldRejectACscdListLengthThatIsNotWholeDescriptors() {
    byte[] list = Arrays.copyOf(XcopyList.lid1().naa(NAA, 512).build(), 16 + 33);
    list[3] = 33;
    list[48] = (byte) 0xE4;

    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 2, 7, senseOf(list));
  }

  @Test
  void shouldRejectADesignatorLongerThanTwentyBytes() {
    byte[] list = XcopyList.lid1().naa(NAA, 512).b2b(0, 0, 1, 0, 0).build();
    list[16 + 7] = 21;

    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 16 + 7, 7, senseOf(list));
  }

  @Test
  void shouldRejectABlockSegmentWhoseDescriptorLengthIsNot18h() {
    byte[] list = LIBISCSI_SIMPLE.clone();
    list[48 + 3] = 0x14;

    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 48 + 2, 7, senseOf(list));
  }

  @Test
  void shouldRejectReservedSegmentBits() {
    byte[] list = LIBISCSI_SIMPLE.clone();
    list[48 + 1] = 0x04;
    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 48 + 1, 2, senseOf(list));

    byte[] bytes8 = LIBISCSI_SIMPLE.clone();
    bytes8[48 + 9] = 0x01;
    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 48 + 8, 7, senseOf(bytes8));
  }

  @Test
  void shouldRejectASegmentListLengthThatCutsADescriptor() {
    byte[] list = Arrays.copyOf(LIBISCSI_SIMPLE, LIBISCSI_SIMPLE.length);
    list[11] = 0x1B;

    assertInList(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, 8, 7, senseOf(list));
  }

  @Test
  void shouldCountTargetDescriptorsBeforeLookingAtTheirType() {
    XcopyList fifteen = XcopyList.lid1();
    XcopyList sixteen = XcopyList.lid1();
    for (int i = 0; i < 15; i++) fifteen.naa(NAA, 512);
    for (int i = 0; i < 16; i++) sixteen.naa(NAA, 512);
    fifteen.cscd(0xE0, 0, 0, 0, new byte[0], 0);
    sixteen.cscd(0xE0, 0, 0, 0, new byte[0], 0);

    assertEquals(SenseCode.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE, SenseData.code(senseOf(fifteen.build())));
    assertEquals(SenseCode.TOO_MANY_TARGET_DESCRIPTORS, SenseData.code(senseOf(sixteen.build())));
  }
}
