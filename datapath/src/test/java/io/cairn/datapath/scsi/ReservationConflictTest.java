package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.PrCommands.EA;
import static io.cairn.datapath.scsi.PrCommands.EA_AR;
import static io.cairn.datapath.scsi.PrCommands.EA_RO;
import static io.cairn.datapath.scsi.PrCommands.READ_KEYS;
import static io.cairn.datapath.scsi.PrCommands.WE;
import static io.cairn.datapath.scsi.PrCommands.WE_AR;
import static io.cairn.datapath.scsi.PrCommands.WE_RO;
import static io.cairn.datapath.scsi.PrCommands.prin;
import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.B;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which commands a persistent reservation (SPC-4 5.12.1 Table 63, SBC-3 4.17 Table 13, with ALLOW
 * COMMANDS 011b) and an SPC-2 reservation (SPC-2 5.5.1, with the SPC-4 5.12.3 exceptions of CRH = 1)
 * let through, for the holder, a registrant and a stranger.
 */
class ReservationConflictTest {

  static final ItNexus C = PersistentReserveOutTest.C;
  static final long KA = 0xA1, KB = 0xB2;

  private final ScsiHarness h = new ScsiHarness();
  private final PrCommands pr = new PrCommands(h, 0);

  /** What a command does to the medium or to the device, as the reservation tables group them. */
  enum Access { ALWAYS, READ, WRITE }

