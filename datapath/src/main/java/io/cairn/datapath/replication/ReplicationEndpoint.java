package io.cairn.datapath.replication;

import static io.cairn.datapath.replication.ReplicationFrame.HEADER_LENGTH;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.AgentInvoker;
import io.aeron.exceptions.RegistrationException;
import io.aeron.logbuffer.Header;
import io.cairn.datapath.oplog.ReplicaPage;
import io.cairn.datapath.oplog.VDiskGoneException;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's replication endpoint: an embedded Aeron media driver, one subscription on which
 * peers' requests and responses arrive, and one exclusive publication per peer, created on first
 * use. Requests go out with {@link #send}; requests from peers are run by the {@link
 * ReplicaHandlers} and answered. Frames are {@link ReplicationFrame}s.
 *
 * <h2>Threads and ownership</h2>
 *
 * <ul>
 *   <li>The poll thread ({@code cairn-repl-<node>-poll}, daemon) owns the subscription, every
 *       publication and all request state: it polls incoming frames (through a {@link
 *       FragmentAssembler}, so frames up to the maximum message length arrive whole), offers every
 *       outgoing frame, retries back-pressured and not-yet-connected offers, matches responses to
 *       requests by correlation id, and expires requests. One exception, the hot path of replicated
 *       writes: it hands an OPLOG_REPLICATE request to {@link ReplicaHandlers#oplogReplicate}
 *       itself (which must only queue the record and return), and completes the future of an
 *       OPLOG_REPLICATE it sent with the peer's ACK itself (whose callers chain only non-blocking
 *       completions on it), sparing two thread hand-offs per write on each side.
 *   <li>Callers of {@link #send} (any thread) encode and checksum their frame (compressing a large
 *       payload) on their own thread, queue it for the poll thread and unpark it.
 *   <li>The handler executor ({@code cairn-repl-<node>-handler-N}) runs every other request's
 *       {@link ReplicaHandlers}, encodes replies, and completes the other futures returned by
 *       {@link #send}, so that callbacks chained on them never run on the poll thread. The reply of
 *       an OPLOG_REPLICATE is encoded on the thread that completes the handler's future.
 *   <li>The media driver runs in {@link ThreadingMode#INVOKER} mode and the Aeron client uses its
 *       conductor agent invoker: the poll thread runs both duty cycles in its own loop (offer,
 *       driver: send and receive, poll, client conductor), so a frame offered is on the wire in
 *       the same cycle and a frame received is handled in the same cycle, with no hand-off to a
 *       driver thread, and two threads fewer per node wake up per frame (on a 2-core machine
 *       running 3 nodes the hand-offs cost about as much as the work). The poll thread therefore must never block: a stall longer than
 *       {@code peerLivenessTimeoutNs} stalls the node's driver too, and its peers count it as
 *       disconnected. It parks briefly while frames flow ({@link ActivityIdleStrategy}), longer
 *       once idle, so several endpoints share a small machine. Only the driver's async executor
 *       ({@code cairn-aeron-<node>-driver-async}, name resolution) has a thread of its own.
 * </ul>
 *
 * <h2>Delivery</h2>
 *
 * A request completes with the peer's ACK or DATA, or fails with a {@link ReplicationException}:
 * the peer's NACK status, TIMEOUT after {@code requestTimeoutNs}, NOT_CONNECTED when the peer's
 * publication is not connected (at once once it had been connected, after {@code
 * connectTimeoutNs} for a new one), BACK_PRESSURED when the peer did not take the frame within
 * {@code backPressureTimeoutNs}, CLOSED, UNKNOWN_PEER. A CHECKSUM NACK (the peer received the
 * frame damaged), or a damaged reply, re-sends the request up to {@code maxChecksumRetries} times;
 * every request type is idempotent, so a re-send is harmless. A response for a request that has
 * completed (timed out) is dropped. A damaged frame is never handed to a handler.
 *
 * <p>A publication stays open while its peer is down: Aeron keeps offering the connection, and it
 * reconnects by itself once the peer's endpoint is back on the same address (until then sends fail
 * NOT_CONNECTED at once). {@link #closePeer} drops it when the peer leaves for good; a peer that the
 * directory no longer knows, or knows at another address, is dropped on the next send or within
 * {@link #PEER_CHECK_INTERVAL_NS}.
 */
public final class ReplicationEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationEndpoint.class);

  /** Most fragments read per poll; bounds the time between the poll thread's other duties. */
  static final int FRAGMENT_LIMIT = 32;
  /** Most queued commands taken per duty cycle. */
  static final int COMMAND_LIMIT = 256;
  /** How often the poll thread checks its peers against the directory. */
  static final long PEER_CHECK_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
  /**
   * Keepalive timeouts between this node's own driver and client (both on the poll thread), and
   * the client conductor's service interval: far beyond any stall a live process has. With Aeron's
   * 10 s defaults a 20 s stall of a starved node closed its client for good (every later send
   * failed with "Aeron client is closed"). Peers are still judged by {@code peerLivenessTimeoutNs}.
   */
  static final long IN_PROCESS_LIVENESS_NS = TimeUnit.MINUTES.toNanos(10);
  /**
   * Park of a poll or driver thread that had work within {@link #ACTIVE_WINDOW_NS}: at 50 us a
   * 4 KiB RF2 write at queue depth 1 takes about 1.1 ms here, and a busy node's polling threads
   * wake about 10^4 times a second (shorter parks cost more CPU than they save latency on 2 cores).
   */
  static final long ACTIVE_PARK_NS = TimeUnit.MICROSECONDS.toNanos(50);
  static final long ACTIVE_WINDOW_NS = TimeUnit.MILLISECONDS.toNanos(50);

  /** Sleep of the driver's idle async executor (name resolution and other slow driver work). */
  static final long ASYNC_EXECUTOR_SLEEP_MS = 10;
  /** Longest NACK message sent, in characters. */
  static final int MAX_NACK_MESSAGE = 1024;

  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
  private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();
  private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  private final ReplicationSettings settings;
  private final PeerDirectory directory;
  private final ReplicaHandlers handlers;
  private final byte[] sourceId;
  private final int maxPayload;
  private final Path aeronDir;
  private final Faults faults = new Faults();
  private final Counters counters = new Counters();

  private MediaDriver driver;
  /** The media driver's duty cycle, run by the poll thread (and by the opening thread until it starts). */
  private AgentInvoker driverInvoker;
  /** The Aeron client conductor's duty cycle, run by the poll thread. */
  private AgentInvoker clientInvoker;
  private Aeron aeron;
  private Subscription subscription;
  private ExecutorService pool;
  /** Runs on the pool, or inline once the pool is shut down (so replies and releases still happen). */
  private final Executor executor = this::execute;
  private Thread poller;

  /** Frames to send and peer commands, from any thread to the poll thread (several threads drain it at close). */
  private final ConcurrentLinkedQueue<Object> commands = new ConcurrentLinkedQueue<>();
  private final AtomicLong nextCorrelationId = new AtomicLong(System.nanoTime() & 0x0000_FFFF_FFFF_FFFFL);
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean running = true;
  /** Read by any thread ({@link #isConnected}); written by the poll thread only. */
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();

  // ---- poll thread only ------------------------------------------------------------------------
  private final Long2ObjectHashMap<Outgoing> pending = new Long2ObjectHashMap<>();
  /** Sent requests in deadline order (all share one timeout); completed ones are popped lazily. */
  private final ArrayDeque<Outgoing> deadlines = new ArrayDeque<>();
  /** Frames waiting for a publication to be created, to connect, or to take them (back-pressure). */
  private final ArrayDeque<Outgoing> waiting = new ArrayDeque<>();
  private final CRC32C rxCrc = new CRC32C();
  private final FragmentAssembler assembler = new FragmentAssembler(this::onFrame, 64 << 10, true);
  private long lastPeerCheckNs;
  private long nowNs;

  private ReplicationEndpoint(ReplicationSettings settings, PeerDirectory directory, ReplicaHandlers handlers) {
    this.settings = settings;
    this.directory = directory;
    this.handlers = handlers;
    this.sourceId = ReplicationFrame.sourceBytes(settings.nodeId());
    this.maxPayload = settings.maxPayloadLength();
    this.aeronDir = settings.aeronBaseDir().resolve("aeron-" + settings.nodeId() + "-" + settings.port());
  }

  /**
   * Starts an endpoint: launches the media driver in a fresh Aeron directory under {@code
   * settings.aeronBaseDir()} (deleted first if left over), subscribes on {@code
   * bindHost:port}, and starts the poll thread.
   *
   * @throws IllegalStateException when the driver or the subscription cannot be created (e.g. the
   *     port is taken); everything started so far is closed again
   */
  public static ReplicationEndpoint start(ReplicationSettings settings, PeerDirectory directory, ReplicaHandlers handlers) {
    ReplicationEndpoint e = new ReplicationEndpoint(settings, directory, handlers);
    try {
      e.open();
    } catch (RuntimeException ex) {
      e.close();
      throw new IllegalStateException("cannot start replication endpoint of node " + settings.nodeId() + " on "
          + settings.bindHost() + ":" + settings.port() + ": " + ex.getMessage(), ex);
    }
    return e;
  }

  private void open() {
    String node = settings.nodeId();
    try {
      Files.createDirectories(settings.aeronBaseDir());
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    IoUtil.delete(aeronDir.toFile(), true);
    MediaDriver.Context ctx = new MediaDriver.Context()
        .aeronDirectoryName(aeronDir.toString())
        .dirDeleteOnStart(true)
        .dirDeleteOnShutdown(true)
        .warnIfDirectoryExists(false)
        .threadingMode(ThreadingMode.INVOKER)
        .asyncExecutorIdleStrategy(new SleepingMillisIdleStrategy(ASYNC_EXECUTOR_SLEEP_MS))
        .asyncExecutorThreadFactory(named("cairn-aeron-" + node + "-driver-async"))
        .publicationTermBufferLength(settings.termLength())
        .ipcTermBufferLength(64 << 10) // no IPC publications here: the smallest term
        .termBufferSparseFile(true)
        .mtuLength(settings.mtuLength())
        .publicationConnectionTimeoutNs(settings.peerLivenessTimeoutNs())
        .imageLivenessTimeoutNs(Math.max(settings.peerLivenessTimeoutNs(), TimeUnit.SECONDS.toNanos(1)))
        // Driver and client run on the one poll thread: neither can outlive the other, so their
        // keepalives guard nothing. A stalled process (a long GC, a starved machine) would only
        // make each declare the other dead and close the client for good.
        .clientLivenessTimeoutNs(IN_PROCESS_LIVENESS_NS)
        .publicationUnblockTimeoutNs(IN_PROCESS_LIVENESS_NS + TimeUnit.MINUTES.toNanos(1))
        .errorHandler(t -> LOG.warn("Aeron media driver of {}: {}", node, t.toString()));
    driver = MediaDriver.launch(ctx);
    driverInvoker = driver.sharedAgentInvoker();
    aeron = Aeron.connect(new Aeron.Context()
        .aeronDirectoryName(driver.aeronDirectoryName())
        .useConductorAgentInvoker(true)
        .driverAgentInvoker(driverInvoker)
        .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(IN_PROCESS_LIVENESS_NS))
        .errorHandler(t -> LOG.warn("Aeron client of {}: {}", node, t.toString())));
    String channel = new PeerDirectory.PeerAddress(settings.bindHost(), settings.port()).channel();
    clientInvoker = aeron.conductorAgentInvoker();
    subscription = aeron.addSubscription(channel, settings.streamId());
    AtomicInteger n = new AtomicInteger();
    pool = new ThreadPoolExecutor(settings.handlerThreads(), settings.handlerThreads(), 0, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "cairn-repl-" + node + "-handler-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    poller = new Thread(this::pollLoop, "cairn-repl-" + node + "-poll");
    poller.setDaemon(true);
    poller.start();
    LOG.info("replication endpoint of {} listening on {} (stream {}, term {} KiB, max payload {} bytes, aeron dir {})",
        node, channel, settings.streamId(), settings.termLength() >> 10, maxPayload, aeronDir);
  }

  /**
   * The poll thread's (which also runs the media driver): short parks while frames flow (within 50 ms of the
   * last work), doubling up to {@code idleMaxParkNs} once idle. Never spins (nodes share cores).
   */
  private IdleStrategy idleStrategy() {
    return new ActivityIdleStrategy(ACTIVE_PARK_NS, Math.max(ACTIVE_PARK_NS, settings.idleMaxParkNs()), ACTIVE_WINDOW_NS);
  }

  /**
   * Threads named {@code name}, daemon. Aeron renames the threads it gets from a factory (to its
   * agent's role name) before starting them, so the name is set again when the thread starts.
   */
  private static java.util.concurrent.ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(() -> {
        Thread.currentThread().setName(name);
        r.run();
      }, name);
      t.setDaemon(true);
      return t;
    };
  }

  // ==== public API ================================================================================

  public ReplicationSettings settings() {
    return settings;
  }

  /** This endpoint's fault injection (off until set). */
  public Faults faults() {
    return faults;
  }

  /** The largest payload one request or reply can carry. */
  public int maxPayloadLength() {
    return maxPayload;
  }

  /** Whether the publication to {@code nodeId} exists and is connected (any thread). */
  public boolean isConnected(String nodeId) {
    Peer p = peers.get(nodeId);
    ExclusivePublication pub = p == null ? null : p.publication;
    return pub != null && pub.isConnected();
  }

  /**
   * Sends a request to {@code nodeId}. The request's payload stays the caller's and must stay valid
   * until the returned future completes. The future completes on the handler executor with the
   * peer's ACK or DATA (whose payload the caller then owns and releases), or fails with a {@link
   * ReplicationException} naming the peer.
   */
  public CompletableFuture<Response> send(String nodeId, Request request) {
    CompletableFuture<Response> f = new CompletableFuture<>();
    if (closed.get()) {
      f.completeExceptionally(new ReplicationException(nodeId, Status.CLOSED, false,
          "replication endpoint of " + settings.nodeId() + " is closed"));
      return f;
    }
    long corr = nextCorrelationId.incrementAndGet();
    Outgoing o;
    try {
      o = encodeRequest(nodeId, corr, request, f);
    } catch (ReplicationException e) {
      f.completeExceptionally(e);
      return f;
    }
    o.deadlineNs = System.nanoTime() + settings.requestTimeoutNs();
    enqueue(o);
    return f;
  }

  /**
   * Closes the publication to {@code nodeId} (the peer left the cluster). Requests waiting to be
   * sent to it or for its reply fail with NOT_CONNECTED. A later send creates a new publication.
   */
  public void closePeer(String nodeId) {
    commands.offer(new ClosePeer(nodeId));
    LockSupport.unpark(poller);
  }

  /** Counters since start. */
  public Stats stats() {
    return counters.snapshot();
  }

  /**
   * Stops the endpoint: fails every request in flight with CLOSED, stops the poll thread, lets
   * running handlers finish (their replies are dropped), closes publications, the subscription,
   * the client and the driver, and deletes the Aeron directory. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    running = false;
    if (poller != null) {
      LockSupport.unpark(poller);
      joinQuietly(poller);
    }
    if (pool != null) {
      pool.shutdown();
      try {
        if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
          LOG.warn("replication handlers of {} still running after 5 s; interrupting them", settings.nodeId());
          pool.shutdownNow();
          pool.awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        pool.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    releaseCommands(); // replies queued by handlers that finished after the poll thread stopped
    closeQuietly(subscription);
    closeQuietly(aeron);
    closeQuietly(driver);
    IoUtil.delete(aeronDir.toFile(), true);
    LOG.info("replication endpoint of {} closed", settings.nodeId());
  }

  // ==== encoding (any thread) =====================================================================

  private Outgoing encodeRequest(String peer, long corr, Request r, CompletableFuture<Response> f) {
    byte t = r.type();
    if (r instanceof Request.OplogReplicate q) {
      int len = q.payload().readableBytes();
      if (len > maxPayload - FetchPageCodec.OVERHEAD) { // every stored record must fit one fetch page
        throw new ReplicationException(peer, Status.TOO_LARGE, false, "OpLog record of " + len
            + " bytes exceeds the " + (maxPayload - FetchPageCodec.OVERHEAD) + "-byte limit");
      }
      return encode(peer, t, corr, 0, q.vdiskId(), q.episode(), q.writeSeq(), q.offset(), q.payload(), false, f);
    } else if (r instanceof Request.OplogTrim q) {
      return encode(peer, t, corr, 0, q.vdiskId(), q.belowWriteSeq(), 0, 0, null, false, f);
    } else if (r instanceof Request.OplogFetch q) {
      return encode(peer, t, corr, 0, q.vdiskId(), q.fromWriteSeq(), q.maxBytes(), 0, null, false, f);
    } else if (r instanceof Request.OplogDiscard q) {
      return encode(peer, t, corr, 0, q.vdiskId(), 0, 0, 0, null, false, f);
    } else if (r instanceof Request.EgroupCreate q) {
      ByteBuf hint = q.diskHint() == null ? null : Unpooled.wrappedBuffer(q.diskHint().getBytes(StandardCharsets.UTF_8));
      return encode(peer, t, corr, 0, q.egroupId(), 0, 0, 0, hint, true, f);
    } else if (r instanceof Request.EgroupWrite q) {
      return encode(peer, t, corr, 0, q.egroupId(), q.offset(), 0, 0, q.payload(), false, f);
    } else if (r instanceof Request.EgroupRead q) {
      return encode(peer, t, corr, 0, q.egroupId(), q.offset(), q.length(), 0, null, false, f);
    } else if (r instanceof Request.EgroupDelete q) {
      return encode(peer, t, corr, 0, q.egroupId(), 0, 0, 0, null, false, f);
    } else if (r instanceof Request.EgroupDeallocate q) {
      return encode(peer, t, corr, 0, q.egroupId(), q.offset(), q.length(), 0, null, false, f);
    } else if (r instanceof Request.EgroupWritten q) {
      return encode(peer, t, corr, 0, q.egroupId(), q.offset(), q.length(), 0, null, false, f);
    }
    throw new IllegalArgumentException("unknown request " + r);
  }

  /**
   * Builds a frame: header with CRC, payload (LZ4-compressed when at least {@code
   * compressThresholdBytes} long and that saves at least 1/8). When {@code owns}, the payload
   * buffer passes to the frame (released when the frame is done).
   */
  private Outgoing encode(String peer, byte type, long corr, int status, long f0, long f1, long f2, long f3,
      ByteBuf payload, boolean owns, CompletableFuture<Response> future) {
    int len = payload == null ? 0 : payload.readableBytes();
    if (len > maxPayload) {
      if (owns) payload.release();
      throw new ReplicationException(peer, Status.TOO_LARGE, false, FrameType.name(type) + " payload of " + len
          + " bytes exceeds the " + maxPayload + "-byte frame limit (term length " + settings.termLength() + ")");
    }
    Outgoing o = new Outgoing(peer, type, corr, future);
    o.owned = owns ? payload : null;
    int flags = 0;
    int wireLen = len;
    if (len >= settings.compressThresholdBytes()) {
      int max = COMPRESSOR.maxCompressedLength(len);
      ByteBuf c = ALLOC.directBuffer(max, max);
      int n;
      try {
        n = COMPRESSOR.compress(payload.nioBuffer(payload.readerIndex(), len), 0, len, c.nioBuffer(0, max), 0, max);
      } catch (LZ4Exception e) {
        n = Integer.MAX_VALUE;
      }
      if (n <= len - len / 8) {
        c.writerIndex(n);
        if (o.owned != null) o.owned.release();
        o.owned = c;
        o.payload = new UnsafeBuffer(c.nioBuffer(0, n));
        flags = ReplicationFrame.FLAG_LZ4;
        wireLen = n;
        counters.compressedFrames.incrementAndGet();
      } else {
        c.release();
      }
    }
    if (o.payload == null && len > 0) {
      if (payload.nioBufferCount() == 1) {
        o.payload = new UnsafeBuffer(payload.nioBuffer(payload.readerIndex(), len));
      } else {
        ByteBuf copy = ALLOC.directBuffer(len, len).writeBytes(payload, payload.readerIndex(), len);
        if (o.owned != null) o.owned.release();
        o.owned = copy;
        o.payload = new UnsafeBuffer(copy.nioBuffer(0, len));
      }
    }
    o.payloadLength = wireLen;
    ReplicationFrame.writeHeader(o.header, 0, type, flags, sourceId, corr, wireLen, len, status, f0, f1, f2, f3);
    ReplicationFrame.putCrc(o.header, 0, ReplicationFrame.computeCrc(new CRC32C(), o.header, 0, o.payload, 0, wireLen));
    return o;
  }

  private void enqueue(Object command) {
    if (closed.get()) {
      release(command);
      if (command instanceof Outgoing o && o.future != null) {
        executor.execute(() -> o.future.completeExceptionally(closedException(o.peer)));
      }
      return;
    }
    commands.offer(command);
    LockSupport.unpark(poller);
    if (closed.get() && !running) releaseCommands(); // raced with close: nobody else will drain the queue
  }

  // ==== poll thread ===============================================================================

  private void pollLoop() {
    IdleStrategy idle = idleStrategy();
    while (running) {
      int work = 0;
      try {
        work = doWork(System.nanoTime());
      } catch (Throwable t) {
        LOG.error("replication poll thread of {}: unexpected error", settings.nodeId(), t);
      }
      idle.idle(work);
    }
    shutdownOnPollThread();
  }

  private int doWork(long now) {
    nowNs = now;
    int work = drainCommands(now);
    work += driverInvoker.invoke(); // sends what was just offered, receives what arrived
    work += subscription.poll(assembler, FRAGMENT_LIMIT);
    work += clientInvoker.invoke();
    work += retryWaiting(now);
    work += expire(now);
    if (now - lastPeerCheckNs >= PEER_CHECK_INTERVAL_NS) {
      lastPeerCheckNs = now;
      checkPeers();
    }
    return work;
  }

  private int drainCommands(long now) {
    int n = 0;
    Object c;
    while (n < COMMAND_LIMIT && (c = commands.poll()) != null) {
      n++;
      if (c instanceof Outgoing o) {
        if (o.future != null) {
          pending.put(o.correlationId, o);
          deadlines.addLast(o);
        }
        startOffer(o, now);
      } else if (c instanceof ClosePeer cp) {
        Peer p = peers.get(cp.nodeId);
        if (p != null) closePeer(p, "closed by request");
      }
    }
    return n;
  }

  private void startOffer(Outgoing o, long now) {
    o.offerUntilNs = now + settings.backPressureTimeoutNs();
    if (!attempt(o, now)) waiting.addLast(o);
  }

  private int retryWaiting(long now) {
    int done = 0;
    for (int i = waiting.size(); i > 0; i--) {
      Outgoing o = waiting.pollFirst();
      if (attempt(o, now)) {
        done++;
      } else {
        waiting.addLast(o);
      }
    }
    return done;
  }

  /** Tries to offer {@code o}; true when it is finished with (sent or failed), false to wait. */
  private boolean attempt(Outgoing o, long now) {
    if (o.done) return true;
    if (o.future != null && o.future.isDone()) { // cancelled by the caller
      finishRequest(o);
      return true;
    }
    if (faults.dropsTo(o.peer)) {
      counters.droppedByFault.incrementAndGet();
      afterOffer(o);
      return true;
    }
    Peer p = peerFor(o.peer, now);
    if (p == null) {
      fail(o, Status.UNKNOWN_PEER, "peer " + o.peer + " is not in the peer directory");
      return true;
    }
    ExclusivePublication pub = p.resolve(aeron);
    if (p.error != null) {
      fail(o, Status.NOT_CONNECTED, "cannot publish to peer " + p + ": " + p.error.getMessage());
      closePeer(p, "publication failed: " + p.error.getMessage());
      return true;
    }
    if (pub == null) { // registration still in progress
      if (now - p.createdNs < settings.connectTimeoutNs()) return false;
      fail(o, Status.NOT_CONNECTED, "publication to peer " + p + " not created within " + ms(settings.connectTimeoutNs()));
      return true;
    }
    DirectBuffer header = o.header;
    DirectBuffer payload = o.payload;
    if (pub.isConnected() && faults.takeCorruption()) {
      if (o.payloadLength > 0) {
        byte[] copy = new byte[o.payloadLength];
        payload.getBytes(0, copy);
        copy[copy.length / 2] ^= 0x5A;
        payload = new UnsafeBuffer(copy);
      } else {
        byte[] copy = new byte[HEADER_LENGTH];
        header.getBytes(0, copy);
        copy[ReplicationFrame.FIELD3_OFFSET + 3] ^= 0x5A;
        header = new UnsafeBuffer(copy);
      }
      counters.corruptedByFault.incrementAndGet();
    }
    long r = o.payloadLength == 0
        ? pub.offer(header, 0, HEADER_LENGTH)
        : pub.offer(header, 0, HEADER_LENGTH, payload, 0, o.payloadLength);
    if (r > 0) {
      p.everConnected = true;
      counters.framesSent.incrementAndGet();
      counters.bytesSent.addAndGet(HEADER_LENGTH + o.payloadLength);
      afterOffer(o);
      return true;
    }
    if (r == Publication.BACK_PRESSURED || r == Publication.ADMIN_ACTION) {
      counters.backPressured.incrementAndGet();
      if (now - o.offerUntilNs < 0) return false;
      fail(o, Status.BACK_PRESSURED, "peer " + p + " did not take a " + FrameType.name(o.type) + " frame within "
          + ms(settings.backPressureTimeoutNs()) + " (back-pressure)");
      return true;
    }
    if (r == Publication.NOT_CONNECTED) {
      if (!p.everConnected && now - p.createdNs < settings.connectTimeoutNs()) return false;
      fail(o, Status.NOT_CONNECTED, p.everConnected
          ? "peer " + p + " is not connected (no status from it for " + ms(settings.peerLivenessTimeoutNs()) + ")"
          : "peer " + p + " did not connect within " + ms(settings.connectTimeoutNs()));
      return true;
    }
    // CLOSED or MAX_POSITION_EXCEEDED: this publication is finished; the next send makes a new one
    fail(o, Status.CLOSED, "publication to peer " + p + " is closed");
    closePeer(p, "publication " + (r == Publication.CLOSED ? "closed" : "at its maximum position"));
    return true;
  }

  private void afterOffer(Outgoing o) {
    if (o.future == null) release(o); // a reply: done once sent
  }

  private int expire(long now) {
    int n = 0;
    Outgoing o;
    while ((o = deadlines.peekFirst()) != null) {
      if (o.done) {
        deadlines.pollFirst();
        continue;
      }
      if (o.deadlineNs - now > 0) break;
      deadlines.pollFirst();
      counters.timeouts.incrementAndGet();
      Peer p = peers.get(o.peer);
      fail(o, Status.TIMEOUT, "no response from peer " + (p != null ? p : o.peer) + " to " + FrameType.name(o.type)
          + " #" + o.correlationId + " within " + ms(settings.requestTimeoutNs())
          + (o.checksumRetries > 0 ? " (" + o.checksumRetries + " checksum retries)" : ""));
      n++;
    }
    return n;
  }

  // ---- peers -----------------------------------------------------------------------------------

  private Peer peerFor(String nodeId, long now) {
    Peer p = peers.get(nodeId);
    PeerDirectory.PeerAddress addr = directory.lookup(nodeId);
    if (addr == null) {
      if (p != null) closePeer(p, "left the peer directory");
      return null;
    }
    if (p != null && !p.address.equals(addr)) {
      closePeer(p, "moved to " + addr);
      p = null;
    }
    if (p == null) {
      p = new Peer(nodeId, addr, aeron.asyncAddExclusivePublication(addr.channel(), settings.streamId()), now);
      peers.put(nodeId, p);
      LOG.debug("{}: publication to {} requested", settings.nodeId(), p);
    }
    return p;
  }

  private void checkPeers() {
    List<Peer> gone = null;
    for (Peer p : peers.values()) {
      PeerDirectory.PeerAddress addr = directory.lookup(p.nodeId);
      if (addr == null || !addr.equals(p.address)) {
        if (gone == null) gone = new ArrayList<>();
        gone.add(p);
      }
    }
    if (gone != null) {
      for (Peer p : gone) closePeer(p, "left the peer directory or moved");
    }
  }

  /** Closes a peer's publication and fails every request waiting on it (poll thread). */
  private void closePeer(Peer p, String reason) {
    if (peers.get(p.nodeId) == p) peers.remove(p.nodeId);
    p.close(aeron);
    LOG.info("{}: publication to peer {} closed: {}", settings.nodeId(), p, reason);
    String msg = "peer " + p + " " + reason;
    for (Outgoing o : waiting) {
      if (!o.done && o.peer.equals(p.nodeId)) fail(o, Status.NOT_CONNECTED, msg);
    }
    for (Outgoing o : deadlines) {
      if (!o.done && o.peer.equals(p.nodeId)) fail(o, Status.NOT_CONNECTED, msg);
    }
  }

  // ---- incoming frames -------------------------------------------------------------------------

  /** One whole frame from the assembler (poll thread); {@code buffer} is valid only during the call. */
  private void onFrame(DirectBuffer buffer, int offset, int length, Header header) {
    counters.framesReceived.incrementAndGet();
    String source = ReplicationFrame.source(buffer, offset, length);
    if (source != null && faults.dropsFrom(source)) {
      counters.droppedByFault.incrementAndGet();
      return;
    }
    String problem = ReplicationFrame.verify(rxCrc, buffer, offset, length, maxPayload);
    if (problem != null) {
      onDamagedFrame(buffer, offset, length, source, problem);
      return;
    }
    byte type = ReplicationFrame.type(buffer, offset);
    long corr = ReplicationFrame.correlationId(buffer, offset);
    if (FrameType.isRequest(type)) {
      onRequest(buffer, offset, source, type, corr);
    } else if (FrameType.isResponse(type)) {
      onResponse(buffer, offset, source, type, corr);
    } else {
      LOG.warn("{}: frame of unknown type {} from {}", settings.nodeId(), type, source);
      if (source != null && type > 0 && type < FrameType.ACK) {
        sendNack(source, corr, Status.UNSUPPORTED, "unknown request type " + type);
      }
    }
  }

  private void onDamagedFrame(DirectBuffer buffer, int offset, int length, String source, String problem) {
    counters.damagedFrames.incrementAndGet();
    LOG.warn("{}: dropped a damaged frame from {}: {}", settings.nodeId(), source == null ? "an unknown sender" : source,
        problem);
    if (source == null || length < HEADER_LENGTH) return;
    byte type = ReplicationFrame.type(buffer, offset);
    long corr = ReplicationFrame.correlationId(buffer, offset);
    if (FrameType.isRequest(type)) {
      sendNack(source, corr, Status.CHECKSUM, problem);
    } else if (FrameType.isResponse(type)) {
      Outgoing o = pending.get(corr);
      if (o != null && o.peer.equals(source)) retryAfterChecksum(o, "its reply arrived damaged: " + problem);
    }
  }

  private void sendNack(String peer, long corr, Status status, String message) {
    String m = message.length() > MAX_NACK_MESSAGE ? message.substring(0, MAX_NACK_MESSAGE) : message;
    Outgoing o = encode(peer, FrameType.NACK, corr, status.code(), 0, 0, 0, 0,
        Unpooled.wrappedBuffer(m.getBytes(StandardCharsets.UTF_8)), true, null);
    if (status == Status.CHECKSUM) counters.checksumNacksSent.incrementAndGet();
    startOffer(o, nowNs);
  }

  private void retryAfterChecksum(Outgoing o, String why) {
    if (o.done) return;
    if (o.checksumRetries >= settings.maxChecksumRetries()) {
      fail(o, Status.CHECKSUM, "peer " + o.peer + ": " + FrameType.name(o.type) + " failed after "
          + o.checksumRetries + " checksum retries; last: " + why);
      return;
    }
    o.checksumRetries++;
    counters.checksumRetries.incrementAndGet();
    LOG.debug("{}: re-sending {} #{} to {}: {}", settings.nodeId(), FrameType.name(o.type), o.correlationId, o.peer, why);
    waiting.remove(o);
    startOffer(o, nowNs);
  }

  private void onRequest(DirectBuffer b, int offset, String source, byte type, long corr) {
    if (source == null || directory.lookup(source) == null) {
      LOG.warn("{}: {} from unknown node {} dropped (cannot answer it)", settings.nodeId(), FrameType.name(type), source);
      return;
    }
    ByteBuf payload;
    try {
      payload = copyPayload(b, offset);
    } catch (LZ4Exception | IllegalArgumentException e) {
      sendNack(source, corr, Status.BAD_REQUEST, "payload does not decompress: " + e.getMessage());
      return;
    }
    long f0 = ReplicationFrame.field0(b, offset);
    long f1 = ReplicationFrame.field1(b, offset);
    long f2 = ReplicationFrame.field2(b, offset);
    long f3 = ReplicationFrame.field3(b, offset);
    if (type == FrameType.OPLOG_REPLICATE) {
      // The hot path of every replicated write: the replica log's append only queues the record
      // for its writer, so it runs here, and the ACK is sent from the writer's completion: two
      // thread hand-offs fewer per write than through the handler pool.
      dispatch(source, corr, type, f0, f1, f2, f3, payload, false);
      return;
    }
    executor.execute(() -> dispatch(source, corr, type, f0, f1, f2, f3, payload, true));
  }

  private void onResponse(DirectBuffer b, int offset, String source, byte type, long corr) {
    Outgoing o = pending.get(corr);
    if (o == null || o.done || !o.peer.equals(source)) {
      counters.lateResponses.incrementAndGet();
      return;
    }
    switch (type) {
      case FrameType.NACK -> {
        Status st = Status.ofCode(ReplicationFrame.status(b, offset));
        String msg = text(b, offset);
        if (st == Status.CHECKSUM) {
          retryAfterChecksum(o, "it reported: " + msg);
        } else {
          fail(o, st, true, "peer " + source + " answered " + FrameType.name(o.type) + " with NACK " + st + ": " + msg);
        }
      }
      case FrameType.ACK -> {
        if (expectsData(o.type)) {
          fail(o, Status.ERROR, true, "peer " + source + " answered " + FrameType.name(o.type) + " with ACK, not DATA");
        } else {
          complete(o, new Response.Ack(text(b, offset)));
        }
      }
      default -> { // DATA
        if (!expectsData(o.type)) {
          fail(o, Status.ERROR, true, "peer " + source + " answered " + FrameType.name(o.type) + " with DATA, not ACK");
          return;
        }
        ByteBuf data;
        try {
          data = copyPayload(b, offset);
        } catch (LZ4Exception | IllegalArgumentException e) {
          fail(o, Status.ERROR, true, "peer " + source + " sent DATA that does not decompress: " + e.getMessage());
          return;
        }
        complete(o, new Response.Data(ReplicationFrame.field0(b, offset), data));
      }
    }
  }

  private static boolean expectsData(byte requestType) {
    return requestType == FrameType.OPLOG_FETCH || requestType == FrameType.EGROUP_READ
        || requestType == FrameType.EGROUP_WRITTEN;
  }

  /** The payload of a verified frame, decompressed, in a new buffer owned by the caller. */
  private static ByteBuf copyPayload(DirectBuffer b, int offset) {
    int wire = ReplicationFrame.payloadLength(b, offset);
    int raw = ReplicationFrame.uncompressedLength(b, offset);
    if (raw == 0) return Unpooled.EMPTY_BUFFER;
    ByteBuf out = ALLOC.directBuffer(raw, raw);
    try {
      ByteBuffer dst = out.nioBuffer(0, raw);
      if ((ReplicationFrame.flags(b, offset) & ReplicationFrame.FLAG_LZ4) != 0) {
        ByteBuffer src = ReplicationFrame.byteBuffer(b, offset + HEADER_LENGTH, wire);
        int n = DECOMPRESSOR.decompress(src, 0, wire, dst, 0, raw);
        if (n != raw) throw new IllegalArgumentException("decompressed to " + n + " bytes, header says " + raw);
      } else {
        b.getBytes(offset + HEADER_LENGTH, dst, 0, raw);
      }
      out.writerIndex(raw);
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  private static String text(DirectBuffer b, int offset) {
    int n = ReplicationFrame.payloadLength(b, offset);
    if (n == 0) return "";
    if ((ReplicationFrame.flags(b, offset) & ReplicationFrame.FLAG_LZ4) != 0) {
      ByteBuf p = copyPayload(b, offset);
      try {
        return p.toString(StandardCharsets.UTF_8);
      } finally {
        p.release();
      }
    }
    byte[] bytes = new byte[n];
    b.getBytes(offset + HEADER_LENGTH, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  // ---- completing requests (poll thread) -------------------------------------------------------

  private void complete(Outgoing o, Response r) {
    finishRequest(o);
    if (o.type == FrameType.OPLOG_REPLICATE) {
      // The ACK of a replicated OpLog write: its continuations only complete the front-end write
      // (no blocking), so they run here rather than after a hand-off to a handler thread.
      o.future.complete(r);
      return;
    }
    executor.execute(() -> {
      if (!o.future.complete(r) && r instanceof Response.Data d) d.payload().release(); // caller gave up
    });
  }

  private void fail(Outgoing o, Status status, String message) {
    fail(o, status, false, message);
  }

  private void fail(Outgoing o, Status status, boolean remote, String message) {
    if (o.done) return;
    if (o.future == null) { // a reply or NACK we could not send: the requester times out and retries
      LOG.debug("{}: {} #{} to {} not sent: {}", settings.nodeId(), FrameType.name(o.type), o.correlationId, o.peer, message);
      release(o);
      return;
    }
    finishRequest(o);
    ReplicationException e = new ReplicationException(o.peer, status, remote, message);
    executor.execute(() -> o.future.completeExceptionally(e));
  }

  private void finishRequest(Outgoing o) {
    pending.remove(o.correlationId);
    release(o);
  }

  private void shutdownOnPollThread() {
    releaseCommands();
    for (Outgoing o : waiting) fail(o, Status.CLOSED, "replication endpoint of " + settings.nodeId() + " closed");
    for (Outgoing o : deadlines) fail(o, Status.CLOSED, "replication endpoint of " + settings.nodeId() + " closed");
    waiting.clear();
    deadlines.clear();
    pending.clear();
    for (Peer p : peers.values()) p.close(aeron);
    peers.clear();
  }

  /** Fails and releases whatever is still queued (once nothing polls the queue any more). */
  private void releaseCommands() {
    Object c;
    while ((c = commands.poll()) != null) {
      release(c);
      if (c instanceof Outgoing o && o.future != null) {
        o.future.completeExceptionally(closedException(o.peer));
      }
    }
  }

  private ReplicationException closedException(String peer) {
    return new ReplicationException(peer, Status.CLOSED, false,
        "replication endpoint of " + settings.nodeId() + " is closed");
  }

  private static void release(Object c) {
    if (c instanceof Outgoing o) {
      o.done = true;
      if (o.owned != null) {
        o.owned.release();
        o.owned = null;
      }
    }
  }

  // ==== handlers (executor) =======================================================================

  /**
   * Runs the request's handler and sends its reply when its future completes: on a handler thread
   * when {@code async}, else on the thread that completes it (the handler must then not block).
   */
  private void dispatch(String source, long corr, byte type, long f0, long f1, long f2, long f3, ByteBuf payload,
      boolean async) {
    CompletableFuture<?> f;
    try {
      f = switch (type) {
        case FrameType.OPLOG_REPLICATE -> handlers.oplogReplicate(source, f0, f1, f2, f3, payload);
        case FrameType.OPLOG_TRIM -> handlers.oplogTrim(source, f0, f1);
        case FrameType.OPLOG_FETCH -> handlers.oplogFetch(source, f0, f1, (int) Math.max(1, Math.min(f2, maxPayload / 2)));
        case FrameType.OPLOG_DISCARD -> handlers.oplogDiscard(source, f0);
        case FrameType.EGROUP_CREATE -> handlers.egroupCreate(source, f0,
            payload.isReadable() ? payload.toString(StandardCharsets.UTF_8) : null);
        case FrameType.EGROUP_WRITE -> handlers.egroupWrite(source, f0, f1, payload);
        case FrameType.EGROUP_READ -> f2 < 0 || f2 > maxPayload
            ? CompletableFuture.failedFuture(ReplicationException.of(Status.BAD_REQUEST,
                "read length " + f2 + " outside [0, " + maxPayload + "]"))
            : handlers.egroupRead(source, f0, f1, (int) f2);
        case FrameType.EGROUP_DELETE -> handlers.egroupDelete(source, f0);
        case FrameType.EGROUP_DEALLOCATE -> handlers.egroupDeallocate(source, f0, f1, f2);
        case FrameType.EGROUP_WRITTEN -> handlers.egroupWritten(source, f0, f1, f2);
        default -> CompletableFuture.failedFuture(ReplicationException.of(Status.UNSUPPORTED, "type " + type));
      };
      if (f == null) f = CompletableFuture.failedFuture(new IllegalStateException("handler returned null"));
    } catch (Throwable t) {
      f = CompletableFuture.failedFuture(t);
    }
    java.util.function.BiConsumer<Object, Throwable> answer = (v, err) -> {
      payload.release();
      reply(source, corr, type, v, err);
    };
    if (async) {
      f.whenCompleteAsync(answer, executor);
    } else {
      f.whenComplete(answer);
    }
  }

  private void reply(String source, long corr, byte type, Object value, Throwable err) {
    Outgoing o;
    try {
      if (err != null) {
        o = nack(source, corr, err);
      } else if (type == FrameType.OPLOG_FETCH) {
        ReplicaPage page = (ReplicaPage) value;
        ByteBuf buf = FetchPageCodec.encode(ALLOC, page);
        o = encode(source, FrameType.DATA, corr, 0, page.next(), 0, 0, 0, buf, true, null);
      } else if (type == FrameType.EGROUP_READ) {
        o = encode(source, FrameType.DATA, corr, 0, 0, 0, 0, 0, (ByteBuf) value, true, null);
      } else if (type == FrameType.EGROUP_WRITTEN) {
        byte[] bitmap = ((java.util.BitSet) value).toByteArray();
        o = encode(source, FrameType.DATA, corr, 0, 0, 0, 0, 0,
            bitmap.length == 0 ? null : Unpooled.wrappedBuffer(bitmap), true, null);
      } else {
        String detail = value instanceof String s ? s : "";
        o = encode(source, FrameType.ACK, corr, 0, 0, 0, 0, 0,
            detail.isEmpty() ? null : Unpooled.wrappedBuffer(detail.getBytes(StandardCharsets.UTF_8)), true, null);
      }
    } catch (RuntimeException e) {
      o = nack(source, corr, e);
    }
    enqueue(o);
  }

  private Outgoing nack(String source, long corr, Throwable err) {
    Throwable c = unwrap(err);
    Status st;
    String msg;
    if (c instanceof ReplicationException re) {
      st = re.status().onWire() ? re.status() : Status.ERROR;
      msg = re.getMessage();
    } else if (c instanceof VDiskGoneException) {
      st = Status.GONE;
      msg = c.getMessage();
    } else if (c instanceof VDiskIoException v) {
      st = switch (v.kind()) {
        case UNRECOVERED_READ_ERROR, WRITE_ERROR -> Status.IO_ERROR;
        case LBA_OUT_OF_RANGE -> Status.BAD_REQUEST;
        case SPACE_EXHAUSTED -> Status.NO_SPACE;
        case NOT_READY -> Status.NOT_FOUND;
        case TIMEOUT, INTERNAL -> Status.ERROR;
      };
      msg = v.kind() + ": " + v.getMessage();
    } else if (c instanceof IllegalArgumentException) {
      st = Status.BAD_REQUEST;
      msg = String.valueOf(c.getMessage());
    } else {
      st = Status.ERROR;
      msg = c.toString();
    }
    if (msg == null) msg = "";
    if (msg.length() > MAX_NACK_MESSAGE) msg = msg.substring(0, MAX_NACK_MESSAGE);
    return encode(source, FrameType.NACK, corr, st.code(), 0, 0, 0, 0,
        Unpooled.wrappedBuffer(msg.getBytes(StandardCharsets.UTF_8)), true, null);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private void execute(Runnable r) {
    try {
      pool.execute(r);
    } catch (RejectedExecutionException e) {
      r.run(); // shutting down: run inline so futures complete and buffers are released
    }
  }

  // ==== misc ======================================================================================

  private static String ms(long ns) {
    return TimeUnit.NANOSECONDS.toMillis(ns) + " ms";
  }

  private static void joinQuietly(Thread t) {
    boolean interrupted = false;
    while (t.isAlive()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("closing {}: {}", c.getClass().getSimpleName(), e.toString());
    }
  }

  @Override
  public String toString() {
    return "ReplicationEndpoint[" + settings.nodeId() + "@" + settings.bindHost() + ":" + settings.port() + "]";
  }

  /** One frame to send: a request (with its future, kept until answered) or a reply. */
  private static final class Outgoing {
    final String peer;
    final byte type;
    final long correlationId;
    /** Null for replies and NACKs. */
    final CompletableFuture<Response> future;
    final UnsafeBuffer header = new UnsafeBuffer(new byte[HEADER_LENGTH]);
    /** The payload as sent (null when empty); a view of the caller's buffer or of {@link #owned}. */
    DirectBuffer payload;
    int payloadLength;
    /** A buffer this frame releases when done (a compressed or copied payload, a reply's bytes). */
    ByteBuf owned;
    long deadlineNs;
    long offerUntilNs;
    int checksumRetries;
    /** Answered, failed or sent (replies); never offered again. Poll thread (or close) only. */
    boolean done;

    Outgoing(String peer, byte type, long correlationId, CompletableFuture<Response> future) {
      this.peer = peer;
      this.type = type;
      this.correlationId = correlationId;
      this.future = future;
    }
  }

  private record ClosePeer(String nodeId) {}

  /** A peer's publication (poll thread writes; {@link #isConnected} reads {@link #publication}). */
  private static final class Peer {
    final String nodeId;
    final PeerDirectory.PeerAddress address;
    final long registrationId;
    final long createdNs;
    volatile ExclusivePublication publication;
    RegistrationException error;
    boolean everConnected;
    boolean closed;

    Peer(String nodeId, PeerDirectory.PeerAddress address, long registrationId, long createdNs) {
      this.nodeId = nodeId;
      this.address = address;
      this.registrationId = registrationId;
      this.createdNs = createdNs;
    }

    /** The publication once the driver created it, else null (see {@link #error}). */
    ExclusivePublication resolve(Aeron aeron) {
      ExclusivePublication pub = publication;
      if (pub != null || error != null || closed) return pub;
      try {
        pub = aeron.getExclusivePublication(registrationId);
      } catch (RegistrationException e) {
        error = e;
        return null;
      }
      if (pub != null) publication = pub;
      return pub;
    }

    void close(Aeron aeron) {
      if (closed) return;
      closed = true;
      ExclusivePublication pub = publication;
      if (pub == null && error == null) {
        try {
          pub = aeron.getExclusivePublication(registrationId);
        } catch (RuntimeException e) {
          pub = null;
        }
        if (pub == null) {
          try {
            aeron.asyncRemovePublication(registrationId);
          } catch (RuntimeException e) {
            LOG.debug("removing pending publication to {}: {}", nodeId, e.toString());
          }
        }
      }
      if (pub != null) pub.close();
    }

    @Override
    public String toString() {
      return nodeId + " (" + address + ")";
    }
  }

  /**
   * Endpoint counters (monotonic since start). {@code backPressured} counts offers refused with
   * BACK_PRESSURED or ADMIN_ACTION (each retry counts).
   */
  public record Stats(
      long framesSent,
      long bytesSent,
      long framesReceived,
      long damagedFrames,
      long checksumNacksSent,
      long checksumRetries,
      long timeouts,
      long lateResponses,
      long compressedFrames,
      long droppedByFault,
      long corruptedByFault,
      long backPressured) {}

  private static final class Counters {
    final AtomicLong framesSent = new AtomicLong();
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong framesReceived = new AtomicLong();
    final AtomicLong damagedFrames = new AtomicLong();
    final AtomicLong checksumNacksSent = new AtomicLong();
    final AtomicLong checksumRetries = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong lateResponses = new AtomicLong();
    final AtomicLong compressedFrames = new AtomicLong();
    final AtomicLong droppedByFault = new AtomicLong();
    final AtomicLong corruptedByFault = new AtomicLong();
    final AtomicLong backPressured = new AtomicLong();

    Stats snapshot() {
      return new Stats(framesSent.get(), bytesSent.get(), framesReceived.get(), damagedFrames.get(),
          checksumNacksSent.get(), checksumRetries.get(), timeouts.get(), lateResponses.get(), compressedFrames.get(),
          droppedByFault.get(), corruptedByFault.get(), backPressured.get());
    }
  }
}
