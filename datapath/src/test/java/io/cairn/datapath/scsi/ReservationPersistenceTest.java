package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.PrCommands.EA;
import static io.cairn.datapath.scsi.PrCommands.READ_KEYS;
import static io.cairn.datapath.scsi.PrCommands.READ_RESERVATION;
import static io.cairn.datapath.scsi.PrCommands.RESERVE;
import static io.cairn.datapath.scsi.PrCommands.WE;
import static io.cairn.datapath.scsi.PrCommands.params;
import static io.cairn.datapath.scsi.PrCommands.prout;
import static io.cairn.datapath.scsi.ScsiHarness.A;
import static io.cairn.datapath.scsi.ScsiHarness.B;
import static io.cairn.datapath.scsi.ScsiHarness.cdb;
import static io.cairn.datapath.scsi.ScsiHarness.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Persistent reservations and their store: a PERSISTENT RESERVE OUT answers only once its state is
 * durable, a restarted service (a new one over the same store) enforces what was stored before it
 * runs any command, a save of unknown outcome is reloaded, and two writers cannot lose each other's
 * changes. SPC-2 reservations are not persistent.
 */
class ReservationPersistenceTest {

  static final long KA = 0xA1, KB = 0xB2;

  private final ControlledReservationStore store = new ControlledReservationStore();
  private final ScsiHarness h = new ScsiHarness(ScsiSettings.DEFAULT, store);
  private final PrCommands pr = new PrCommands(h, 0);

  /** The same target and store in a new service: what a node restart leaves. */
  private ScsiHarness restarted() {
    return new ScsiHarness(ScsiSettings.DEFAULT, store);
  }

  private static void assertConflict(Outcome o) {
    assertEquals(ScsiResponse.RESERVATION_CONFLICT, o.status(), "RESERVATION CONFLICT");
  }

  @Test
  void shouldKeepKeysAndReservationAndEnforceThemAfterARestart() {
    pr.register(A, KA).assertGood();
    pr.register(B, KB).assertGood();
    pr.reserve(A, KA, EA).assertGood();

    ScsiHarness after = restarted();
    PrCommands pr2 = new PrCommands(after, 0);

    assertArrayEquals(hex("00000002 00000010 00000000000000a1 00000000000000b2"), pr2.data(B, READ_KEYS));
    assertArrayEquals(hex("00000002 00000010 00000000000000a1 00000000 00 03 0000"), pr2.data(B, READ_RESERVATION));
    assertConflict(pr2.read(B));
    assertConflict(pr2.write(B));
    pr2.write(A).assertGood();
    pr2.release(A, KA, EA).assertGood();
    pr2.write(B).assertGood();
  }

  @Test
  void shouldNotKeepAnSpc2ReservationAcrossARestart() {
    h.run(A, 0, cdb(0x16, 0, 0, 0, 0, 0)).assertGood();

    PrCommands pr2 = new PrCommands(restarted(), 0);

    pr2.write(B).assertGood();
  }

  @Test
  void shouldHoldEveryCommandUntilTheStoredStateIsLoaded() {
    pr.register(A, KA).assertGood();
    pr.reserve(A, KA, WE).assertGood();
    store.holdLoads(true);
    ScsiHarness after = restarted();

    CompletableFuture<ScsiResponse> write = after.submit(B, 0, ScsiHarness.rw10(0x2A, 0, 0, 1), new byte[512], 512, Task.SIMPLE, 1);
    CompletableFuture<ScsiResponse> tur = after.submit(B, 0, cdb(0x00, 0, 0, 0, 0, 0), null, 0, Task.SIMPLE, 2);

    assertFalse(write.isDone(), "no command is checked before the reservations are loaded");
    assertFalse(tur.isDone());
    store.release();
    assertConflict(ScsiHarness.await(write));
    ScsiHarness.await(tur).assertGood();
    after.assertNoBufferLeft();
  }

