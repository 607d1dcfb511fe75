package io.cairn.datapath.iscsi;

import io.cairn.config.IscsiSettings;
import io.cairn.datapath.iscsi.login.NoAuthentication;
import io.cairn.datapath.iscsi.login.SecurityNegotiator;
import io.cairn.datapath.iscsi.pdu.PduDecoder;
import io.cairn.datapath.iscsi.pdu.PduEncoder;
import io.cairn.datapath.scsi.ScsiService;
import io.cairn.datapath.target.TargetCatalog;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's iSCSI portal (RFC 7143): accepts TCP connections, runs login and full feature phase
 * on each, and hands SCSI commands to a {@link ScsiService} with all their Data-Out collected.
 *
 * <pre>{@code
 * IscsiPortal portal = new IscsiPortal(settings, catalog, scsiService, 1);
 * portal.start();               // binds settings.host():settings.port() (0 = ephemeral)
 * int port = portal.boundPort();
 * IscsiPortalStats s = portal.stats();
 * portal.close();               // closes every connection, frees the event loops
 * }</pre>
 *
 * <p>Threading: {@link #start()} and {@link #close()} from any one controlling thread;
 * {@link #stats()} and {@link #boundPort()} from any thread. Connections run on Netty event loops
 * (epoll when available, NIO otherwise; {@code settings.ioThreads()} of them, 0 meaning one per
 * core), with TCP_NODELAY and pooled buffers. One connection per session (MaxConnections=1),
 * ErrorRecoveryLevel 0.
 */
public final class IscsiPortal implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IscsiPortal.class);

  private final IscsiSettings settings;
  private final PortalContext context;
  private final ChannelGroup channels = new DefaultChannelGroup("iscsi-portal", GlobalEventExecutor.INSTANCE);
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private Channel serverChannel;
  private volatile int boundPort = -1;

  /**
   * A portal without authentication and with {@link PortalLimits#DEFAULTS}.
   *
   * @param portalGroupTag this portal's target portal group tag (1-65535), reported at login and
   *     in SendTargets
   */
  public IscsiPortal(IscsiSettings settings, TargetCatalog catalog, ScsiService scsi, int portalGroupTag) {
    this(settings, catalog, scsi, portalGroupTag, PortalLimits.DEFAULTS, NoAuthentication.FACTORY);
  }

  /**
   * @param security creates the security-stage negotiator of each login (authentication)
   */
  public IscsiPortal(IscsiSettings settings, TargetCatalog catalog, ScsiService scsi, int portalGroupTag,
      PortalLimits limits, SecurityNegotiator.Factory security) {
    if (portalGroupTag < 1 || portalGroupTag > 0xffff) {
      throw new IllegalArgumentException("portal group tag must be 1..65535, was " + portalGroupTag);
    }
    this.settings = Objects.requireNonNull(settings);
    this.context = PortalContext.create(settings, Objects.requireNonNull(catalog), Objects.requireNonNull(scsi),
        portalGroupTag, Objects.requireNonNull(limits), Objects.requireNonNull(security));
  }

  /**
   * Binds {@code settings.host():settings.port()} and starts accepting connections.
   *
   * @throws IllegalStateException when already started or the address cannot be bound
   */
  public synchronized void start() {
    if (serverChannel != null) throw new IllegalStateException("portal already started");
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    bossGroup = new MultiThreadIoEventLoopGroup(1, io);
    int threads = settings.ioThreads() > 0 ? settings.ioThreads() : Runtime.getRuntime().availableProcessors();
    workerGroup = new MultiThreadIoEventLoopGroup(threads, io);
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(bossGroup, workerGroup)
        .channel(channelClass)
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            channels.add(ch);
            PduDecoder decoder = new PduDecoder(context.counters().received);
            PduEncoder encoder = new PduEncoder(context.counters().sent);
            // Completions arrive one task at a time from storage threads and each flushes: let
            // the flushes of one event-loop turn become one write system call.
            ch.pipeline().addLast("flush-consolidation", new FlushConsolidationHandler(64, true));
            ch.pipeline().addLast("decoder", decoder);
            ch.pipeline().addLast("encoder", encoder);
            ch.pipeline().addLast("connection", new IscsiConnection(context, decoder, encoder));
          }
        });
    try {
      serverChannel = bootstrap.bind(settings.host(), settings.port()).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      shutdownGroups();
      throw new IllegalStateException("cannot bind iSCSI portal to " + settings.host() + ":" + settings.port(), e);
    }
    boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    LOG.info("iSCSI portal listening on {}:{} ({} transport, tpgt {})", settings.host(), boundPort,
        epoll ? "epoll" : "nio", context.portalGroupTag());
  }

  /** The TCP port the portal listens on, or -1 before {@link #start()}. */
  public int boundPort() {
    return boundPort;
  }

  public IscsiPortalStats stats() {
    return context.counters().snapshot();
  }

  /** Stops accepting, closes every connection (their sessions end), and frees the event loops. */
  @Override
  public synchronized void close() {
    if (serverChannel == null) return;
    serverChannel.close().syncUninterruptibly();
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    shutdownGroups();
    serverChannel = null;
    boundPort = -1;
    LOG.info("iSCSI portal on {} closed", settings.host());
  }

  private void shutdownGroups() {
    if (bossGroup != null) bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (workerGroup != null) workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    bossGroup = null;
    workerGroup = null;
  }
}
