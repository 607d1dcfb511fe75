package io.cairn.datapath.extentstore.replicated;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RepairGateTest {

  private final RepairGate gate = new RepairGate();

  @Test
  void shouldLetWritesInTogetherAndMakeARepairWaitForThemAll() {
    assertTrue(gate.enterShared(1).isDone());
    assertTrue(gate.enterShared(1).isDone());
    CompletableFuture<Void> repair = gate.enterExclusive(1);
    assertFalse(repair.isDone(), "two writes in flight");
    gate.leaveShared(1);
    assertFalse(repair.isDone(), "one write still in flight");
    gate.leaveShared(1);
    assertTrue(repair.isDone());
  }

  @Test
  void shouldHoldNewWritesBackWhileARepairWaitsOrRuns() {
    assertTrue(gate.enterShared(2).isDone());
    CompletableFuture<Void> repair = gate.enterExclusive(2);
    CompletableFuture<Void> late = gate.enterShared(2);
    assertFalse(late.isDone(), "a waiting repair is not starved by new writes");
    gate.leaveShared(2);
    assertTrue(repair.isDone());
    assertFalse(late.isDone(), "the repair runs alone");
    gate.leaveExclusive(2);
    assertTrue(late.isDone());
    gate.leaveShared(2);
    assertTrue(gate.enterExclusive(2).isDone(), "gate idle again");
  }

  @Test
  void shouldRunRepairsOneAtATimeAndThenReleaseEveryWaitingWrite() {
    assertTrue(gate.enterExclusive(3).isDone());
    CompletableFuture<Void> second = gate.enterExclusive(3);
    CompletableFuture<Void> w1 = gate.enterShared(3);
    CompletableFuture<Void> w2 = gate.enterShared(3);
    assertFalse(second.isDone());
    gate.leaveExclusive(3);
    assertTrue(second.isDone());
    assertFalse(w1.isDone() || w2.isDone());
    gate.leaveExclusive(3);
    assertTrue(w1.isDone() && w2.isDone());
    CompletableFuture<Void> third = gate.enterExclusive(3);
    assertFalse(third.isDone(), "both released writes hold the gate");
    gate.leaveShared(3);
    gate.leaveShared(3);
    assertTrue(third.isDone());
  }

  @Test
  void shouldRejectLeavingWithoutEntering() {
    assertThrows(IllegalStateException.class, () -> gate.leaveShared(4));
    assertThrows(IllegalStateException.class, () -> gate.leaveExclusive(4));
  }
}
