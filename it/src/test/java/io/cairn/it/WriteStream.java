package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * A stream of writes from several iSCSI sessions at once (one thread each, queue depth 1, each on
 * its own slice of a region), every write with its own content: each 512-byte block it covers holds
 * the write's id. A write is <em>acknowledged</em> when it returned GOOD; one that failed (a CHECK
 * CONDITION, a dropped connection, a timeout) may or may not have reached the disk.
 *
 * <p>{@link #verify} checks a read of the region against that: every block holds the id of the last
 * acknowledged write to it, or of a later write that was not acknowledged, or (with no acknowledged
 * write) zeros or such a later write. Nothing else — no older acknowledged write, no torn block.
 *
 * <p>With {@code reconnect}, a thread whose session failed logs in again (through whatever portal
 * {@code portal} names then) until {@link #stop}; without, it ends at the first failure of its session.
 */
final class WriteStream implements AutoCloseable {

  static final int SECTOR = CairnProcess.BLOCK;
  private static final int MIN_BLOCKS = 1;
  /** Writes span 1 to 16 blocks of 4 KiB. */
  private static final int MAX_BLOCKS = 16;
  private static final int BLOCK = 4096;

  /** One write; {@code outcome} is set when it completed. */
  static final class Write {
    final int id;
    final long offset;
    final int length;
    volatile Outcome outcome = Outcome.IN_FLIGHT;

    Write(int id, long offset, int length) {
      this.id = id;
      this.offset = offset;
      this.length = length;
    }
  }

  enum Outcome { IN_FLIGHT, ACKED, FAILED }

  private final IntSupplier portal;
  private final String iqn;
  private final int lun;
  private final long regionOffset;
  private final long regionBytes;
  private final int threads;
  private final boolean reconnect;
  private final long seed;
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final AtomicInteger acked = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final List<List<Write>> writes = new ArrayList<>();
  private final List<Thread> workers = new ArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private volatile boolean running = true;

  WriteStream(IntSupplier portal, String iqn, int lun, long regionOffset, long regionBytes, int threads, boolean reconnect,
      long seed) {
    if (regionOffset % BLOCK != 0 || regionBytes % ((long) threads * BLOCK * MAX_BLOCKS) != 0) {
      throw new IllegalArgumentException("region not aligned to the threads' slices");
    }
    this.portal = portal;
    this.iqn = iqn;
    this.lun = lun;
    this.regionOffset = regionOffset;
    this.regionBytes = regionBytes;
    this.threads = threads;
    this.reconnect = reconnect;
    this.seed = seed;
  }

  /** Starts the threads. */
  WriteStream start() {
    for (int t = 0; t < threads; t++) {
      List<Write> mine = new CopyOnWriteArrayList<>();
      writes.add(mine);
      int slice = t;
      Thread w = new Thread(() -> run(slice, mine), "write-stream-" + t);
      w.setDaemon(true);
      workers.add(w);
      w.start();
    }
    return this;
  }

  private long sliceBytes() {
    return regionBytes / threads;
  }

  private void run(int slice, List<Write> mine) {
    SplittableRandom random = new SplittableRandom(seed + slice);
    long base = regionOffset + slice * sliceBytes();
    int sliceBlocks = (int) (sliceBytes() / BLOCK);
    IscsiDisk disk = null;
    while (running) {
      if (disk == null) {
        try {
          disk = IscsiDisk.login(portal.getAsInt(), iqn, lun, "stream-" + slice + "-" + nextId.get());
        } catch (IOException | RuntimeException e) {
          errors.add("slice " + slice + ": login: " + e);
          if (!reconnect) return;
          CairnProcess.sleep(500);
          continue;
        }
      }
      int blocks = MIN_BLOCKS + random.nextInt(MAX_BLOCKS - MIN_BLOCKS + 1);
      long offset = base + (long) random.nextInt(sliceBlocks - blocks + 1) * BLOCK;
      Write w = new Write(nextId.getAndIncrement(), offset, blocks * BLOCK);
      mine.add(w);
      ByteBuffer data = ByteBuffer.allocate(w.length);
      while (data.hasRemaining()) data.putInt(w.id);
      try {
        var r = disk.write16(offset / SECTOR, data.array());
        if (r.status() == IscsiDisk.STATUS_GOOD) {
          w.outcome = Outcome.ACKED;
          acked.incrementAndGet();
        } else {
          w.outcome = Outcome.FAILED;
          failed.incrementAndGet();
          errors.add("slice " + slice + ": write " + w.id + ": " + IscsiDisk.describe(r));
        }
      } catch (IOException | RuntimeException e) {
        w.outcome = Outcome.FAILED;
        failed.incrementAndGet();
        errors.add("slice " + slice + ": write " + w.id + ": " + e);
        try {
          disk.close();
        } catch (IOException ignored) {
          // the session is gone either way
        }
        disk = null;
        if (!reconnect) return;
      }
    }
    if (disk != null) {
      try {
        disk.close();
      } catch (IOException ignored) {
        // best effort logout
      }
    }
  }

  int acked() {
    return acked.get();
  }

  int failed() {
    return failed.get();
  }

  /** Waits until {@code n} writes were acknowledged in all; fails with the stream's errors after {@code timeout}. */
  void awaitAcked(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (acked.get() < n) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("only " + acked.get() + " of " + n + " writes acknowledged within " + timeout
            + " (" + failed.get() + " failed); errors: " + errors.subList(Math.max(0, errors.size() - 10), errors.size()));
      }
      if (workers.stream().noneMatch(Thread::isAlive)) {
        throw new AssertionError("every stream thread ended after " + acked.get() + " acknowledged writes; errors: " + errors);
      }
      CairnProcess.sleep(50);
    }
  }

  /** Stops the threads (a write in flight completes or fails first). */
  void stop() throws InterruptedException {
    running = false;
    for (Thread w : workers) w.join(Duration.ofSeconds(60).toMillis());
    for (Thread w : workers) assertTrue(!w.isAlive(), w.getName() + " did not stop");
  }

  /** Waits for the threads to end by themselves (their sessions failed), at most {@code timeout}. */
  void awaitEnded(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread w : workers) w.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    running = false;
  }

  List<String> errors() {
    return List.copyOf(errors);
  }

  long regionOffset() {
    return regionOffset;
  }

  long regionBytes() {
    return regionBytes;
  }

  /**
   * Checks {@code content} (the region read back) against every write; see the class comment.
   * Returns how many blocks hold an acknowledged write.
   */
  int verify(byte[] content, String stage) {
    if (content.length != regionBytes) throw new IllegalArgumentException("content is not the region");
    int sectors = (int) (regionBytes / SECTOR);
    int[] lastAcked = new int[sectors];
    List<Set<Integer>> later = new ArrayList<>(sectors);
    for (int s = 0; s < sectors; s++) later.add(null);
    for (List<Write> slice : writes) {
      for (Write w : slice) {
        int first = (int) ((w.offset - regionOffset) / SECTOR);
        for (int s = first; s < first + w.length / SECTOR; s++) {
          if (w.outcome == Outcome.ACKED) {
            lastAcked[s] = w.id;
            later.set(s, null);
          } else {
            if (later.get(s) == null) later.set(s, new HashSet<>());
            later.get(s).add(w.id);
          }
        }
      }
    }
    ByteBuffer b = ByteBuffer.wrap(content);
    List<String> bad = new ArrayList<>();
    int ackedBlocks = 0;
    for (int s = 0; s < sectors; s++) {
      int at = s * SECTOR;
      int v = b.getInt(at);
      for (int i = 4; i < SECTOR; i += 4) {
        if (b.getInt(at + i) != v) {
          bad.add("block at " + (regionOffset + at) + " is torn (" + v + " then " + b.getInt(at + i) + ")");
          v = Integer.MIN_VALUE;
          break;
        }
      }
      if (v == Integer.MIN_VALUE) continue;
      boolean ok = v == lastAcked[s] || (later.get(s) != null && later.get(s).contains(v));
      if (lastAcked[s] != 0 && v == lastAcked[s]) ackedBlocks++;
      if (!ok) {
        bad.add("block at " + (regionOffset + at) + " holds " + v + "; last acknowledged " + lastAcked[s] + ", later unacknowledged "
            + (later.get(s) == null ? "none" : later.get(s)));
      }
      if (bad.size() > 20) break;
    }
    assertTrue(bad.isEmpty(), stage + ": " + bad.size() + "+ blocks wrong (" + acked.get() + " writes acknowledged, " + failed.get()
        + " failed):\n" + String.join("\n", bad));
    return ackedBlocks;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
