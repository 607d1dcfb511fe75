package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.login.LoginIdentity;
import io.cairn.datapath.iscsi.login.LoginRequest;
import io.cairn.datapath.iscsi.login.LoginStateMachine;
import io.cairn.datapath.iscsi.login.LoginStatus;
import io.cairn.datapath.iscsi.login.LoginStep;
import io.cairn.datapath.iscsi.negotiation.SessionParameters;
import io.cairn.datapath.iscsi.pdu.LoginPdu;
import io.cairn.datapath.iscsi.pdu.Opcode;
import io.cairn.datapath.iscsi.pdu.Pdu;
import io.cairn.datapath.iscsi.pdu.PduDecoder;
import io.cairn.datapath.iscsi.pdu.PduEncoder;
import io.cairn.datapath.iscsi.pdu.PduFramingException;
import io.cairn.datapath.scsi.ItNexus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection: the last handler of the channel pipeline, after {@link PduDecoder} and
 * {@link PduEncoder}. Keeps the connection's phase apart from the framing: login (a
 * {@link LoginStateMachine}) until the final Login Response, then full feature phase (a
 * {@link FullFeatureSession}). Switches digests and the data segment limit at the end of login,
 * enforces the login timeout, pings idle initiators, and on close releases everything and tells
 * the SCSI layer the nexus is lost.
 *
 * <p>Everything runs on the channel's event loop. Nothing thrown while handling a PDU leaves this
 * handler: a failure closes this connection and no other.
 */
