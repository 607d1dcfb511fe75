package io.cairn.datapath.scsi.copy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CopyResultsTest {

  private final CopyResults<String> results = new CopyResults<>();

  private static CopyOperation op(long listId) {
    return new CopyOperation(CopyParameterList.LID1, listId, CopyParameterList.LIST_ID_USAGE_NO_HOLD);
  }

  private static CopyOperation finished(long listId) {
    CopyOperation o = op(listId);
    o.completed();
    return o;
  }

  @Test
  void shouldRefuseAListIdentifierWhileItsCopyRunsAndReplaceItOnceFinished() {
    CopyOperation running = op(1);
    assertTrue(results.begin("a", running));

    assertFalse(results.begin("a", op(1)));
    assertTrue(results.begin("b", op(1)), "another nexus has its own list identifiers");
    running.completed();
    CopyOperation next = op(1);
    assertTrue(results.begin("a", next));
    assertSame(next, results.find("a", 1));
  }

  @Test
  void shouldDropTheOldestFinishedCopiesBeyondTheLimitButNeverARunningOne() {
    CopyOperation running = op(1000);
    results.begin("a", running);
    for (int i = 0; i < CopyResults.MAX_HELD_PER_NEXUS + 5; i++) results.begin("a", finished(i));

    assertSame(running, results.find("a", 1000));
    for (int i = 0; i < 5; i++) assertNull(results.find("a", i), "list " + i + " should have been dropped");
    for (int i = 5; i < CopyResults.MAX_HELD_PER_NEXUS + 5; i++) assertNotNull(results.find("a", i), "list " + i);
  }

  @Test
  void shouldForgetANexusAndClearEverything() {
    results.begin("a", finished(1));
    results.begin("b", finished(2));

    results.forget("a");
    assertNull(results.find("a", 1));
    assertNotNull(results.find("b", 2));
    results.clear();
    assertNull(results.find("b", 2));
  }

  @Test
  void shouldDiscardOnlyTheOperationStillHeld() {
    CopyOperation first = finished(1);
    results.begin("a", first);
    CopyOperation second = finished(1);
    results.begin("a", second);

    results.discard("a", first);
    assertSame(second, results.find("a", 1));
    results.discard("a", second);
    assertNull(results.find("a", 1));
  }
}
