package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.login.LoginIdentity;
import io.cairn.datapath.iscsi.negotiation.SessionParameters;
import io.cairn.datapath.iscsi.pdu.Bhs;
import io.cairn.datapath.iscsi.pdu.DataPdu;
import io.cairn.datapath.iscsi.pdu.LogoutPdu;
import io.cairn.datapath.iscsi.pdu.NopPdu;
import io.cairn.datapath.iscsi.pdu.Opcode;
import io.cairn.datapath.iscsi.pdu.OutboundPdu;
import io.cairn.datapath.iscsi.pdu.Pdu;
import io.cairn.datapath.iscsi.pdu.R2tPdu;
import io.cairn.datapath.iscsi.pdu.RejectPdu;
import io.cairn.datapath.iscsi.pdu.ScsiCommandPdu;
import io.cairn.datapath.iscsi.pdu.ScsiResponsePdu;
import io.cairn.datapath.iscsi.pdu.TaskMgmtPdu;
import io.cairn.datapath.iscsi.pdu.TextPdu;
import io.cairn.datapath.iscsi.session.CommandSequencer;
import io.cairn.datapath.iscsi.session.SerialNumber;
import io.cairn.datapath.scsi.ItNexus;
import io.cairn.datapath.scsi.ScsiCommand;
import io.cairn.datapath.scsi.ScsiResponse;
import io.cairn.datapath.scsi.TaskAbortedException;
import io.cairn.datapath.scsi.TaskManagementFunction;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full feature phase of one session on its one connection (RFC 7143 sections 4 and 11): the
 * command window, SCSI commands with their Data-Out, Data-In and responses, NOP, task management,
 * text (SendTargets) and logout. SCSI semantics stay in the {@link io.cairn.datapath.scsi.ScsiService}:
 * this class only moves commands and data.
 *
 * <p>Threading: every method runs on the channel's event loop. SCSI layer futures complete on
 * arbitrary threads; their continuations hop back to the event loop before touching any state.
 *
 * <p>Buffers: each inbound PDU is released by {@link #onPdu} once handled (what outlives it is
 * copied). A write's Data-Out buffer belongs to its {@link ScsiTask} until handed to the SCSI layer;
 * Data-In buffers returned by the SCSI layer are released once their PDUs are queued.
 */
final class FullFeatureSession {

  private static final Logger LOG = LoggerFactory.getLogger(FullFeatureSession.class);

  private final ChannelHandlerContext ctx;
  private final ConnectionWriter out;
  private final PortalContext portal;
  private final LoginIdentity identity;
  private final ItNexus nexus;
  private final int cid;
  private final SessionParameters params;
  private final CommandSequencer sequencer;
  private final ScsiResponder responder;
  private final TextExchange text;
  private final Map<Integer, ScsiTask> tasks = new HashMap<>();
  /** A command that only consumes its CmdSN (a rejected one): it gives its slot back on delivery. */
  private final CommandSequencer.Command consumed;

  private int immediateOutstanding;
  private long pendingDataOutBytes;
  private int nextTtt = 1;
  private boolean closed;
  private boolean logoutRequested;
  private boolean logoutSent;
  private int logoutItt;
  private boolean logoutSequenced;
  private boolean pingOutstanding;

  /**
   * @param nexus the I_T nexus, or null for a discovery session
   * @param firstCmdSn CmdSN of the leading Login Request
   */
  FullFeatureSession(ChannelHandlerContext ctx, ConnectionWriter out, PortalContext portal, LoginIdentity identity,
      ItNexus nexus, int cid, SessionParameters params, int firstCmdSn) {
    this.ctx = ctx;
    this.out = out;
    this.portal = portal;
    this.identity = identity;
    this.nexus = nexus;
    this.cid = cid;
    this.params = params;
    this.sequencer = new CommandSequencer(firstCmdSn, portal.settings().maxCmdWindow());
    this.responder = new ScsiResponder(out, params);
    SendTargets sendTargets = new SendTargets(portal.catalog(), portal.portals(),
        (InetSocketAddress) ctx.channel().localAddress(), portal.portalGroupTag(), identity.initiatorName(),
        identity.discovery() ? null : identity.targetName());
    this.text = new TextExchange(sendTargets::respond, portal.limits().maxTextBytes(), this::newTtt);
    this.consumed = command(sequencer::finished);
    out.sequencer(sequencer);
  }