final class IscsiConnection extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(IscsiConnection.class);

  private enum Phase { LOGIN, AWAITING_REINSTATEMENT, FULL_FEATURE, CLOSED }

  private final PortalContext portal;
  private final PduDecoder decoder;
  private final PduEncoder encoder;
  private final LoginStateMachine login;
  private ChannelHandlerContext ctx;
  private Phase phase = Phase.LOGIN;
  private ConnectionWriter out;
  private ScheduledFuture<?> loginTimer;
  private FullFeatureSession session;
  private IscsiSession registered;
  private ItNexus nexus;
  /** ISID and ITT of the latest Login Request, echoed in Login Responses. */
  private long isid;
  private int itt;

  IscsiConnection(PortalContext portal, PduDecoder decoder, PduEncoder encoder) {
    this.portal = portal;
    this.decoder = decoder;
    this.encoder = encoder;
    this.login = new LoginStateMachine(portal.loginConfig());
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    portal.counters().connectionsAccepted.increment();
    portal.counters().connectionsActive.increment();
    Duration timeout = portal.settings().loginTimeout();
    loginTimer = ctx.executor().schedule(this::loginTimedOut, timeout.toNanos(), TimeUnit.NANOSECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Pdu pdu)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      switch (phase) {
        case LOGIN -> onLoginPdu(pdu);
        case FULL_FEATURE -> session.onPdu(pdu);
        default -> {
          // Nothing may arrive while a reinstatement is pending or after close.
          pdu.release();
          if (phase == Phase.AWAITING_REINSTATEMENT) protocolClose("PDU during session reinstatement");
        }
      }
    } catch (RuntimeException e) {
      String what = pdu.refCnt() > 0 ? pdu.toString() : "a PDU";
      if (pdu.refCnt() > 0) pdu.release();
      LOG.warn("failure handling {} from {}; closing the connection", what, ctx.channel().remoteAddress(), e);
      portal.counters().protocolErrors.increment();
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.flush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // Back-pressure: stop reading new commands while the socket cannot take our responses.
    ctx.channel().config().setAutoRead(ctx.channel().isWritable());
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && session != null) {
      session.idle();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof PduFramingException || cause.getCause() instanceof PduFramingException) {
      LOG.info("malformed iSCSI stream from {}: {}; closing the connection", ctx.channel().remoteAddress(),
          cause.getMessage());
      portal.counters().protocolErrors.increment();
      if (cause.getMessage() != null && cause.getMessage().contains("digest")) {
        portal.counters().digestErrors.increment();
      }
    } else if (cause instanceof IOException) {
      LOG.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      LOG.warn("unexpected failure on connection {}", ctx.channel().remoteAddress(), cause);
      portal.counters().protocolErrors.increment();
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Phase was = phase;
    phase = Phase.CLOSED;
    portal.counters().connectionsActive.decrement();
    if (loginTimer != null) loginTimer.cancel(false);
    if (session != null) {
      session.close();
      portal.counters().sessionsActive.decrement();
    }
    try {
      if (nexus != null && was == Phase.FULL_FEATURE) portal.scsi().nexusLost(nexus);
    } catch (RuntimeException e) {
      LOG.warn("SCSI layer failed nexusLost({})", nexus, e);
    } finally {
      if (registered != null) {
        portal.registry().remove(registered);
        registered.terminated().complete(null);
      }
    }
    ctx.fireChannelInactive();
  }

  /**
   * Closes this connection from outside its session: a new login reinstates the session, or a
   * TARGET COLD RESET on another session ends every session of the target. Any thread.
   */
  void drop() {
    if (ctx != null) ctx.channel().close();
  }

  /** Whether this connection runs on the channel. */
  boolean runsOn(io.netty.channel.Channel channel) {
    return ctx != null && ctx.channel() == channel;
  }

  // ---------------------------------------------------------------- login

  private void onLoginPdu(Pdu pdu) {
    int opcode = pdu.opcode();
    if (opcode != Opcode.LOGIN_REQUEST) {
      // Only Login Requests are allowed before full feature phase.
      pdu.release();
      if (out == null) {
        protocolClose(Opcode.name(opcode) + " before login");
      } else {
        portal.counters().loginFailures.increment();
        sendLoginResponse(0, 0, LoginStatus.INVALID_DURING_LOGIN, new byte[0], true);
      }
      return;
    }
    LoginRequest req;
    try {
      req = LoginRequest.of(pdu);
    } finally {
      pdu.release();
    }
    if (out == null) {
      // The first Login Request fixes the connection's first StatSN and the login's CmdSN window.
      out = new ConnectionWriter(ctx, portal.counters(), req.expStatSn());
      out.loginWindow(req.cmdSn(), req.cmdSn() + portal.settings().maxCmdWindow() - 1);
    }
    this.isid = req.isid();
    this.itt = req.itt();
    LoginStep step = login.onRequest(req);
    switch (step.kind()) {
      case CONTINUE -> sendLoginResponse(LoginPdu.flags(step.transit(), false, step.currentStage(), step.nextStage()),
          0, LoginStatus.SUCCESS, step.text(), false);
      case FAIL -> {
        portal.counters().loginFailures.increment();
        LOG.info("login from {} ({}) refused with status 0x{}", ctx.channel().remoteAddress(),
            login.identity().initiatorName(), String.format("%04x", step.status()));
        sendLoginResponse(0, 0, step.status(), new byte[0], true);
      }
      case COMPLETE -> completeLogin(step);
    }
  }

  private void completeLogin(LoginStep step) {
    LoginIdentity identity = login.identity();
    SessionRegistry.Registration reg = portal.registry().register(identity, portal.portalGroupTag(), this);
    registered = reg.session();
    IscsiSession displaced = reg.displaced();
    if (displaced == null) {
      enterFullFeature(step);
      return;
    }
    // Session reinstatement (RFC 7143 section 6.3.5): the old session ends, its tasks are
    // aborted through nexusLost, and only then does the new one start.
    LOG.info("session of {} isid 0x{} to {} reinstated: closing its old connection", identity.initiatorName(),
        Long.toHexString(identity.isid()), identity.targetName());
    phase = Phase.AWAITING_REINSTATEMENT;
    displaced.connection().drop();
    displaced.terminated().whenComplete((v, e) -> {
      try {
        ctx.executor().execute(() -> {
          if (phase == Phase.AWAITING_REINSTATEMENT) enterFullFeature(step);
        });
      } catch (RejectedExecutionException ignored) {
        // portal shutting down
      }
    });
  }

  private void enterFullFeature(LoginStep step) {
    if (!ctx.channel().isActive()) return;
    LoginIdentity identity = login.identity();
    SessionParameters params = login.parameters();
    if (!identity.discovery()) {
      nexus = new ItNexus(identity.initiatorName(), identity.isid(), identity.targetName(), portal.portalGroupTag());
    }
    loginTimer.cancel(false);
    int flags = LoginPdu.flags(true, false, step.currentStage(), LoginPdu.STAGE_FULL_FEATURE);
    sendLoginResponse(flags, registered.tsih(), LoginStatus.SUCCESS, step.text(), false);
    // Digests apply from the first PDU after the final Login Response, in both directions.
    encoder.configure(params.headerDigest(), params.dataDigest());
    decoder.configure(params.headerDigest(), params.dataDigest(), params.targetMaxRecvDataSegmentLength());
    session = new FullFeatureSession(ctx, out, portal, identity, nexus, login.cid(), params, login.initialCmdSn());
    phase = Phase.FULL_FEATURE;
    portal.counters().sessionsOpened.increment();
    portal.counters().sessionsActive.increment();
    Duration nop = portal.settings().nopInInterval();
    if (nop != null && !nop.isZero() && !nop.isNegative()) {
      ctx.pipeline().addFirst("idle", new IdleStateHandler(nop.toNanos(), 0, 0, TimeUnit.NANOSECONDS));
    }
    out.flush();
    LOG.debug("{} session of {} to {} in full feature phase: {}", identity.discovery() ? "discovery" : "normal",
        identity.initiatorName(), identity.targetName(), params);
  }

  private void sendLoginResponse(int flags, int tsih, int status, byte[] text, boolean close) {
    ByteBuf header = LoginPdu.responseHeader(ctx.alloc(), flags, isid, tsih, itt, out.takeStatSn(), out.expCmdSn(),
        out.maxCmdSn(), status);
    ByteBuf data = null;
    if (text.length > 0) {
      data = ctx.alloc().buffer(text.length);
      data.writeBytes(text);
    }
    out.write(header, data);
    if (close) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      phase = Phase.CLOSED;
    }
  }

  private void loginTimedOut() {
    if (phase == Phase.LOGIN || phase == Phase.AWAITING_REINSTATEMENT) {
      LOG.info("login from {} timed out; closing the connection", ctx.channel().remoteAddress());
      portal.counters().loginFailures.increment();
      ctx.close();
    }
  }

  private void protocolClose(String why) {
    LOG.info("iSCSI protocol error from {}: {}; closing the connection", ctx.channel().remoteAddress(), why);
    portal.counters().protocolErrors.increment();
    ctx.close();
  }
}