  record Command(String name, Access access, byte[] cdb, byte[] dataOut) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Command> COMMANDS = List.of(
      new Command("TEST UNIT READY", Access.ALWAYS, cdb(0x00, 0, 0, 0, 0, 0), null),
      new Command("INQUIRY", Access.ALWAYS, cdb(0x12, 0, 0, 0, 96, 0), null),
      new Command("REQUEST SENSE", Access.ALWAYS, cdb(0x03, 0, 0, 0, 18, 0), null),
      new Command("REPORT LUNS", Access.ALWAYS, cdb(0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0), null),
      new Command("READ CAPACITY(10)", Access.ALWAYS, cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0), null),
      new Command("READ CAPACITY(16)", Access.ALWAYS, cdb(0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0), null),
      new Command("PERSISTENT RESERVE IN", Access.ALWAYS, prin(READ_KEYS, 100), null),
      new Command("START STOP UNIT (start)", Access.ALWAYS, cdb(0x1B, 0, 0, 0, 0x01, 0), null),
      new Command("READ(10)", Access.READ, ScsiHarness.rw10(0x28, 0, 0, 1), null),
      new Command("READ(16)", Access.READ, ScsiHarness.rw16(0x88, 0, 0, 1), null),
      new Command("VERIFY(10)", Access.READ, ScsiHarness.rw10(0x2F, 0, 0, 1), null),
      new Command("PRE-FETCH(10)", Access.READ, ScsiHarness.rw10(0x34, 0, 0, 1), null),
      new Command("MODE SENSE(6)", Access.READ, cdb(0x1A, 0, 0x3F, 0, 255, 0), null),
      new Command("REPORT SUPPORTED OPERATION CODES", Access.READ, cdb(0xA3, 0x0C, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0), null),
      new Command("WRITE(10)", Access.WRITE, ScsiHarness.rw10(0x2A, 0, 0, 1), new byte[512]),
      new Command("WRITE(6)", Access.WRITE, ScsiHarness.rw6(0x0A, 0, 1), new byte[512]),
      new Command("WRITE AND VERIFY(10)", Access.WRITE, ScsiHarness.rw10(0x2E, 0, 0, 1), new byte[512]),
      new Command("SYNCHRONIZE CACHE(10)", Access.WRITE, ScsiHarness.rw10(0x35, 0, 0, 0), null),
      new Command("MODE SELECT(6)", Access.WRITE, cdb(0x15, 0x10, 0, 0, 0, 0), null),
      new Command("START STOP UNIT (stop)", Access.WRITE, cdb(0x1B, 0, 0, 0, 0x00, 0), null));

  private Outcome run(ItNexus n, Command c) {
    return c.dataOut() == null ? h.run(n, 0, c.cdb()) : h.run(n, 0, c.cdb(), c.dataOut(), c.dataOut().length);
  }

  /**
   * Whether SPC-4 lets {@code c} through the reservation of {@code type} for an I_T nexus that does
   * not hold it; {@code registered}: the nexus is a registrant. Written out from the tables.
   */
  static boolean allowedForNonHolder(int type, boolean registered, Access access) {
    if (access == Access.ALWAYS) return true;
    boolean registrantsHaveAccess = type == WE_RO || type == EA_RO || type == WE_AR || type == EA_AR;
    if (registered && registrantsHaveAccess) return true;
    boolean writeExclusive = type == WE || type == WE_RO || type == WE_AR;
    return access == Access.READ && writeExclusive;
  }

  static Stream<Arguments> typesAndCommands() {
    List<Arguments> out = new ArrayList<>();
    for (int type : new int[] {WE, EA, WE_RO, EA_RO, WE_AR, EA_AR}) {
      for (Command c : COMMANDS) out.add(Arguments.of(type, c));
    }
    return out.stream();
  }

  private void reserveByA(int type) {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.tur(C).assertGood();
    pr.reserve(A, KA, type).assertGood();
  }

  private static void assertAllowed(boolean allowed, Outcome o, String who) {
    if (allowed) {
      assertEquals(ScsiResponse.GOOD, o.status(), who + " should run; sense " + (o.sense() == null ? "none" : o.senseCode()));
    } else {
      assertEquals(ScsiResponse.RESERVATION_CONFLICT, o.status(), who + " should get RESERVATION CONFLICT");
    }
  }

  @ParameterizedTest(name = "type {0}: {1}")
  @MethodSource("typesAndCommands")
  void shouldLetThroughExactlyWhatTheReservationTypeAllows(int type, Command c) {
    reserveByA(type);

    assertAllowed(true, run(A, c), "the holder");
    assertAllowed(allowedForNonHolder(type, true, c.access()), run(B, c), "a registrant");
    assertAllowed(allowedForNonHolder(type, false, c.access()), run(C, c), "an unregistered nexus");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("commands")
  void shouldLetEverythingThroughWithRegistrationsButNoReservation(Command c) {
    pr.register(A, KA).assertGood();

    assertAllowed(true, run(B, c), "an unregistered nexus");
  }

  static Stream<Command> commands() {
    return COMMANDS.stream();
  }

  @Test
  void shouldNotCheckReservationsBeforeRejectingAnUnknownOpcode() {
    reserveByA(EA);

    h.run(C, 0, cdb(0xC0, 0, 0, 0, 0, 0)).assertCheck(SenseCode.INVALID_COMMAND_OPERATION_CODE);
    h.run(C, 0, cdb(0x5E, 0x1F, 0, 0, 0, 0, 0, 0, 8, 0)).assertInvalidField(1, 4);
  }

  @Test
  void shouldCheckCdbFieldsBeforeReservations() {
    reserveByA(EA);

    h.run(C, 0, ScsiHarness.rw10(0x28, 0x01, 0, 1)).assertInvalidField(1, 0);
  }

  // ---- SPC-2 RESERVE / RELEASE ----------------------------------------------------------------

  static final byte[] RESERVE_6 = cdb(0x16, 0, 0, 0, 0, 0);
  static final byte[] RELEASE_6 = cdb(0x17, 0, 0, 0, 0, 0);
  static final byte[] RESERVE_10 = cdb(0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  static final byte[] RELEASE_10 = cdb(0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  private static void assertConflict(Outcome o) {
    assertEquals(ScsiResponse.RESERVATION_CONFLICT, o.status(), "RESERVATION CONFLICT");
  }

  @Test
  void shouldReserveTheUnitForOneNexusWithReserve6() {
    h.run(A, 0, RESERVE_6).assertGood();
    h.run(A, 0, RESERVE_6).assertGood();

    assertConflict(h.run(B, 0, RESERVE_6));
    assertConflict(pr.read(B));
    assertConflict(pr.write(B));
    assertConflict(pr.tur(B));
    assertConflict(h.run(B, 0, cdb(0x1A, 0, 0x3F, 0, 255, 0)));
    h.run(B, 0, cdb(0x12, 0, 0, 0, 96, 0)).assertGood();
    h.run(B, 0, cdb(0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)).assertGood();
    h.run(B, 0, cdb(0x03, 0, 0, 0, 18, 0)).assertGood();
    pr.read(A).assertGood();
    pr.write(A).assertGood();

    h.run(B, 0, RELEASE_6).assertGood();
    assertConflict(pr.read(B));
    h.run(A, 0, RELEASE_6).assertGood();
    pr.read(B).assertGood();
    h.run(B, 0, RESERVE_6).assertGood();
    assertConflict(pr.read(A));
  }

  @Test
  void shouldReserveAndReleaseWithTheTenByteCommands() {
    h.run(A, 0, RESERVE_10).assertGood();
    assertConflict(h.run(B, 0, RESERVE_10));
    assertConflict(pr.write(B));
    h.run(A, 0, RELEASE_10).assertGood();
    h.run(B, 0, RESERVE_10).assertGood();
  }

  @Test
  void shouldRejectThirdPartyReservations() {
    h.run(A, 0, cdb(0x56, 0x10, 0, 7, 0, 0, 0, 0, 0, 0)).assertInvalidField(1, 4);
    h.run(A, 0, cdb(0x16, 0x10, 0, 0, 0, 0)).assertInvalidField(1, 4);
  }

  @Test
  void shouldMakeEveryPersistentReserveCommandConflictWhileAnSpc2ReservationIsHeld() {
    h.run(A, 0, RESERVE_6).assertGood();

    assertConflict(pr.in(A, READ_KEYS));
    assertConflict(pr.in(B, READ_KEYS));
    assertConflict(pr.register(A, KA));
    assertConflict(pr.register(B, KB));
    h.run(A, 0, RELEASE_6).assertGood();
    pr.register(A, KA).assertGood();
  }

  @Test
  void shouldReleaseAnSpc2ReservationWhenItsNexusIsLost() {
    h.run(A, 0, RESERVE_6).assertGood();

    h.service.nexusLost(A);

    h.run(B, 0, RESERVE_6).assertGood();
  }

  @Test
  void shouldReleaseAnSpc2ReservationOnLogicalUnitResetAndTargetResets() {
    for (TaskManagementFunction f : List.of(TaskManagementFunction.LOGICAL_UNIT_RESET, TaskManagementFunction.TARGET_WARM_RESET,
        TaskManagementFunction.TARGET_COLD_RESET)) {
      h.run(A, 0, RESERVE_6).assertGood();
      h.service.taskManagement(B, f, 0, 0).join();
      pr.clearUnitAttentions(A);
      h.run(B, 0, RESERVE_6).assertGood();
      h.run(B, 0, RELEASE_6).assertGood();
    }
  }

  @Test
  void shouldKeepPersistentReservationsThroughResetsAndNexusLoss() {
    reserveByA(EA);

    h.service.taskManagement(B, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0).join();
    h.service.taskManagement(B, TaskManagementFunction.TARGET_COLD_RESET, 0, 0).join();
    h.service.nexusLost(A);

    pr.clearUnitAttentions(C);
    assertConflict(pr.read(C));
    assertArrayEquals(hex("00000002 00000010 00000000000000a1 00000000000000b2"), pr.data(B, READ_KEYS));
  }

  @Test
  void shouldConflictReserve6FromAnyoneButTheHolderWhilePersistentRegistrationsExist() {
    pr.register(A, KA).assertGood();

    assertConflict(h.run(A, 0, RESERVE_6));
    assertConflict(h.run(B, 0, RESERVE_6));
    assertConflict(h.run(B, 0, RELEASE_6));

    pr.reserve(A, KA, WE).assertGood();
    h.run(A, 0, RESERVE_6).assertGood();
    h.run(A, 0, RELEASE_10).assertGood();
    // The holder's RESERVE established nothing: a stranger still reads through Write Exclusive,
    // and the persistent reservation is still there.
    pr.read(B).assertGood();
    assertConflict(pr.write(B));
    assertConflict(h.run(B, 0, RESERVE_6));
  }

  @Test
  void shouldAcceptReserve6WithoutEffectFromARegistrantOfARegistrantsOnlyReservation() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, WE_RO).assertGood();

    h.run(B, 0, RESERVE_10).assertGood();
    h.run(B, 0, RELEASE_10).assertGood();
    assertConflict(h.run(C, 0, RESERVE_10));
    pr.write(B).assertGood();
    pr.read(C).assertGood();
  }

  @Test
  void shouldNotReportReservationConflictForAnSpc2HoldersOwnCommands() {
    h.run(A, 0, RESERVE_6).assertGood();
    for (Command c : COMMANDS) {
      if (c.name().equals("PERSISTENT RESERVE IN")) continue;
      assertNotEquals(ScsiResponse.RESERVATION_CONFLICT, run(A, c).status(), c.name());
    }
    h.assertNoBufferLeft();
  }
}