  /** Handles one inbound PDU and releases it. */
  void onPdu(Pdu pdu) {
    pingOutstanding = false;
    try {
      dispatch(pdu);
    } finally {
      pdu.release();
    }
  }

  private void dispatch(Pdu pdu) {
    int op = pdu.opcode();
    if (identity.discovery() && op != Opcode.TEXT_REQUEST && op != Opcode.LOGOUT_REQUEST) {
      // A discovery session carries only Text (SendTargets) and Logout (RFC 7143).
      rejectCommand(pdu, RejectPdu.PROTOCOL_ERROR);
      return;
    }
    if (logoutRequested && op != Opcode.DATA_OUT) {
      rejectCommand(pdu, RejectPdu.WAITING_FOR_LOGOUT);
      return;
    }
    switch (op) {
      case Opcode.NOP_OUT -> onNopOut(pdu);
      case Opcode.SCSI_COMMAND -> onScsiCommand(pdu);
      case Opcode.TASK_MGMT_REQUEST -> onTaskManagement(pdu);
      case Opcode.TEXT_REQUEST -> onText(pdu);
      case Opcode.DATA_OUT -> onDataOut(pdu);
      case Opcode.LOGOUT_REQUEST -> onLogout(pdu);
      // SNACK needs ErrorRecoveryLevel > 0; Login is over.
      case Opcode.SNACK_REQUEST, Opcode.LOGIN_REQUEST -> reject(pdu, RejectPdu.PROTOCOL_ERROR);
      default -> reject(pdu, RejectPdu.COMMAND_NOT_SUPPORTED);
    }
  }

  // ---------------------------------------------------------------- SCSI commands and Data-Out

  private void onScsiCommand(Pdu pdu) {
    ByteBuf b = pdu.bhs();
    boolean immediate = pdu.immediate();
    int cmdSn = ScsiCommandPdu.cmdSn(b);
    int itt = pdu.initiatorTaskTag();
    if (pdu.dataDigestError()) {
      // Discarded unseen, its CmdSN not consumed: the initiator may retry it (section 7.8).
      portal.counters().digestErrors.increment();
      reject(pdu, RejectPdu.DATA_DIGEST_ERROR);
      return;
    }
    if (!immediate && !sequencer.acceptable(cmdSn)) return; // outside the window: silently ignored
    if (immediate && immediateOutstanding >= portal.limits().maxImmediateCommands()) {
      reject(pdu, RejectPdu.TOO_MANY_IMMEDIATE_COMMANDS);
      return;
    }
    boolean read = ScsiCommandPdu.read(b);
    boolean write = ScsiCommandPdu.write(b);
    long edtl = ScsiCommandPdu.expectedDataTransferLength(b);
    int immediateLength = pdu.dataLength();
    int reason = 0;
    if (itt == Bhs.RESERVED_TAG) {
      reason = RejectPdu.INVALID_PDU_FIELD;
    } else if (tasks.containsKey(itt)) {
      reason = RejectPdu.TASK_IN_PROGRESS;
    } else if (read && write) {
      reason = RejectPdu.COMMAND_NOT_SUPPORTED; // bidirectional commands are not supported
    } else if (immediateLength > 0 && (!write || !params.immediateData()
        || immediateLength > params.firstBurstLength() || immediateLength > edtl)) {
      reason = RejectPdu.PROTOCOL_ERROR;
    } else if (write && !Bhs.finalBit(b) && params.initialR2t()) {
      reason = RejectPdu.PROTOCOL_ERROR; // unsolicited Data-Out announced although InitialR2T=Yes
    }
    if (reason != 0) {
      rejectCommand(pdu, reason);
      return;
    }
    ScsiTask task = new ScsiTask(itt, cmdSn, immediate, Bhs.lun(b), LunCodec.decode(Bhs.lun(b)),
        ScsiCommandPdu.cdb(b, pdu.ahsLength()), edtl, read, write, ScsiCommandPdu.taskAttribute(b), this::deliver);
    tasks.put(itt, task);
    if (immediate) immediateOutstanding++;
    if (write && edtl > 0) {
      startCollecting(task, pdu, !Bhs.finalBit(b));
    } else {
      task.state = ScsiTask.State.READY;
    }
    if (immediate) {
      if (task.ready()) deliver(task);
    } else {
      sequencer.offer(cmdSn, task);
    }
  }