  @Test
  void shouldAnswerNotReadyWhileTheStoreCannotBeReadAndRetryOnTheNextCommand() {
    pr.register(A, KA).assertGood();
    pr.reserve(A, KA, WE).assertGood();
    store.failNextLoads(2);
    ScsiHarness after = restarted();
    PrCommands pr2 = new PrCommands(after, 0);

    pr2.write(B).assertCheck(SenseCode.LOGICAL_UNIT_NOT_READY);
    pr2.tur(B).assertGood();

    assertConflict(pr2.write(B));
    after.assertNoBufferLeft();
  }

  @Test
  void shouldAnswerPersistentReserveOutOnlyOnceTheStateIsDurable() {
    pr.register(A, KA).assertGood();
    store.holdSaves(true);

    byte[] p = params(KA, 0, 0);
    CompletableFuture<ScsiResponse> reserve = h.submit(A, 0, prout(RESERVE, EA, 24), p, 24, Task.SIMPLE, 77);

    assertFalse(reserve.isDone(), "not answered before the store made it durable");
    assertEquals(1, store.heldCount());
    // Until then the reservation is not in force, and not reported.
    pr.write(B).assertGood();
    assertArrayEquals(hex("00000001 00000000"), pr.data(B, READ_RESERVATION));
    store.release();
    ScsiHarness.await(reserve).assertGood();
    assertConflict(pr.write(B));
    h.assertNoBufferLeft();
  }

  @Test
  void shouldRunPersistentReserveOutsOneAtATimeInArrivalOrder() {
    store.holdSaves(true);
    byte[] first = params(0, KA, 0);
    byte[] second = params(KA, KB, 0);
    CompletableFuture<ScsiResponse> register = h.submit(A, 0, prout(PrCommands.REGISTER, 0, 24), first, 24, Task.SIMPLE, 1);
    CompletableFuture<ScsiResponse> change = h.submit(A, 0, prout(PrCommands.REGISTER, 0, 24), second, 24, Task.SIMPLE, 2);

    assertEquals(1, store.heldCount(), "the second waits for the first to be durable before it is decided");
    store.holdSaves(false);
    store.release();

    ScsiHarness.await(register).assertGood();
    ScsiHarness.await(change).assertGood();
    assertArrayEquals(hex("00000002 00000008 00000000000000b2"), pr.data(A, READ_KEYS));
  }

  @Test
  void shouldFailAndKeepTheOldStateWhenTheSaveFails() {
    pr.register(A, KA).assertGood();
    store.failNextSaveBeforeWriting();

    pr.reserve(A, KA, EA).assertCheck(SenseCode.INTERNAL_TARGET_FAILURE);

    pr.write(B).assertGood();
    assertArrayEquals(hex("00000001 00000000"), pr.data(A, READ_RESERVATION));
  }

  @Test
  void shouldReloadTheStoredStateAfterASaveOfUnknownOutcome() {
    pr.register(A, KA).assertGood();
    int loadsBefore = store.loads;
    store.failNextSaveAfterWriting();

    pr.reserve(A, KA, EA).assertCheck(SenseCode.INTERNAL_TARGET_FAILURE);

    // The store did write it: the next command reloads and enforces it.
    assertConflict(pr.write(B));
    assertEquals(loadsBefore + 1, store.loads, "reloaded once");
    assertArrayEquals(hex("00000001 00000010 00000000000000a1 00000000 00 03 0000"), pr.data(A, READ_RESERVATION));
  }

  @Test
  void shouldDecideAgainOnTheStoredStateWhenAnotherWriterSavedFirst() {
    pr.tur(A).assertGood();
    ScsiHarness other = restarted();
    PrCommands pr2 = new PrCommands(other, 0);
    pr2.register(A, KA).assertGood();
    pr2.reserve(A, KA, WE).assertGood();

    // This service still holds the empty state it loaded: its save is refused as stale, then
    // decided again on what the other one stored.
    pr.register(B, KB).assertGood();
    assertConflict(pr.reserve(B, KB, WE));

    assertArrayEquals(hex("00000002 00000010 00000000000000a1 00000000000000b2"), pr.data(B, READ_KEYS));
    assertArrayEquals(hex("00000002 00000010 00000000000000a1 00000000 00 01 0000"), pr.data(B, READ_RESERVATION));
  }
}
