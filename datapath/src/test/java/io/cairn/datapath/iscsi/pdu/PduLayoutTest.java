package io.cairn.datapath.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Golden bytes for every PDU type, written by hand from the layouts of RFC 7143 section 11
 * (one row of the RFC's diagrams per 4-byte group).
 */
class PduLayoutTest {

  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

  private static void assertLayout(String expectedRows, ByteBuf header) {
    try {
      assertEquals(Hex.norm(expectedRows), Hex.of(header));
    } finally {
      header.release();
    }
  }

  // ---------------------------------------------------------------- target PDUs (encoding)

  @Test
  void shouldLayOutScsiResponseWithUnderflowResidual() {
    assertLayout(
        "21 82 00 02" // opcode, 1..U. flags (F + U), Response 0, Status CHECK CONDITION
            + " 00 000000" // TotalAHSLength, DataSegmentLength (set by the encoder)
            + " 00000000 00000000" // reserved
            + " 12345678" // ITT
            + " 00000000" // SNACK tag
            + " 00000010 00000020 0000003f" // StatSN, ExpCmdSN, MaxCmdSN
            + " 00000003" // ExpDataSN
            + " 00000000" // bidi read residual
            + " 00000200", // residual count
        ScsiResponsePdu.header(ALLOC, 0x12345678, 0, 2, ScsiResponsePdu.UNDERFLOW_BIT, 0x200, 0x10, 0x20, 0x3f, 3));
  }

  @Test
  void shouldLayOutSenseDataWithItsLengthPrefix() {
    ByteBuf seg = ScsiResponsePdu.senseSegment(ALLOC, new byte[] {0x70, 0, 5});
    assertLayout("0003 70 00 05", seg);
  }

  @Test
  void shouldLayOutFinalDataInWithStatusAndOverflow() {
    assertLayout(
        "25 85 00 00" // F + O + S, status GOOD
            + " 00 000000"
            + " 0001000000000000" // LUN 1, peripheral addressing
            + " 00000007" // ITT
            + " ffffffff" // TTT
            + " 00000005 00000006 00000009" // StatSN, ExpCmdSN, MaxCmdSN
            + " 00000002" // DataSN
            + " 00002000" // Buffer Offset
            + " 00000100", // Residual Count
        DataPdu.dataInHeader(ALLOC, Bhs.FINAL_BIT | DataPdu.OVERFLOW_BIT | DataPdu.STATUS_BIT, 0,
            0x0001000000000000L, 7, 5, 6, 9, 2, 0x2000, 0x100));
  }

  @Test
  void shouldLayOutR2t() {
    assertLayout(
        "31 80 0000 00 000000"
            + " 0000000000000000" // LUN
            + " 0000000a 0000000b" // ITT, TTT
            + " 00000001 00000002 00000003" // StatSN (not advanced), ExpCmdSN, MaxCmdSN
            + " 00000004 00010000 00040000", // R2TSN, Buffer Offset, Desired Data Transfer Length
        R2tPdu.header(ALLOC, 0, 0xa, 0xb, 1, 2, 3, 4, 0x10000, 0x40000));
  }

  @Test
  void shouldLayOutTaskManagementResponse() {
    assertLayout(
        "22 80 01 00 00 000000 00000000 00000000"
            + " 00000042 00000000"
            + " 00000011 00000012 00000013"
            + " 00000000 00000000 00000000",
        TaskMgmtPdu.responseHeader(ALLOC, 0x42, TaskMgmtPdu.TASK_DOES_NOT_EXIST, 0x11, 0x12, 0x13));
  }

  @Test
  void shouldLayOutFinalLoginResponse() {
    assertLayout(
        "23 87 00 00" // T, CSG=1, NSG=3, version-max 0, version-active 0
            + " 00 000000"
            + " 400001370000 0005" // ISID, TSIH
            + " 00000077 00000000" // ITT, reserved
            + " 00000001 00000010 0000008f" // StatSN, ExpCmdSN, MaxCmdSN
            + " 0000 0000 00000000 00000000", // status class/detail, reserved
        LoginPdu.responseHeader(ALLOC, LoginPdu.flags(true, false, 1, 3), 0x400001370000L, 5, 0x77, 1, 0x10, 0x8f, 0));
  }

  @Test
  void shouldLayOutLoginRejectStatus() {
    ByteBuf h = LoginPdu.responseHeader(ALLOC, 0, 1, 0, 1, 0, 0, 0, 0x0203);
    assertEquals(2, LoginPdu.statusClass(h));
    assertEquals(3, LoginPdu.statusDetail(h));
    assertLayout("23 00 00 00 00 000000 000000000001 0000 00000001 00000000 00000000 00000000 00000000"
        + " 0203 0000 00000000 00000000", h);
  }

  @Test
  void shouldLayOutTextResponseWithContinueBit() {
    assertLayout(
        "24 40 0000 00 000000 0000000000000000"
            + " 00000009 00000021"
            + " 00000002 00000003 00000004"
            + " 00000000 00000000 00000000",
        TextPdu.responseHeader(ALLOC, false, true, 0, 9, 0x21, 2, 3, 4));
  }

  @Test
  void shouldLayOutLogoutResponse() {
    assertLayout(
        "26 80 00 00 00 000000 00000000 00000000"
            + " 00000033 00000000"
            + " 00000001 00000002 00000003"
            + " 00000000 0002 0014 00000000", // reserved, Time2Wait 2, Time2Retain 20
        LogoutPdu.responseHeader(ALLOC, 0x33, LogoutPdu.CLOSED, 1, 2, 3, 2, 20));
  }

  @Test
  void shouldLayOutNopInPing() {
    assertLayout(
        "20 80 0000 00 000000 0000000000000000"
            + " ffffffff 00000005" // ITT reserved, TTT expecting an answer
            + " 00000007 00000008 00000009"
            + " 00000000 00000000 00000000",
        NopPdu.nopInHeader(ALLOC, 0, Bhs.RESERVED_TAG, 5, 7, 8, 9));
  }

  @Test
  void shouldLayOutReject() {
    assertLayout(
        "3f 80 04 00 00 000000 00000000 00000000"
            + " ffffffff 00000000"
            + " 00000001 00000002 00000003"
            + " 00000000 00000000 00000000",
        RejectPdu.header(ALLOC, RejectPdu.PROTOCOL_ERROR, 1, 2, 3));
  }

  // ---------------------------------------------------------------- initiator PDUs (decoding)

  @Test
  void shouldReadScsiCommandFields() {
    ByteBuf b = Unpooled.wrappedBuffer(Hex.bytes(
        "41 a1 0000" // immediate SCSI Command; F, W, ATTR simple
            + " 00 000200" // DataSegmentLength 512
            + " 0002000000000000" // LUN 2
            + " 00000010" // ITT
            + " 80000000" // EDTL 2^31 (unsigned)
            + " 00000007 00000003" // CmdSN, ExpStatSN
            + " 2a000000 0001 00 0004 00 000000 000000")); // WRITE(10) LBA 1, 4 blocks
    assertEquals(Opcode.SCSI_COMMAND, Bhs.opcode(b));
    assertTrue(Bhs.immediate(b));
    assertTrue(Bhs.finalBit(b));
    assertTrue(ScsiCommandPdu.write(b));
    assertFalse(ScsiCommandPdu.read(b));
    assertEquals(1, ScsiCommandPdu.taskAttribute(b));
    assertEquals(512, Bhs.dataSegmentLength(b));
    assertEquals(0x0002000000000000L, Bhs.lun(b));
    assertEquals(0x10, Bhs.initiatorTaskTag(b));
    assertEquals(0x80000000L, ScsiCommandPdu.expectedDataTransferLength(b));
    assertEquals(7, ScsiCommandPdu.cmdSn(b));
    assertEquals(3, Bhs.expStatSn(b));
    assertArrayEquals(Hex.bytes("2a000000 0001 00 0004 00"), ScsiCommandPdu.cdb(b, 0));
  }

  @ParameterizedTest(name = "opcode {0} -> {1}-byte CDB")
  @CsvSource({"0x00, 6", "0x12, 6", "0x28, 10", "0x5a, 10", "0xa0, 12", "0x88, 16", "0x9e, 16", "0xc0, 16"})
  void shouldTrimCdbToItsGroupLength(String opcode, int length) {
    ByteBuf b = Unpooled.buffer(48).writeZero(48);
    b.setByte(ScsiCommandPdu.CDB_OFFSET, Integer.decode(opcode));
    assertEquals(length, ScsiCommandPdu.cdb(b, 0).length);
  }

  @Test
  void shouldTakeLongCdbBytesFromExtendedCdbAhs() {
    // Variable-length CDB (7Fh) of 32 bytes: 16 in the BHS, 16 in an Extended CDB AHS.
    byte[] cdb = new byte[32];
    cdb[0] = 0x7f;
    cdb[7] = 24; // additional CDB length: 8 + 24 = 32
    for (int i = 8; i < 32; i++) cdb[i] = (byte) i;
    ByteBuf b = Unpooled.buffer(48 + 20).writeZero(48);
    b.setByte(Bhs.TOTAL_AHS_LENGTH_OFFSET, 5); // 20 bytes of AHS
    b.setBytes(ScsiCommandPdu.CDB_OFFSET, cdb, 0, 16);
    b.writeShort(17); // AHSLength: reserved byte + 16 CDB bytes
    b.writeByte(ScsiCommandPdu.AHS_TYPE_EXTENDED_CDB);
    b.writeByte(0);
    b.writeBytes(cdb, 16, 16);
    assertArrayEquals(cdb, ScsiCommandPdu.cdb(b, Bhs.totalAhsLength(b)));
  }

  @Test
  void shouldReadDataOutFields() {
    ByteBuf b = Unpooled.wrappedBuffer(Hex.bytes(
        "05 80 0000 00 001000 0000000000000000"
            + " 00000010 00000022" // ITT, TTT
            + " 00000000 00000005" // reserved, ExpStatSN
            + " 00000000 00000003 fffff000 00000000")); // reserved, DataSN, Buffer Offset, reserved
    assertEquals(Opcode.DATA_OUT, Bhs.opcode(b));
    assertTrue(Bhs.finalBit(b));
    assertEquals(0x22, DataPdu.targetTransferTag(b));
    assertEquals(3, DataPdu.dataSn(b));
    assertEquals(0xfffff000L, DataPdu.bufferOffset(b));
    assertEquals(4096, Bhs.dataSegmentLength(b));
  }

  @Test
  void shouldReadTaskManagementRequestFields() {
    ByteBuf b = Unpooled.wrappedBuffer(Hex.bytes(
        "42 81 0000 00 000000 0001000000000000"
            + " 00000020 00000010" // ITT, Referenced Task Tag
            + " 00000008 00000002 00000007 00000000 00000000 00000000"));
    assertTrue(Bhs.immediate(b));
    assertEquals(1, TaskMgmtPdu.function(b));
    assertEquals(0x10, TaskMgmtPdu.referencedTaskTag(b));
    assertEquals(7, TaskMgmtPdu.refCmdSn(b));
    assertEquals(8, Bhs.cmdSn(b));
  }

  @Test
  void shouldReadLoginRequestFields() {
    ByteBuf b = Unpooled.wrappedBuffer(Hex.bytes(
        "43 81 00 00" // T, CSG 0, NSG 1, versions 0
            + " 00 000010"
            + " 80123456789a 0000" // ISID (random type), TSIH 0
            + " 00000001 0001 0000" // ITT, CID 1
            + " 00000005 00000000" // CmdSN, ExpStatSN
            + " 00000000 00000000 00000000 00000000"));
    assertTrue(LoginPdu.transit(b));
    assertFalse(LoginPdu.continueBit(b));
    assertEquals(0, LoginPdu.currentStage(b));
    assertEquals(1, LoginPdu.nextStage(b));
    assertEquals(0x80123456789aL, LoginPdu.isid(b));
    assertEquals(0, LoginPdu.tsih(b));
    assertEquals(1, LoginPdu.cid(b));
    assertEquals(5, Bhs.cmdSn(b));
  }

  @Test
  void shouldReadTextAndLogoutAndNopOutFields() {
    ByteBuf text = Unpooled.wrappedBuffer(Hex.bytes(
        "04 40 0000 00 000010 0000000000000000 00000009 ffffffff 00000004 00000001"
            + " 00000000 00000000 00000000 00000000"));
    assertTrue(TextPdu.continueBit(text));
    assertFalse(Bhs.finalBit(text));
    assertEquals(Bhs.RESERVED_TAG, TextPdu.targetTransferTag(text));
    ByteBuf logout = Unpooled.wrappedBuffer(Hex.bytes(
        "46 81 0000 00 000000 0000000000000000 00000003 0007 0000 00000009 00000001"
            + " 00000000 00000000 00000000 00000000"));
    assertEquals(LogoutPdu.REASON_CLOSE_CONNECTION, LogoutPdu.reason(logout));
    assertEquals(7, LogoutPdu.cid(logout));
    ByteBuf nop = Unpooled.wrappedBuffer(Hex.bytes(
        "40 80 0000 00 000000 0000000000000000 ffffffff 00000005 00000009 00000001"
            + " 00000000 00000000 00000000 00000000"));
    assertEquals(Bhs.RESERVED_TAG, Bhs.initiatorTaskTag(nop));
    assertEquals(5, NopPdu.targetTransferTag(nop));
  }
}