  private void startCollecting(ScsiTask task, Pdu pdu, boolean unsolicited) {
    long limit = portal.limits().maxPendingDataOutBytes();
    int expected = (int) Math.min(task.edtl, Integer.MAX_VALUE);
    ByteBuf buffer = null;
    if (task.edtl > limit) {
      task.outcome = ScsiTask.Outcome.TARGET_FAILURE;
    } else if (pendingDataOutBytes + task.edtl > limit) {
      task.outcome = ScsiTask.Outcome.TASK_SET_FULL;
    } else {
      buffer = ctx.alloc().buffer(expected, expected);
      pendingDataOutBytes += expected;
    }
    int unsolicitedLimit = (int) Math.min(params.firstBurstLength(), task.edtl);
    task.startCollecting(buffer, expected, unsolicited, unsolicitedLimit, buffer != null);
    if (pdu.dataLength() > 0) task.immediateData(pdu.data());
    solicit(task);
    checkCollected(task);
  }

  private void onDataOut(Pdu pdu) {
    ByteBuf b = pdu.bhs();
    ScsiTask task = tasks.get(pdu.initiatorTaskTag());
    if (task == null || task.state != ScsiTask.State.COLLECTING) {
      // Data for a task already aborted or answered: discarded (section 11.5.1).
      return;
    }
    boolean corrupt = pdu.dataDigestError();
    if (corrupt) {
      portal.counters().digestErrors.increment();
      reject(pdu, RejectPdu.DATA_DIGEST_ERROR);
    }
    String violation = task.dataOut(DataPdu.targetTransferTag(b), DataPdu.dataSn(b), DataPdu.bufferOffset(b),
        Bhs.finalBit(b), pdu.data(), corrupt);
    if (violation != null) {
      // Confined to the task: it is answered with CHECK CONDITION once its data has ended.
      LOG.info("iSCSI Data-Out error from {} for task 0x{}: {}", identity.initiatorName(),
          Integer.toHexString(task.itt), violation);
      portal.counters().protocolErrors.increment();
    }
    solicit(task);
    checkCollected(task);
  }

  /** Sends as many R2Ts as the task may have open. */
  private void solicit(ScsiTask task) {
    while (task.canSolicit(params.maxOutstandingR2t())) {
      ScsiTask.R2tSequence seq = task.solicit(newTtt(), params.maxBurstLength());
      out.write(R2tPdu.header(out.alloc(), task.lunField, task.itt, seq.ttt, out.peekStatSn(), out.expCmdSn(),
          out.maxCmdSn(), seq.r2tSn, seq.offset, seq.length), null);
    }
  }

  private void checkCollected(ScsiTask task) {
    if (task.state != ScsiTask.State.COLLECTING || !task.dataComplete()) return;
    task.state = ScsiTask.State.READY;
    if (task.immediate) deliver(task);
    else sequencer.deliverReady();
  }

  /** Called in CmdSN order (immediate tasks: when ready) to hand the task on or answer it locally. */
  private void deliver(ScsiTask task) {
    if (closed) return;
    switch (task.outcome) {
      case DROPPED -> finish(task);
      case TASK_SET_FULL -> answerLocally(task, ScsiResponsePdu.RESPONSE_COMPLETED, ScsiResponse.TASK_SET_FULL, null);
      case TARGET_FAILURE -> answerLocally(task, ScsiResponsePdu.RESPONSE_TARGET_FAILURE, 0, null);
      case CRC_ERROR -> answerLocally(task, ScsiResponsePdu.RESPONSE_COMPLETED, ScsiResponse.CHECK_CONDITION,
          ScsiResponder.CRC_ERROR_SENSE);
      case DATA_ERROR -> answerLocally(task, ScsiResponsePdu.RESPONSE_COMPLETED, ScsiResponse.CHECK_CONDITION,
          task.failureSense());
      case NONE -> execute(task);
    }
  }

