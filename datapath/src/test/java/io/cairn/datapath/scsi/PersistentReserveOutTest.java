package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.PrCommands.ALL_TG_PT;
import static io.cairn.datapath.scsi.PrCommands.APTPL;
import static io.cairn.datapath.scsi.PrCommands.CLEAR;
import static io.cairn.datapath.scsi.PrCommands.EA;
import static io.cairn.datapath.scsi.PrCommands.EA_AR;
import static io.cairn.datapath.scsi.PrCommands.PREEMPT;
import static io.cairn.datapath.scsi.PrCommands.PREEMPT_AND_ABORT;
import static io.cairn.datapath.scsi.PrCommands.READ_FULL_STATUS;
import static io.cairn.datapath.scsi.PrCommands.READ_KEYS;
import static io.cairn.datapath.scsi.PrCommands.READ_RESERVATION;
import static io.cairn.datapath.scsi.PrCommands.REGISTER;
import static io.cairn.datapath.scsi.PrCommands.REGISTER_AND_IGNORE;
import static io.cairn.datapath.scsi.PrCommands.REGISTER_AND_MOVE;
import static io.cairn.datapath.scsi.PrCommands.RELEASE;
import static io.cairn.datapath.scsi.PrCommands.REPORT_CAPABILITIES;
import static io.cairn.datapath.scsi.PrCommands.RESERVE;
import static io.cairn.datapath.scsi.PrCommands.SPEC_I_PT;
import static io.cairn.datapath.scsi.PrCommands.WE;
import static io.cairn.datapath.scsi.PrCommands.WE_AR;
import static io.cairn.datapath.scsi.PrCommands.WE_RO;
import static io.cairn.datapath.scsi.PrCommands.params;
import static io.cairn.datapath.scsi.PrCommands.prin;
import static io.cairn.datapath.scsi.PrCommands.prout;
import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.B;
import static io.cairn.datapath.scsi.ScsiHarness.IQN;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * PERSISTENT RESERVE OUT, every service action, and PERSISTENT RESERVE IN, every service action, on
 * one LUN through the SCSI service: exact parameter data, status and sense (SPC-4 5.12, 6.16, 6.17).
 */
class PersistentReserveOutTest {

  static final ItNexus C = new ItNexus("iqn.1994-05.com.example:host-c", 0x23D000000003L, IQN, 1);
  /** Initiator port A through another target port (portal group 2). */
  static final ItNexus A2 = new ItNexus(A.initiatorName(), A.isid(), IQN, 2);

  static final long KA = 0x1122334455667788L;
  static final long KB = 0x0BBB0BBB0BBB0BBBL;
  static final long KC = 0x0CCCL;

  private final ScsiHarness h = new ScsiHarness();
  private final PrCommands pr = new PrCommands(h, 0);

  private static void assertConflict(Outcome o) {
    assertEquals(ScsiResponse.RESERVATION_CONFLICT, o.status(), () -> "expected RESERVATION CONFLICT, got status " + o.status());
    assertEquals(null, o.sense());
  }

  private static void assertInvalidParameter(Outcome o, int offset, int bit) {
    o.assertCheck(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST);
    assertFalse(SenseData.pointsIntoCdb(o.sense()), "C/D = 0: the pointer is into the parameter list");
    assertEquals(offset, SenseData.fieldPointer(o.sense()), "field pointer");
    assertEquals(bit, SenseData.bitPointer(o.sense()), "bit pointer");
  }

  private static String key(long k) {
    return String.format("%016x", k);
  }

  private byte[] keys() {
    return pr.data(A, READ_KEYS);
  }

  // ---- REGISTER / REGISTER AND IGNORE EXISTING KEY ------------------------------------------

  @Test
  void shouldRegisterAKeyAndListItWithTheNextGeneration() {
    pr.out(A, REGISTER, 0, 0, KA, 0).assertGood();

    assertArrayEquals(hex("00000001 00000008" + key(KA)), keys());
  }

  @Test
  void shouldAnswerReadKeysWithoutRegistrationsWithAnEmptyList() {
    assertArrayEquals(hex("00000000 00000000"), keys());
  }

