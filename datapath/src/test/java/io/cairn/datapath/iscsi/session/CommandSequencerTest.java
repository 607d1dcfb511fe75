package io.cairn.datapath.iscsi.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandSequencerTest {

  private final List<Integer> delivered = new ArrayList<>();

  private final class Cmd implements CommandSequencer.Command {
    final int sn;
    boolean ready;

    Cmd(int sn, boolean ready) {
      this.sn = sn;
      this.ready = ready;
    }

    @Override
    public boolean ready() {
      return ready;
    }

    @Override
    public void deliver() {
      delivered.add(sn);
    }
  }

  @Test
  void shouldAdvertiseTheWholeWindowWhenIdle() {
    CommandSequencer s = new CommandSequencer(10, 8);
    assertEquals(10, s.expCmdSn());
    assertEquals(17, s.maxCmdSn());
  }

  @Test
  void shouldDeliverInCmdSnOrderEvenWhenALaterCommandIsReadyFirst() {
    CommandSequencer s = new CommandSequencer(1, 8);
    Cmd write = new Cmd(1, false); // still collecting Data-Out
    Cmd read = new Cmd(2, true);
    assertTrue(s.offer(1, write));
    assertTrue(s.offer(2, read));
    assertEquals(List.of(), delivered);
    assertEquals(3, s.expCmdSn()); // both received: ExpCmdSN acknowledges them on arrival
    write.ready = true;
    s.deliverReady();
    assertEquals(List.of(1, 2), delivered);
  }

  @Test
  void shouldHoldCommandsBehindAGapUntilItIsFilled() {
    CommandSequencer s = new CommandSequencer(1, 8);
    assertTrue(s.offer(2, new Cmd(2, true)));
    assertTrue(s.offer(3, new Cmd(3, true)));
    assertEquals(1, s.expCmdSn());
    assertEquals(List.of(), delivered);
    assertTrue(s.offer(1, new Cmd(1, true)));
    assertEquals(4, s.expCmdSn());
    assertEquals(List.of(1, 2, 3), delivered);
  }

  @Test
  void shouldIgnoreDuplicatesAndCommandsOutsideTheWindow() {
    CommandSequencer s = new CommandSequencer(1, 4); // window [1, 4]
    assertTrue(s.offer(1, new Cmd(1, false)));
    assertFalse(s.offer(1, new Cmd(1, true)), "duplicate pending");
    assertFalse(s.offer(5, new Cmd(5, true)), "beyond MaxCmdSN");
    assertFalse(s.offer(0, new Cmd(0, true)), "already acknowledged");
    assertEquals(1, s.outstanding());
  }

  @Test
  void shouldCloseTheWindowWhenFullAndReopenItAsCommandsFinish() {
    CommandSequencer s = new CommandSequencer(100, 2);
    assertTrue(s.offer(100, new Cmd(100, true)));
    assertTrue(s.offer(101, new Cmd(101, true)));
    assertEquals(102, s.expCmdSn());
    assertEquals(101, s.maxCmdSn()); // MaxCmdSN = ExpCmdSN - 1: closed
    assertFalse(s.acceptable(102));
    s.finished();
    assertEquals(102, s.maxCmdSn());
    assertTrue(s.offer(102, new Cmd(102, true)));
    s.finished();
    s.finished();
    assertEquals(104, s.maxCmdSn());
    assertThrows(IllegalStateException.class, () -> {
      s.finished();
      s.finished();
    });
  }

  @Test
  void shouldNeverMoveMaxCmdSnBackwards() {
    CommandSequencer s = new CommandSequencer(1, 4);
    int before = s.maxCmdSn();
    assertTrue(s.offer(3, new Cmd(3, true))); // a gap: outstanding grows, ExpCmdSN does not
    assertEquals(before, s.maxCmdSn());
    s.finished();
    assertTrue(s.maxCmdSn() - before >= 0);
  }

  @Test
  void shouldWorkAcrossTheCmdSnWrap() {
    CommandSequencer s = new CommandSequencer(0xfffffffe, 8);
    for (int i = 0; i < 4; i++) {
      int sn = 0xfffffffe + i;
      assertTrue(s.offer(sn, new Cmd(sn, true)));
      s.finished();
    }
    assertEquals(List.of(0xfffffffe, 0xffffffff, 0, 1), delivered);
    assertEquals(2, s.expCmdSn());
    assertEquals(9, s.maxCmdSn());
  }

  @Test
  void shouldFoldReentrantDeliveriesIntoTheRunningLoop() {
    CommandSequencer s = new CommandSequencer(1, 8);
    Cmd second = new Cmd(2, false);
    CommandSequencer.Command first = new CommandSequencer.Command() {
      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public void deliver() {
        delivered.add(1);
        second.ready = true;
        s.deliverReady();
      }
    };
    assertTrue(s.offer(2, second));
    assertTrue(s.offer(1, first));
    assertEquals(List.of(1, 2), delivered);
  }
}