  private void answerLocally(ScsiTask task, int response, int status, byte[] sense) {
    pendingDataOutBytes -= task.releaseBuffer();
    tasks.remove(task.itt, task);
    task.state = ScsiTask.State.DONE;
    finish(task);
    responder.respondLocal(task, response, status, sense);
    maybeCompleteLogout();
  }

  private void execute(ScsiTask task) {
    task.state = ScsiTask.State.EXECUTING;
    pendingDataOutBytes -= task.bufferedBytes();
    ByteBuf dataOut = task.takeBuffer();
    ScsiCommand command = new ScsiCommand(task.lun, task.cdb, (int) Math.min(task.edtl, Integer.MAX_VALUE),
        task.read, task.write, task.itt, task.attribute, dataOut);
    CompletableFuture<ScsiResponse> future;
    try {
      future = portal.scsi().execute(nexus, command);
    } catch (RuntimeException e) {
      future = CompletableFuture.failedFuture(e);
    }
    future.whenComplete((response, failure) ->
        onEventLoop(() -> completed(task, response, failure), response));
  }

  private void completed(ScsiTask task, ScsiResponse response, Throwable failure) {
    if (closed) {
      releaseResponse(response);
      return;
    }
    tasks.remove(task.itt, task);
    task.state = ScsiTask.State.DONE;
    finish(task);
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof TaskAbortedException) {
      // Aborted by task management: no response (section 11.5.1).
      maybeCompleteLogout();
      return;
    }
    if (cause != null || response == null) {
      LOG.warn("SCSI layer failed command 0x{} of {} instead of answering it", Integer.toHexString(task.itt), nexus, cause);
      releaseResponse(response);
      responder.respondLocal(task, ScsiResponsePdu.RESPONSE_TARGET_FAILURE, 0, null);
    } else {
      responder.respond(task, response);
    }
    out.flush();
    maybeCompleteLogout();
  }

  /** Gives the task's slot back: the CmdSN window widens (or the immediate count drops). */
  private void finish(ScsiTask task) {
    if (task.finished) return;
    task.finished = true;
    if (task.immediate) immediateOutstanding--;
    else sequencer.finished();
  }

  // ---------------------------------------------------------------- NOP, text, logout

  private void onNopOut(Pdu pdu) {
    ByteBuf b = pdu.bhs();
    int itt = pdu.initiatorTaskTag();
    if (itt == Bhs.RESERVED_TAG) return; // no answer wanted (a reply to a ping, or a one-way ping)
    if (pdu.dataDigestError()) {
      portal.counters().digestErrors.increment();
      reject(pdu, RejectPdu.DATA_DIGEST_ERROR);
      return;
    }
    long lun = Bhs.lun(b);
    byte[] ping = new byte[Math.min(pdu.dataLength(), params.initiatorMaxRecvDataSegmentLength())];
    pdu.data().getBytes(0, ping);
    if (pdu.immediate()) {
      sendNopIn(itt, lun, ping);
    } else {
      sequencer.offer(Bhs.cmdSn(b), command(() -> {
        sequencer.finished();
        sendNopIn(itt, lun, ping);
      }));
    }
  }

  private void sendNopIn(int itt, long lun, byte[] ping) {
    ByteBuf data = null;
    if (ping.length > 0) {
      data = out.alloc().buffer(ping.length);
      data.writeBytes(ping);
    }
    out.write(NopPdu.nopInHeader(out.alloc(), lun, itt, Bhs.RESERVED_TAG, out.takeStatSn(), out.expCmdSn(),
        out.maxCmdSn()), data);
  }

  /** The connection was idle for the NOP-In interval: ping, or give up if the last ping went unanswered. */
  void idle() {
    if (closed) return;
    if (pingOutstanding) {
      LOG.info("iSCSI initiator {} did not answer a NOP-In ping; closing its connection", identity.initiatorName());
      ctx.close();
      return;
    }
    pingOutstanding = true;
    out.write(NopPdu.nopInHeader(out.alloc(), 0, Bhs.RESERVED_TAG, newTtt(), out.peekStatSn(), out.expCmdSn(),
        out.maxCmdSn()), null);
    out.flush();
  }

  private void onText(Pdu pdu) {
    ByteBuf b = pdu.bhs();
    if (pdu.dataDigestError()) {
      portal.counters().digestErrors.increment();
      reject(pdu, RejectPdu.DATA_DIGEST_ERROR);
      return;
    }
    int itt = pdu.initiatorTaskTag();
    int ttt = TextPdu.targetTransferTag(b);
    boolean cont = TextPdu.continueBit(b);
    long lun = Bhs.lun(b);
    byte[] data = pdu.dataBytes();
    byte[] header = new byte[Bhs.LENGTH];
    b.getBytes(0, header);
    if (pdu.immediate()) {
      textRequest(header, itt, ttt, cont, lun, data);
    } else {
      sequencer.offer(Bhs.cmdSn(b), command(() -> {
        sequencer.finished();
        textRequest(header, itt, ttt, cont, lun, data);
      }));
    }
  }

  private void textRequest(byte[] header, int itt, int ttt, boolean cont, long lun, byte[] data) {
    try {
      TextExchange.Reply reply = text.onRequest(itt, ttt, cont, data, params.initiatorMaxRecvDataSegmentLength());
      ByteBuf segment = null;
      if (reply.data().length > 0) {
        segment = out.alloc().buffer(reply.data().length);
        segment.writeBytes(reply.data());
      }
      out.write(TextPdu.responseHeader(out.alloc(), reply.fin(), reply.cont(), lun, itt, reply.ttt(), out.takeStatSn(),
          out.expCmdSn(), out.maxCmdSn()), segment);
    } catch (TextExchange.Rejected e) {
      LOG.debug("Text Request rejected: {}", e.getMessage());
      out.reject(Unpooled.wrappedBuffer(header), e.reason);
    }
  }

  private void onLogout(Pdu pdu) {
    ByteBuf b = pdu.bhs();
    int itt = pdu.initiatorTaskTag();
    int reason = LogoutPdu.reason(b);
    int logoutCid = LogoutPdu.cid(b);
    if (pdu.immediate()) {
      logout(itt, reason, logoutCid, false);
    } else {
      sequencer.offer(Bhs.cmdSn(b), command(() -> logout(itt, reason, logoutCid, true)));
    }
  }

  private void logout(int itt, int reason, int logoutCid, boolean sequenced) {
    int refusal = -1;
    if (reason == LogoutPdu.REASON_REMOVE_FOR_RECOVERY) refusal = LogoutPdu.RECOVERY_NOT_SUPPORTED;
    else if (reason == LogoutPdu.REASON_CLOSE_CONNECTION && logoutCid != cid) refusal = LogoutPdu.CID_NOT_FOUND;
    if (refusal >= 0) {
      if (sequenced) sequencer.finished();
      out.write(LogoutPdu.responseHeader(out.alloc(), itt, refusal, out.takeStatSn(), out.expCmdSn(), out.maxCmdSn(),
          0, 0), null);
      return;
    }
    // Close the session (its only connection): commands not yet with the SCSI layer are dropped,
    // those executing are answered first, then the Logout Response goes out and the connection closes.
    logoutRequested = true;
    logoutItt = itt;
    logoutSequenced = sequenced;
    dropWhere(t -> true);
    maybeCompleteLogout();
  }

  private void maybeCompleteLogout() {
    if (!logoutRequested || logoutSent || closed || !tasks.isEmpty()) return;
    logoutSent = true;
    if (logoutSequenced) sequencer.finished();
    ByteBuf header = LogoutPdu.responseHeader(out.alloc(), logoutItt, LogoutPdu.CLOSED, out.takeStatSn(),
        out.expCmdSn(), out.maxCmdSn(), 0, 0);
    ctx.writeAndFlush(new OutboundPdu(header, null)).addListener(ChannelFutureListener.CLOSE);
  }

  // ---------------------------------------------------------------- task management

  private void onTaskManagement(Pdu pdu) {
    ByteBuf b = pdu.bhs();
    int itt = pdu.initiatorTaskTag();
    int function = TaskMgmtPdu.function(b);
    long lun = Bhs.lun(b);
    int referenced = TaskMgmtPdu.referencedTaskTag(b);
    if (pdu.immediate() && immediateOutstanding >= portal.limits().maxImmediateCommands()) {
      reject(pdu, RejectPdu.TOO_MANY_IMMEDIATE_COMMANDS);
      return;
    }
    boolean neverReceived = function == TaskManagementFunction.ABORT_TASK.code
        && consumeNeverReceived(referenced, TaskMgmtPdu.refCmdSn(b), Bhs.cmdSn(b));
    if (pdu.immediate()) {
      immediateOutstanding++;
      taskManagement(itt, function, lun, referenced, false, neverReceived);
    } else {
      sequencer.offer(Bhs.cmdSn(b), command(() -> taskManagement(itt, function, lun, referenced, true, neverReceived)));
    }
  }

  /**
   * ABORT TASK of a command that never arrived (RFC 7143 section 11.6.1 a): when no task has the
   * referenced tag and RefCmdSN lies in the command window, below the request's own CmdSN, the
   * target considers that CmdSN received (and the command aborted): the hole it left in the
   * window is filled, so later commands are delivered, and the command is ignored should it still
   * come. The function then completes.
   *
   * @return whether the CmdSN was consumed so
   */
  private boolean consumeNeverReceived(int referencedTag, int refCmdSn, int cmdSn) {
    if (tasks.containsKey(referencedTag)) return false;
    if (!sequencer.acceptable(refCmdSn) || !SerialNumber.lessThan(refCmdSn, cmdSn)) return false;
    return sequencer.offer(refCmdSn, consumed);
  }

  private void taskManagement(int itt, int code, long lunField, int referenced, boolean sequenced,
      boolean neverReceived) {
    Runnable release = sequenced ? sequencer::finished : () -> immediateOutstanding--;
    if (neverReceived) {
      release.run();
      sendTaskManagementResponse(itt, TaskMgmtPdu.FUNCTION_COMPLETE);
      out.flush();
      return;
    }
    TaskManagementFunction function = TaskManagementFunction.of(code);
    if (function == null || function == TaskManagementFunction.TASK_REASSIGN) {
      release.run();
      sendTaskManagementResponse(itt, function == null ? TaskMgmtPdu.FUNCTION_NOT_SUPPORTED
          : TaskMgmtPdu.REASSIGNMENT_NOT_SUPPORTED);
      return;
    }
    int lun = LunCodec.decode(lunField);
    switch (function) {
      case ABORT_TASK -> {
        ScsiTask task = tasks.get(referenced);
        if (task != null && (task.state == ScsiTask.State.COLLECTING || task.state == ScsiTask.State.READY)) {
          // Still in the transport (collecting Data-Out or waiting for its turn): drop it here.
          drop(task);
          release.run();
          sendTaskManagementResponse(itt, TaskMgmtPdu.FUNCTION_COMPLETE);
          return;
        }
      }
      case ABORT_TASK_SET, CLEAR_TASK_SET, LOGICAL_UNIT_RESET -> dropWhere(t -> t.lun == lun);
      case TARGET_WARM_RESET, TARGET_COLD_RESET -> dropWhere(t -> true);
      default -> { }
    }
    boolean cold = function == TaskManagementFunction.TARGET_COLD_RESET;
    CompletableFuture<Integer> future;
    try {
      future = portal.scsi().taskManagement(nexus, function, lun, referenced);
    } catch (RuntimeException e) {
      future = CompletableFuture.failedFuture(e);
    }
    future.whenComplete((response, failure) -> onEventLoop(() -> {
      if (closed) return;
      release.run();
      if (failure != null) LOG.warn("SCSI layer failed task management {} of {}", function, nexus, failure);
      sendTaskManagementResponse(itt, failure != null || response == null ? TaskMgmtPdu.FUNCTION_REJECTED : response);
      if (cold) {
        // TARGET COLD RESET: respond, then close every connection of every session of the target,
        // on every portal, this one included (section 11.5.1).
        for (IscsiSession other : portal.registry().sessionsOf(identity.targetName())) {
          if (!other.connection().runsOn(ctx.channel())) other.connection().drop();
        }
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      } else {
        out.flush();
      }
    }, null));
  }

  private void sendTaskManagementResponse(int itt, int response) {
    out.write(TaskMgmtPdu.responseHeader(out.alloc(), itt, response, out.takeStatSn(), out.expCmdSn(),
        out.maxCmdSn()), null);
  }

  /** Drops every task still in the transport (not yet with the SCSI layer) that matches. */
  private void dropWhere(Predicate<ScsiTask> which) {
    List<ScsiTask> victims = new ArrayList<>();
    for (ScsiTask t : tasks.values()) {
      if ((t.state == ScsiTask.State.COLLECTING || t.state == ScsiTask.State.READY) && which.test(t)) victims.add(t);
    }
    for (ScsiTask t : victims) drop(t);
  }

  private void drop(ScsiTask task) {
    tasks.remove(task.itt, task);
    pendingDataOutBytes -= task.releaseBuffer();
    task.outcome = ScsiTask.Outcome.DROPPED;
    task.state = ScsiTask.State.READY;
    // Immediate tasks are not in the sequencer; queued ones give their slot back when their turn comes.
    if (task.immediate) finish(task);
    else sequencer.deliverReady();
  }

  // ---------------------------------------------------------------- errors and plumbing

  /** Rejects a command PDU; a non-immediate one in the window still consumes its CmdSN. */
  private void rejectCommand(Pdu pdu, int reason) {
    int op = pdu.opcode();
    boolean carriesCmdSn = op == Opcode.NOP_OUT || op == Opcode.SCSI_COMMAND || op == Opcode.TASK_MGMT_REQUEST
        || op == Opcode.TEXT_REQUEST || op == Opcode.LOGOUT_REQUEST;
    if (carriesCmdSn && !pdu.immediate()) {
      if (!sequencer.acceptable(Bhs.cmdSn(pdu.bhs()))) return; // outside the window: ignored
      sequencer.offer(Bhs.cmdSn(pdu.bhs()), consumed);
    }
    reject(pdu, reason);
  }

  private void reject(Pdu pdu, int reason) {
    LOG.debug("rejecting {} with reason 0x{}", pdu, Integer.toHexString(reason));
    out.reject(pdu.bhs(), reason);
  }

  private int newTtt() {
    int ttt = nextTtt++;
    if (ttt == Bhs.RESERVED_TAG) ttt = nextTtt++;
    return ttt;
  }

  private CommandSequencer.Command command(Runnable action) {
    return new CommandSequencer.Command() {
      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public void deliver() {
        action.run();
      }
    };
  }

  /** Runs on the channel's event loop; if the loop is gone, releases what the result holds. */
  private void onEventLoop(Runnable action, ScsiResponse response) {
    try {
      ctx.executor().execute(action);
    } catch (RejectedExecutionException e) {
      releaseResponse(response);
    }
  }

  private static void releaseResponse(ScsiResponse response) {
    if (response != null && response.dataIn() != null) response.dataIn().release();
  }

  /** The connection closed: releases every buffer the transport still holds. */
  void close() {
    if (closed) return;
    closed = true;
    for (ScsiTask t : tasks.values()) {
      if (t.state != ScsiTask.State.EXECUTING) pendingDataOutBytes -= t.releaseBuffer();
    }
    tasks.clear();
    sequencer.drain();
    text.reset();
  }
}
