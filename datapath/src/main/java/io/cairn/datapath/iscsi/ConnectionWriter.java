package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.pdu.Bhs;
import io.cairn.datapath.iscsi.pdu.OutboundPdu;
import io.cairn.datapath.iscsi.pdu.RejectPdu;
import io.cairn.datapath.iscsi.session.CommandSequencer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;

/**
 * Writes target PDUs on one connection and owns its StatSN (RFC 7143 section 4.2.2.2): every
 * response carrying status takes the next StatSN; R2T, intermediate Data-In and target NOP-In
 * pings carry it without taking it. ExpCmdSN and MaxCmdSN come from the session's
 * {@link CommandSequencer} once in full feature phase, from the login's CmdSN before.
 *
 * <p>Writes do not flush; the connection flushes at the end of each read batch and after each
 * asynchronous completion. Event loop only.
 */
final class ConnectionWriter {

  private final ChannelHandlerContext ctx;
  private final PortalCounters counters;
  private int statSn;
  private CommandSequencer sequencer;
  private int loginExpCmdSn;
  private int loginMaxCmdSn;

  ConnectionWriter(ChannelHandlerContext ctx, PortalCounters counters, int initialStatSn) {
    this.ctx = ctx;
    this.counters = counters;
    this.statSn = initialStatSn;
  }

  ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  /** During login: the window the Login Responses advertise. */
  void loginWindow(int expCmdSn, int maxCmdSn) {
    this.loginExpCmdSn = expCmdSn;
    this.loginMaxCmdSn = maxCmdSn;
  }

  /** From full feature phase on: the session's window. */
  void sequencer(CommandSequencer sequencer) {
    this.sequencer = sequencer;
  }

  /** Takes the next StatSN (for a PDU that carries status). */
  int takeStatSn() {
    return statSn++;
  }

  /** The next StatSN, not taken (R2T, NOP-In ping, intermediate Data-In). */
  int peekStatSn() {
    return statSn;
  }

  int expCmdSn() {
    return sequencer != null ? sequencer.expCmdSn() : loginExpCmdSn;
  }

  int maxCmdSn() {
    return sequencer != null ? sequencer.maxCmdSn() : loginMaxCmdSn;
  }

  /** Queues a PDU; ownership of {@code header} and {@code data} passes to the channel. */
  void write(ByteBuf header, ByteBuf data) {
    if (!ctx.channel().isActive()) {
      header.release();
      if (data != null) data.release();
      return;
    }
    ctx.write(new OutboundPdu(header, data), ctx.voidPromise());
  }

  void flush() {
    ctx.flush();
  }

  /**
   * Sends a Reject (RFC 7143 section 11.17) carrying the rejected PDU's BHS as its data segment.
   *
   * @param rejected the rejected PDU's frame, index 0 at its BHS (not released here)
   */
  void reject(ByteBuf rejected, int reason) {
    ByteBuf header = RejectPdu.header(alloc(), reason, takeStatSn(), expCmdSn(), maxCmdSn());
    ByteBuf data = alloc().buffer(Bhs.LENGTH);
    data.writeBytes(rejected, 0, Math.min(Bhs.LENGTH, rejected.capacity()));
    counters.rejects.increment();
    write(header, data);
  }
}