  @Test
  void shouldListOneKeyPerRegistrationInRegistrationOrder() {
    pr.register(B, KB).assertGood();
    pr.register(A, KA).assertGood();
    pr.register(C, KB).assertGood();

    assertArrayEquals(hex("00000003 00000018" + key(KB) + key(KA) + key(KB)), keys());
  }

  @Test
  void shouldConflictWhenAnUnregisteredNexusRegistersWithANonZeroReservationKey() {
    assertConflict(pr.out(A, REGISTER, 0, KB, KA, 0));
    assertArrayEquals(hex("00000000 00000000"), keys());
  }

  @Test
  void shouldConflictWhenARegisteredNexusReregistersWithoutItsKey() {
    pr.register(A, KA).assertGood();

    assertConflict(pr.out(A, REGISTER, 0, 0, KA + 1, 0));
    assertConflict(pr.out(A, REGISTER, 0, KB, KA + 1, 0));
    assertArrayEquals(hex("00000001 00000008" + key(KA)), keys());
  }

  @Test
  void shouldChangeTheKeyOfARegistrationInPlace() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();

    pr.out(A, REGISTER, 0, KA, KC, 0).assertGood();

    assertArrayEquals(hex("00000003 00000010" + key(KC) + key(KB)), keys());
  }

  @Test
  void shouldUnregisterWithServiceActionKeyZero() {
    pr.register(A, KA).assertGood();

    pr.out(A, REGISTER, 0, KA, 0, 0).assertGood();

    assertArrayEquals(hex("00000002 00000000"), keys());
  }

  @Test
  void shouldDoNothingWhenAnUnregisteredNexusUnregisters() {
    pr.out(A, REGISTER, 0, 0, 0, 0).assertGood();
    pr.out(A, REGISTER_AND_IGNORE, 0, 0, 0, 0).assertGood();

    assertArrayEquals(hex("00000000 00000000"), keys(), "no registration, generation unchanged");
  }

  @Test
  void shouldReplaceAnyExistingKeyWithRegisterAndIgnoreExistingKey() {
    pr.register(A, KA).assertGood();

    pr.out(A, REGISTER_AND_IGNORE, 0, 0xDEAD, KB, 0).assertGood();

    assertArrayEquals(hex("00000002 00000008" + key(KB)), keys());
    pr.out(A, REGISTER_AND_IGNORE, 0, 0xDEAD, 0, 0).assertGood();
    assertArrayEquals(hex("00000003 00000000"), keys());
  }

  @Test
  void shouldRejectAParameterListThatIsNot24Bytes() {
    for (int length : new int[] {0, 8, 23, 25, 32}) {
      byte[] p = Arrays.copyOf(params(0, KA, 0), length);
      h.run(A, 0, prout(REGISTER, 0, length), p, length).assertCheck(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
    }
    assertArrayEquals(hex("00000000 00000000"), keys());
  }

  @Test
  void shouldRejectSpecIptAsAnUnsupportedParameterField() {
    assertInvalidParameter(pr.out(A, REGISTER, 0, 0, KA, SPEC_I_PT), 20, 3);
    assertInvalidParameter(pr.out(A, REGISTER_AND_IGNORE, 0, 0, KA, SPEC_I_PT), 20, 3);
    byte[] p = Arrays.copyOf(params(0, KA, SPEC_I_PT), 28);
    assertInvalidParameter(h.run(A, 0, prout(REGISTER, 0, 28), p, 28), 20, 3);
    assertArrayEquals(hex("00000000 00000000"), keys());
  }

  @Test
  void shouldFailWithInvalidFieldInInformationUnitWhenDataOutIsShorterThanTheList() {
    byte[] p = params(0, KA, 0);
    h.run(A, 0, prout(REGISTER, 0, 24), Arrays.copyOf(p, 16), 16).assertCheck(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
  }

  @Test
  void shouldRegisterOnEveryTargetPortWithAllTgPt() {
    pr.out(A, REGISTER, 0, 0, KA, ALL_TG_PT).assertGood();

    // The same initiator port through portal group 2 is registered: it must use the key.
    assertConflict(pr.out(A2, REGISTER, 0, 0, KB, 0));
    pr.reserve(A2, KA, WE).assertGood();
    assertArrayEquals(hex("00000001 00000010" + key(KA) + "00000000 00 01 0000"), pr.data(B, READ_RESERVATION));
  }

  @Test
  void shouldConflictWhenAllTgPtWouldRegisterAPortAlreadyRegisteredThroughAnotherTargetPort() {
    pr.register(A2, KB).assertGood();

    assertConflict(pr.out(A, REGISTER, 0, 0, KA, ALL_TG_PT));
    assertConflict(pr.out(A, REGISTER_AND_IGNORE, 0, 0, KA, ALL_TG_PT));
    assertArrayEquals(hex("00000001 00000008" + key(KB)), keys());
  }

  @Test
  void shouldKeepRegistrationsOfOneInitiatorPortPerTargetPortApartWithoutAllTgPt() {
    pr.register(A, KA).assertGood();
    pr.register(A2, KB).assertGood();

    assertArrayEquals(hex("00000002 00000010" + key(KA) + key(KB)), keys());
  }

  // ---- RESERVE / RELEASE ----------------------------------------------------------------------

  @Test
  void shouldReserveAndReportTheHolderKeyAndType() {
    pr.register(A, KA).assertGood();

    pr.reserve(A, KA, WE_RO).assertGood();

    // PRGENERATION is not changed by RESERVE; SCOPE 0 | TYPE 5 in byte 21.
    assertArrayEquals(hex("00000001 00000010" + key(KA) + "00000000 00 05 0000"), pr.data(B, READ_RESERVATION));
  }

  @Test
  void shouldReportReservationKeyZeroForAllRegistrantsTypes() {
    pr.register(A, KA).assertGood();

    pr.reserve(A, KA, EA_AR).assertGood();

    assertArrayEquals(hex("00000001 00000010 0000000000000000 00000000 00 08 0000"), pr.data(A, READ_RESERVATION));
  }

  @Test
  void shouldAnswerReadReservationWithoutAReservationWithTheHeaderOnly() {
    pr.register(A, KA).assertGood();

    assertArrayEquals(hex("00000001 00000000"), pr.data(A, READ_RESERVATION));
  }

  @Test
  void shouldConflictWhenAnUnregisteredNexusOrAWrongKeyReserves() {
    pr.register(A, KA).assertGood();

    assertConflict(pr.reserve(B, KA, WE));
    assertConflict(pr.reserve(A, KB, WE));
    assertArrayEquals(hex("00000001 00000000"), pr.data(A, READ_RESERVATION));
  }

  @Test
  void shouldLetTheHolderReserveAgainWithTheSameTypeOnly() {
    pr.register(A, KA).assertGood();
    pr.reserve(A, KA, WE).assertGood();

    pr.reserve(A, KA, WE).assertGood();
    assertConflict(pr.reserve(A, KA, EA));
  }

  @Test
  void shouldConflictWhenAnotherRegistrantReservesAReservedUnit() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, WE).assertGood();

    assertConflict(pr.reserve(B, KB, WE));
  }

  @Test
  void shouldLetEveryRegistrantHoldAnAllRegistrantsReservation() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, WE_AR).assertGood();

    pr.reserve(B, KB, WE_AR).assertGood();
    pr.release(B, KB, WE_AR).assertGood();

    pr.tur(A).assertCheck(SenseCode.RESERVATIONS_RELEASED);
    assertArrayEquals(hex("00000002 00000000"), pr.data(A, READ_RESERVATION));
  }

  @Test
  void shouldRejectScopeOtherThanLogicalUnitAndReservedTypes() {
    pr.register(A, KA).assertGood();

    pr.reserve(A, KA, 0x10 | WE).assertInvalidField(2, 7);
    for (int type : new int[] {0, 2, 4, 9, 15}) pr.reserve(A, KA, type).assertInvalidField(2, 3);
    pr.release(A, KA, 0).assertInvalidField(2, 3);
    pr.out(A, PREEMPT, 0x20 | EA, KA, KA, 0).assertInvalidField(2, 7);
  }

  @Test
  void shouldIgnoreScopeAndTypeOfRegisterAndClear() {
    pr.out(A, REGISTER, 0xFF, 0, KA, 0).assertGood();
    pr.out(A, CLEAR, 0xFF, KA, 0, 0).assertGood();
  }

  @Test
  void shouldReleaseOnlyForTheHolderWithTheReservationType() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, EA).assertGood();

    pr.release(B, KB, EA).assertGood();
    assertArrayEquals(hex("00000002 00000010" + key(KA) + "00000000 00 03 0000"), pr.data(A, READ_RESERVATION),
        "a non-holder's RELEASE does nothing");
    pr.release(A, KA, WE).assertCheck(SenseCode.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
    assertConflict(pr.release(A, KB, EA));
    assertConflict(pr.release(C, KA, EA));

    pr.release(A, KA, EA).assertGood();
    assertArrayEquals(hex("00000002 00000000"), pr.data(A, READ_RESERVATION));
    pr.tur(B).assertGood();
  }

  @Test
  void shouldTellOtherRegistrantsReservationsReleasedWhenARegistrantsOnlyReservationIsReleased() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.tur(C).assertGood();
    pr.reserve(A, KA, WE_RO).assertGood();

    pr.release(A, KA, WE_RO).assertGood();

    pr.tur(B).assertCheck(SenseCode.RESERVATIONS_RELEASED);
    pr.tur(B).assertGood();
    pr.tur(A).assertGood();
    pr.tur(C).assertGood();
  }

  @Test
  void shouldReleaseTheReservationWhenItsHolderUnregisters() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, EA_RO()).assertGood();

    pr.out(A, REGISTER, 0, KA, 0, 0).assertGood();

    assertArrayEquals(hex("00000003 00000000"), pr.data(A, READ_RESERVATION));
    pr.tur(B).assertCheck(SenseCode.RESERVATIONS_RELEASED);
    pr.write(B).assertGood();
  }

  private static int EA_RO() {
    return PrCommands.EA_RO;
  }

  @Test
  void shouldKeepAnAllRegistrantsReservationUntilTheLastRegistrantLeaves() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, EA_AR).assertGood();

    pr.out(A, REGISTER, 0, KA, 0, 0).assertGood();
    assertArrayEquals(hex("00000003 00000010 0000000000000000 00000000 00 08 0000"), pr.data(B, READ_RESERVATION));
    assertConflict(pr.read(A));

    pr.out(B, REGISTER, 0, KB, 0, 0).assertGood();
    assertArrayEquals(hex("00000004 00000000"), pr.data(B, READ_RESERVATION));
    pr.read(A).assertGood();
  }

  // ---- CLEAR ----------------------------------------------------------------------------------

  @Test
  void shouldClearEveryRegistrationAndTheReservationAndTellTheOthersReservationsPreempted() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(B, KB, EA).assertGood();

    assertConflict(pr.out(C, CLEAR, 0, KC, 0, 0));
    assertConflict(pr.out(A, CLEAR, 0, KB, 0, 0));
    pr.out(A, CLEAR, 0, KA, 0, 0).assertGood();

    assertArrayEquals(hex("00000003 00000000"), keys());
    assertArrayEquals(hex("00000003 00000000"), pr.data(A, READ_RESERVATION));
    pr.tur(B).assertCheck(SenseCode.RESERVATIONS_PREEMPTED);
    pr.tur(A).assertGood();
  }

  // ---- PREEMPT / PREEMPT AND ABORT -------------------------------------------------------------

  @Test
  void shouldPreemptAnotherRegistrationWithoutAReservationAndTellItRegistrationsPreempted() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.register(C, KB).assertGood();

    pr.out(A, PREEMPT, EA, KA, KB, 0).assertGood();

    assertArrayEquals(hex("00000004 00000008" + key(KA)), keys());
    assertArrayEquals(hex("00000004 00000000"), pr.data(A, READ_RESERVATION), "PREEMPT of registrations reserves nothing");
    pr.tur(B).assertCheck(SenseCode.REGISTRATIONS_PREEMPTED);
    pr.tur(C).assertCheck(SenseCode.REGISTRATIONS_PREEMPTED);
    pr.tur(A).assertGood();
  }

  @Test
  void shouldConflictWhenNoRegistrationHasThePreemptedKey() {
    pr.register(A, KA).assertGood();

    assertConflict(pr.out(A, PREEMPT, EA, KA, KB, 0));
    assertConflict(pr.out(B, PREEMPT, EA, KB, KA, 0));
    assertArrayEquals(hex("00000001 00000008" + key(KA)), keys());
  }

  @Test
  void shouldRejectPreemptOfKeyZeroUnlessAnAllRegistrantsReservationExists() {
    pr.register(A, KA).assertGood();
    assertInvalidParameter(pr.out(A, PREEMPT, EA, KA, 0, 0), 8, 7);
    pr.register(B, KB).assertGood();
    pr.reserve(B, KB, WE).assertGood();
    assertInvalidParameter(pr.out(A, PREEMPT, EA, KA, 0, 0), 8, 7);
  }

  @Test
  void shouldPreemptTheReservationAndTakeItWithTheNewType() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.register(C, KC).assertGood();
    pr.reserve(B, KB, WE).assertGood();

    pr.out(A, PREEMPT, EA, KA, KB, 0).assertGood();

    assertArrayEquals(hex("00000004 00000010" + key(KA) + key(KC)), keys());
    assertArrayEquals(hex("00000004 00000010" + key(KA) + "00000000 00 03 0000"), pr.data(A, READ_RESERVATION));
    pr.tur(B).assertCheck(SenseCode.REGISTRATIONS_PREEMPTED);
    // The type changed (WE to EA): the registrant that stayed is told its reservation went.
    pr.tur(C).assertCheck(SenseCode.RESERVATIONS_RELEASED);
    pr.tur(A).assertGood();
  }

  @Test
  void shouldLetTheHolderPreemptItselfToChangeTheType() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, WE).assertGood();

    pr.out(A, PREEMPT, EA, KA, KA, 0).assertGood();

    assertArrayEquals(hex("00000003 00000010" + key(KA) + key(KB)), keys(), "the preempting registration stays");
    assertArrayEquals(hex("00000003 00000010" + key(KA) + "00000000 00 03 0000"), pr.data(A, READ_RESERVATION));
    pr.tur(B).assertCheck(SenseCode.RESERVATIONS_RELEASED);
  }

  @Test
  void shouldPreemptEveryOtherRegistrantOfAnAllRegistrantsReservationWithKeyZero() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.register(C, KC).assertGood();
    pr.reserve(B, KB, WE_AR).assertGood();

    pr.out(A, PREEMPT, WE, KA, 0, 0).assertGood();

    assertArrayEquals(hex("00000004 00000008" + key(KA)), keys());
    assertArrayEquals(hex("00000004 00000010" + key(KA) + "00000000 00 01 0000"), pr.data(A, READ_RESERVATION));
    pr.tur(B).assertCheck(SenseCode.REGISTRATIONS_PREEMPTED);
    pr.tur(C).assertCheck(SenseCode.REGISTRATIONS_PREEMPTED);
  }

  @Test
  void shouldRemoveOnlyRegistrationsWhenPreemptingANonHolderKeyUnderAReservation() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.register(C, KC).assertGood();
    pr.reserve(B, KB, WE).assertGood();

    pr.out(A, PREEMPT, EA, KA, KC, 0).assertGood();

    assertArrayEquals(hex("00000004 00000010" + key(KA) + key(KB)), keys());
    assertArrayEquals(hex("00000004 00000010" + key(KB) + "00000000 00 01 0000"), pr.data(A, READ_RESERVATION));
    pr.tur(C).assertCheck(SenseCode.REGISTRATIONS_PREEMPTED);
    pr.tur(B).assertGood();
  }

  @Test
  void shouldAbortThePreemptedNexusTasksBeforeAnsweringPreemptAndAbort() {
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(0, pending);
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    CompletableFuture<ScsiResponse> bRead = h.submit(B, 0, ScsiHarness.rw10(0x28, 0, 0, 1), null, 512, Task.SIMPLE, 9001);
    CompletableFuture<ScsiResponse> aRead = h.submit(A, 0, ScsiHarness.rw10(0x28, 0, 0, 1), null, 512, Task.SIMPLE, 9002);
    assertEquals(2, pending.pendingCount());

    byte[] p = params(KA, KB, 0);
    CompletableFuture<ScsiResponse> preempt = h.submit(A, 0, prout(PREEMPT_AND_ABORT, EA, 24), p, 24, Task.SIMPLE, 9003);

    assertTrue(bRead.isCompletedExceptionally(), "B's task is aborted");
    assertFalse(aRead.isDone(), "the preempting nexus's task runs on");
    assertFalse(preempt.isDone(), "PREEMPT AND ABORT waits until the aborted I/O has returned");
    pending.completeAll();
    ScsiHarness.await(preempt).assertGood();
    ScsiHarness.await(aRead).assertGood();
    assertArrayEquals(hex("00000003 00000008" + key(KA)), keys());
    h.assertNoBufferLeft();
  }

  @Test
  void shouldNotAbortAnythingWithPlainPreempt() {
    PendingVDiskIo pending = new PendingVDiskIo();
    h.replaceIo(0, pending);
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    CompletableFuture<ScsiResponse> bRead = h.submit(B, 0, ScsiHarness.rw10(0x28, 0, 0, 1), null, 512, Task.SIMPLE, 9001);

    pr.out(A, PREEMPT, EA, KA, KB, 0).assertGood();

    assertFalse(bRead.isDone());
    pending.completeAll();
    ScsiHarness.await(bRead).assertGood();
  }

  // ---- REGISTER AND MOVE --------------------------------------------------------------------

  /** REGISTER AND MOVE parameter list with an iSCSI initiator port TransportID (format 01b). */
  static byte[] moveParams(long key, long newKey, int flags, int relativeTargetPort, String transportIdText) {
    byte[] text = transportIdText.getBytes(StandardCharsets.US_ASCII);
    int tidLength = Math.max(24, (4 + text.length + 1 + 3) & ~3);
    ByteBuffer b = ByteBuffer.allocate(24 + tidLength);
    b.putLong(key).putLong(newKey).put((byte) 0).put((byte) flags).putShort((short) relativeTargetPort).putInt(tidLength);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (tidLength - 4)).put(text);
    return b.array();
  }

  private Outcome move(ItNexus n, byte[] p) {
    return h.run(n, 0, prout(REGISTER_AND_MOVE, 0, p.length), p, p.length);
  }

  @Test
  void shouldMoveTheReservationToAnotherInitiatorPortAndRegisterItsKey() {
    pr.register(A, KA).assertGood();
    pr.reserve(A, KA, WE_RO).assertGood();
    pr.tur(B).assertGood();

    move(A, moveParams(KA, KB, 0, 1, B.initiatorPortName())).assertGood();

    assertArrayEquals(hex("00000002 00000010" + key(KA) + key(KB)), keys());
    assertArrayEquals(hex("00000002 00000010" + key(KB) + "00000000 00 05 0000"), pr.data(A, READ_RESERVATION));
    pr.release(B, KB, WE_RO).assertGood();
  }

  @Test
  void shouldUnregisterTheSourceWithUnreg() {
    pr.register(A, KA).assertGood();
    pr.reserve(A, KA, EA).assertGood();

    // The separator and the ISID digits are case-insensitive.
    move(A, moveParams(KA, KB, 0x02, 1, B.initiatorName() + ",I,0X23D000000002")).assertGood();

    assertArrayEquals(hex("00000002 00000008" + key(KB)), keys());
    assertConflict(pr.read(A));
    pr.read(B).assertGood();
  }

  @Test
  void shouldRefuseRegisterAndMoveFromANonHolderOrUnderAnAllRegistrantsReservation() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    assertConflict(move(A, moveParams(KA, KC, 0, 1, C.initiatorPortName())));
    pr.reserve(B, KB, EA).assertGood();
    assertConflict(move(A, moveParams(KA, KC, 0, 1, C.initiatorPortName())));
    pr.release(B, KB, EA).assertGood();
    pr.reserve(B, KB, EA_AR).assertGood();
    assertConflict(move(B, moveParams(KB, KC, 0, 1, C.initiatorPortName())));
  }

  @Test
  void shouldRejectRegisterAndMoveToItselfOrWithoutAPortTransportId() {
    pr.register(A, KA).assertGood();
    pr.reserve(A, KA, EA).assertGood();

    assertInvalidParameter(move(A, moveParams(KA, KB, 0, 1, A.initiatorPortName())), 24, 7);
    assertInvalidParameter(move(A, moveParams(KA, KB, 0, 1, B.initiatorName())), 24, 7);
    assertInvalidParameter(move(A, moveParams(KA, 0, 0, 1, B.initiatorPortName())), 8, 7);
    assertInvalidParameter(move(A, moveParams(KA, KB, 0, 0, B.initiatorPortName())), 18, 7);
    byte[] truncated = Arrays.copyOf(moveParams(KA, KB, 0, 1, B.initiatorPortName()), 30);
    move(A, truncated).assertCheck(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
    assertArrayEquals(hex("00000001 00000010" + key(KA) + "00000000 00 03 0000"), pr.data(A, READ_RESERVATION));
  }

  // ---- PERSISTENT RESERVE IN ------------------------------------------------------------------

  @Test
  void shouldReportCapabilities() {
    // LENGTH 8; CRH | ATP_C | PTPL_C; TMV | ALLOW COMMANDS 011b; all six types; PTPL_A follows APTPL.
    assertArrayEquals(hex("0008 15 b0 ea01 0000"), pr.data(A, REPORT_CAPABILITIES));
    pr.out(A, REGISTER, 0, 0, KA, APTPL).assertGood();
    assertArrayEquals(hex("0008 15 b1 ea01 0000"), pr.data(A, REPORT_CAPABILITIES));
  }

  @Test
  void shouldReportFullStatusWithIscsiTransportIds() {
    pr.register(A, KA).assertGood();
    pr.out(B, REGISTER, 0, 0, KB, ALL_TG_PT).assertGood();
    pr.reserve(A, KA, WE_RO).assertGood();

    byte[] d = pr.data(A, READ_FULL_STATUS);

    // "iqn.1994-05.com.example:host-a,i,0x23d000000001" is 47 characters: with its NUL, 48 bytes.
    String tidA = "45 00 0030" + HexFormat.of().formatHex("iqn.1994-05.com.example:host-a,i,0x23d000000001".getBytes(StandardCharsets.US_ASCII)) + "00";
    String tidB = "45 00 0030" + HexFormat.of().formatHex("iqn.1994-05.com.example:host-b,i,0x23d000000002".getBytes(StandardCharsets.US_ASCII)) + "00";
    String descA = key(KA) + "00000000" + "01 05" + "00000000" + "0001" + "00000034" + tidA;
    String descB = key(KB) + "00000000" + "02 00" + "00000000" + "0000" + "00000034" + tidB;
    // Two descriptors of 24 + 52 bytes.
    assertArrayEquals(hex("00000002 00000098" + descA + descB), d);
  }

  @Test
  void shouldTruncateToTheAllocationLengthButKeepTheAdditionalLength() {
    pr.register(A, KA).assertGood();

    byte[] d = h.run(A, 0, prin(READ_KEYS, 8)).assertGood().data();

    assertArrayEquals(hex("00000001 00000008"), d);
  }

  @Test
  void shouldRejectReservedServiceActions() {
    for (int sa = 4; sa < 0x20; sa++) h.run(A, 0, prin(sa, 100)).assertInvalidField(1, 4);
    for (int sa = 8; sa < 0x20; sa++) h.run(A, 0, prout(sa, 0, 24), params(0, KA, 0), 24).assertInvalidField(1, 4);
  }

  @Test
  void shouldNotChangeTheGenerationOnReserveOrRelease() {
    pr.register(A, KA).assertGood();
    pr.reserve(A, KA, WE).assertGood();
    pr.release(A, KA, WE).assertGood();

    assertArrayEquals(hex("00000001 00000008" + key(KA)), keys());
    h.assertNoBufferLeft();
  }
}
