package io.cairn.datapath.iscsi.session;

import java.util.HashMap;
import java.util.Map;

/**
 * The session's command window and ordered delivery (RFC 7143 section 4.2.2.1).
 *
 * <p>Window: a non-immediate command is accepted only when its CmdSN lies in [ExpCmdSN, MaxCmdSN]
 * and was not seen; anything else is ignored, as the RFC requires. ExpCmdSN moves past every
 * contiguously received CmdSN on arrival. MaxCmdSN = ExpCmdSN + window - 1 - (commands accepted and
 * not yet finished), and never moves backwards, so at most about {@code window} commands are ever
 * outstanding.
 *
 * <p>Delivery: accepted commands are handed on strictly in CmdSN order, each once it is
 * {@linkplain Command#ready() ready} (a write once its Data-Out is all in). A later command that is
 * ready waits behind an earlier one still collecting data. Immediate commands bypass this class.
 *
 * <p>Not thread-safe: one per session, used on its connection's event loop.
 */
public final class CommandSequencer {

  /** A command in CmdSN order. */
  public interface Command {
    /** Whether the command may be delivered now. */
    boolean ready();

    /** Hands the command on (to the SCSI layer, or performs it). Called once, in CmdSN order. */
    void deliver();
  }

  private final int window;
  private final Map<Integer, Command> pending = new HashMap<>();
  private int expCmdSn;
  private int maxCmdSn;
  private int nextToDeliver;
  private int outstanding;
  private boolean delivering;

  /**
   * @param firstCmdSn the CmdSN of the leading Login Request: the first command's CmdSN
   * @param window commands the session may have outstanding (MaxCmdSN - ExpCmdSN + 1 when idle)
   */
  public CommandSequencer(int firstCmdSn, int window) {
    if (window < 1) throw new IllegalArgumentException("window must be at least 1");
    this.window = window;
    this.expCmdSn = firstCmdSn;
    this.nextToDeliver = firstCmdSn;
    this.maxCmdSn = firstCmdSn + window - 1;
  }

  public int expCmdSn() {
    return expCmdSn;
  }

  public int maxCmdSn() {
    return maxCmdSn;
  }

  /** Commands accepted and not yet {@linkplain #finished() finished}. */
  public int outstanding() {
    return outstanding;
  }

  /** Whether a non-immediate command with this CmdSN would be accepted now. */
  public boolean acceptable(int cmdSn) {
    return SerialNumber.inWindow(cmdSn, expCmdSn, maxCmdSn) && !pending.containsKey(cmdSn);
  }

  /**
   * Accepts a non-immediate command, or refuses it (returns false, nothing changes) when its CmdSN
   * is outside the window or a duplicate. An accepted command counts as outstanding until
   * {@link #finished()} is called for it. Delivers whatever became deliverable.
   */
  public boolean offer(int cmdSn, Command command) {
    if (!acceptable(cmdSn)) return false;
    pending.put(cmdSn, command);
    outstanding++;
    while (pending.containsKey(expCmdSn)) expCmdSn++;
    deliverReady();
    return true;
  }

  /**
   * Delivers, in CmdSN order, every command at the head that is ready. Call when a command
   * became ready. Re-entrant calls (a delivery making another command ready) are folded into the
   * running loop.
   */
  public void deliverReady() {
    if (delivering) return;
    delivering = true;
    try {
      Command head;
      while ((head = pending.get(nextToDeliver)) != null && head.ready()) {
        pending.remove(nextToDeliver);
        nextToDeliver++;
        head.deliver();
      }
    } finally {
      delivering = false;
    }
  }

  /** One accepted command finished (answered, aborted or dropped): the window opens by one. */
  public void finished() {
    if (outstanding <= 0) throw new IllegalStateException("more commands finished than accepted");
    outstanding--;
    maxCmdSn = SerialNumber.max(maxCmdSn, expCmdSn + (window - outstanding) - 1);
  }

  /** Drops every command not yet delivered (connection closing); returns them for cleanup. */
  public Iterable<Command> drain() {
    var all = new java.util.ArrayList<>(pending.values());
    pending.clear();
    return all;
  }
}
