package io.cairn.datapath.iscsi;

import io.cairn.config.IscsiSettings;
import io.cairn.datapath.iscsi.login.ChapAuthentication;
import io.cairn.datapath.iscsi.login.SecurityNegotiator;
import io.cairn.datapath.iscsi.pdu.PduDecoder;
import io.cairn.datapath.iscsi.pdu.PduEncoder;
import io.cairn.datapath.scsi.ScsiService;
import io.cairn.datapath.target.TargetAccess;
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
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's iSCSI portals (RFC 7143): accepts TCP connections, runs login and full feature phase
 * on each, and hands SCSI commands to a {@link ScsiService} with all their Data-Out collected.
 *
 * <p>Multipath: besides {@code settings.host():settings.port()} (target portal group
 * {@code portalGroupTag}) the node listens on every {@code settings.additionalPortals()} entry,
 * each a separate socket and target portal group. Every target is reachable through every portal,
 * SendTargets lists them all, and the SCSI layer sees a distinct I_T nexus per portal group (the
 * same logical unit, with the same device identifiers, on each path).
 *
 * <pre>{@code
 * IscsiPortal portal = new IscsiPortal(settings, catalog, scsiService, 1);
 * portal.start();               // binds every portal (port 0 = ephemeral)
 * int port = portal.boundPort(); // the first portal's port; boundPorts() for all
 * IscsiPortalStats s = portal.stats();
 * portal.close();               // closes every connection, frees the event loops
 * }</pre>
 *
 * <p>Threading: {@link #start()} and {@link #close()} from any one controlling thread;
 * {@link #stats()} and {@link #boundPort()} from any thread. Connections run on Netty event loops
 * (epoll when available, NIO otherwise; {@code settings.ioThreads()} of them, 0 meaning one per
 * core), shared by all portals, with TCP_NODELAY and pooled buffers. One connection per session
 * (MaxConnections=1), ErrorRecoveryLevel 0.
 */
public final class IscsiPortal implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IscsiPortal.class);

  private final IscsiSettings settings;
  private final List<PortalContext> contexts = new ArrayList<>();
  private final List<String> hosts = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final PortalCounters counters = new PortalCounters();
  private final PortalList portalList = new PortalList();
  private final ChannelGroup channels = new DefaultChannelGroup("iscsi-portal", GlobalEventExecutor.INSTANCE);
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private final List<Channel> serverChannels = new ArrayList<>();
  private volatile List<Integer> boundPorts = List.of();

  /**
   * Portals with {@link PortalLimits#DEFAULTS} and the targets' access policies enforced by
   * {@link ChapAuthentication}, discovery open.
   *
   * @param portalGroupTag the target portal group tag (1-65535) of {@code settings.host():settings.port()},
   *     reported at login and in SendTargets
   */
  public IscsiPortal(IscsiSettings settings, TargetCatalog catalog, ScsiService scsi, int portalGroupTag) {
    this(settings, catalog, scsi, portalGroupTag, PortalLimits.DEFAULTS,
        ChapAuthentication.factory(TargetAccess.OPEN, new SecureRandom()));
  }

  /**
   * @param security creates the security-stage negotiator of each login (authentication)
   */
  public IscsiPortal(IscsiSettings settings, TargetCatalog catalog, ScsiService scsi, int portalGroupTag,
      PortalLimits limits, SecurityNegotiator.Factory security) {
    checkTag(portalGroupTag);
    this.settings = Objects.requireNonNull(settings);
    Objects.requireNonNull(catalog);
    Objects.requireNonNull(scsi);
    Objects.requireNonNull(limits);
    Objects.requireNonNull(security);
    SessionRegistry registry = new SessionRegistry();
    addPortal(settings.host(), settings.port(), PortalContext.create(settings, catalog, scsi, portalGroupTag, limits,
        security, counters, registry, portalList));
    for (IscsiSettings.Portal p : settings.additionalPortals()) {
      checkTag(p.portalGroupTag());
      for (PortalContext c : contexts) {
        if (c.portalGroupTag() == p.portalGroupTag()) {
          throw new IllegalArgumentException("portal group tag " + p.portalGroupTag() + " used twice");
        }
      }
      addPortal(p.host(), p.port(), PortalContext.create(settings, catalog, scsi, p.portalGroupTag(), limits, security,
          counters, registry, portalList));
    }
  }

  private void addPortal(String host, int port, PortalContext context) {
    hosts.add(host);
    ports.add(port);
    contexts.add(context);
  }

  private static void checkTag(int portalGroupTag) {
    if (portalGroupTag < 1 || portalGroupTag > 0xffff) {
      throw new IllegalArgumentException("portal group tag must be 1..65535, was " + portalGroupTag);
    }
  }

  /**
   * Binds every portal and starts accepting connections; binds all or none.
   *
   * @throws IllegalStateException when already started or an address cannot be bound
   */
  public synchronized void start() {
    if (!serverChannels.isEmpty()) throw new IllegalStateException("portal already started");
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    bossGroup = new MultiThreadIoEventLoopGroup(1, io);
    int threads = settings.ioThreads() > 0 ? settings.ioThreads() : Runtime.getRuntime().availableProcessors();
    workerGroup = new MultiThreadIoEventLoopGroup(threads, io);
    List<PortalList.Endpoint> endpoints = new ArrayList<>();
    List<Integer> bound = new ArrayList<>();
    for (int i = 0; i < contexts.size(); i++) {
      PortalContext context = contexts.get(i);
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
              PduDecoder decoder = new PduDecoder(counters.received);
              PduEncoder encoder = new PduEncoder(counters.sent);
              // Completions arrive one task at a time from storage threads and each flushes: let
              // the flushes of one event-loop turn become one write system call.
              ch.pipeline().addLast("flush-consolidation", new FlushConsolidationHandler(64, true));
              ch.pipeline().addLast("decoder", decoder);
              ch.pipeline().addLast("encoder", encoder);
              ch.pipeline().addLast("connection", new IscsiConnection(context, decoder, encoder));
            }
          });
      Channel server;
      try {
        server = bootstrap.bind(hosts.get(i), ports.get(i)).syncUninterruptibly().channel();
      } catch (RuntimeException e) {
        closeServers();
        shutdownGroups();
        throw new IllegalStateException("cannot bind iSCSI portal to " + hosts.get(i) + ":" + ports.get(i), e);
      }
      serverChannels.add(server);
      InetSocketAddress local = (InetSocketAddress) server.localAddress();
      endpoints.add(new PortalList.Endpoint(local.getAddress(), local.getPort(), context.portalGroupTag()));
      bound.add(local.getPort());
      LOG.info("iSCSI portal listening on {}:{} ({} transport, tpgt {})", hosts.get(i), local.getPort(),
          epoll ? "epoll" : "nio", context.portalGroupTag());
    }
    portalList.set(endpoints);
    boundPorts = List.copyOf(bound);
  }

  /** The TCP port the first portal listens on, or -1 before {@link #start()}. */
  public int boundPort() {
    List<Integer> p = boundPorts;
    return p.isEmpty() ? -1 : p.get(0);
  }

  /** The TCP ports of every portal, in configuration order (empty before {@link #start()}). */
  public List<Integer> boundPorts() {
    return boundPorts;
  }

  /** The target portal group tags of every portal, in configuration order. */
  public List<Integer> portalGroupTags() {
    return contexts.stream().map(PortalContext::portalGroupTag).toList();
  }

  public IscsiPortalStats stats() {
    return counters.snapshot();
  }

  /** Stops accepting, closes every connection (their sessions end), and frees the event loops. */
  @Override
  public synchronized void close() {
    if (serverChannels.isEmpty()) return;
    closeServers();
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    shutdownGroups();
    boundPorts = List.of();
    LOG.info("iSCSI portals on {} closed", hosts);
  }

  private void closeServers() {
    for (Channel c : serverChannels) c.close().syncUninterruptibly();
    serverChannels.clear();
  }

  private void shutdownGroups() {
    if (bossGroup != null) bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (workerGroup != null) workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    bossGroup = null;
    workerGroup = null;
  }
}
