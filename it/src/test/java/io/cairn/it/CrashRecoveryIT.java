package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kill -9} of a node in the middle of a write stream: every write qemu-io saw acknowledged
 * must read back intact after the restart (OpLog replay for the small writes, the extent store's
 * intent recovery for the 2 MiB writes that went straight to it). Four crashes in a row, each in
 * the middle of a new stream over the data the previous crash left.
 *
 * <p>The stream mixes 4 KiB writes at queue depth 1, bursts of 4 KiB aio writes, and bursts of
 * 2 MiB aio writes (sequential: they skip the OpLog); each write carries its own byte pattern, and
 * writes in flight together never overlap. qemu-io runs under {@code stdbuf -oL}, so each
 * {@code wrote N/N bytes at offset X} line arrives as the write completes; a write is acknowledged
 * once its line is seen. After the restart each 512-byte block must hold the pattern of the last
 * acknowledged write to it (or its content before the stream), or the pattern of a later write that
 * was not acknowledged (it may or may not have reached the disk) — nothing else.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CrashRecoveryIT {

  private static final long SEED = 0xC2A5_4001L;
  private static final int SECTOR = CairnProcess.BLOCK;
  private static final int BLOCK = 4096;
  private static final long REGION = 64L << 20;
  private static final int BLOCKS = (int) (REGION / BLOCK);
  private static final int SECTORS = (int) (REGION / SECTOR);
  private static final int CRASHES = 4;
  /** Commands per stream: far more than complete before the kill. */
  private static final int STREAM_WRITES = 6000;
  private static final int MIN_ACKS_BEFORE_KILL = 300;
  private static final int MAX_ACKS_BEFORE_KILL = 700;
  private static final int SEQUENTIAL_WRITE = 2 << 20;
  private static final int SEQUENTIAL_BURST = 4;

  @RegisterExtension
  final CairnNodes nodes = new CairnNodes();

  private final SplittableRandom random = new SplittableRandom(SEED);

  /** One write of the stream, in command order. */
  private static final class Write {
    final long offset;
    final int length;
    final int pattern;
    /** The aio burst the write belongs to (-1 for a queue-depth-1 write). */
    final int burst;
    boolean acked;

    Write(long offset, int length, int pattern, int burst) {
      this.offset = offset;
      this.length = length;
      this.pattern = pattern;
      this.burst = burst;
    }

    @Override
    public String toString() {
      return String.format("%s of 0x%02x at %d+%d", acked ? "acked" : "unacked", pattern, offset, length);
    }
  }

  /** The content of each 512-byte block of the region before the current stream (a pattern byte). */
  private final byte[] baseline = new byte[SECTORS];
  private final List<Write> writes = new ArrayList<>();
  /** Indices into {@link #writes} of the writes covering each 4 KiB block, in command order. */
  private final List<List<Integer>> writesOfBlock = new ArrayList<>();
  private int nextPattern;
  private int bursts;

  @Test
  void shouldKeepEveryAcknowledgedWriteAcrossRepeatedKillDashNine() throws Exception {
    CairnProcess node = nodes.start("node");
    for (int crash = 1; crash <= CRASHES; crash++) {
      List<String> commands = newStream(crash % 2 == 0 ? 5 : 9);
      int ackTarget = MIN_ACKS_BEFORE_KILL + random.nextInt(MAX_ACKS_BEFORE_KILL - MIN_ACKS_BEFORE_KILL + 1);
      // Odd crashes strike a mostly random stream wherever the target count falls; even ones strike
      // a stream that is half 2 MiB bursts at a completion within such a burst, so that the rest of
      // the burst is likely being written to the extent store (intents pending).
      int acks = runUntilKilled(node, commands, ackTarget, crash % 2 == 0);
      assertTrue(acks >= ackTarget, "crash " + crash + ": only " + acks + " writes were acknowledged before qemu-io ended");

      node.restart();
      long replayed = node.oplog().get("replayedRecords").asLong();
      assertTrue(replayed > 0, "crash " + crash + ": the OpLog replayed no records after kill -9");
      byte[] content = readRegion(node, "after crash " + crash);
      checkAgainstStream(content, "after crash " + crash + " (" + acks + " acknowledged writes, " + replayed + " OpLog records replayed)");
      rebase(content);
    }
    // Draining what the last replay brought back must not change a byte.
    node.awaitDrained(Duration.ofMinutes(2));
    byte[] drained = readRegion(node, "after the final drain");
    byte[] expected = new byte[(int) REGION];
    for (int s = 0; s < SECTORS; s++) java.util.Arrays.fill(expected, s * SECTOR, (s + 1) * SECTOR, baseline[s]);
    assertArrayEquals(expected, drained, "region changed while the replayed OpLog drained");
  }

  /**
   * The metadata of a write (the block map entry of a newly written vBlock) is as durable as its
   * bytes when the write is acknowledged: 2 MiB writes to never-written vBlocks, then a flush, then
   * {@code kill -9} at once.
   */
  @Test
  void shouldKeepSequentialWritesToFreshVBlocksWhenKilledRightAfterTheirAcknowledgement() throws Exception {
    CairnProcess node = nodes.start("node");
    for (int round = 0; round < 3; round++) {
      long base = (1L << 30) + round * (64L << 20);
      int pattern = 0x41 + round;
      List<String> burst = new ArrayList<>();
      for (int i = 0; i < 8; i++) burst.add(QemuIo.aioWrite(pattern, base + (long) i * SEQUENTIAL_WRITE, SEQUENTIAL_WRITE));
      burst.add("aio_flush");
      QemuIo.run(node.url(0), burst, Duration.ofMinutes(1)).assertClean("8 x 2 MiB to fresh vBlocks", 8, 0);
      node.kill9();
      node.restart();
      QemuIo.run(node.url(0), List.of(QemuIo.readExpect(pattern, base, 8L * SEQUENTIAL_WRITE)), Duration.ofMinutes(1))
          .assertClean("16 MiB acknowledged before kill -9 (round " + round + ")", 0, 1);
    }
  }

  /** A vDisk creation or deletion the API acknowledged survives {@code kill -9} right after it. */
  @Test
  void shouldKeepAcknowledgedVDiskCreationAndDeletionAcrossKillDashNine() {
    CairnProcess node = nodes.start("node");
    node.createVDisk("doomed", "64M");
    node.kill9();
    node.restart();
    assertTrue(node.get("/api/vdisks/doomed") != null, "vDisk created (201) before kill -9 is gone");

    CairnProcess.ApiResponse deleted = node.api("DELETE", "/api/vdisks/doomed", null);
    assertTrue(deleted.status() == 204, "DELETE -> " + deleted.status() + " " + deleted.body());
    node.createVDisk("born", "64M");
    node.kill9();
    node.restart();
    assertTrue(node.get("/api/vdisks/doomed") == null, "vDisk deleted (204) before kill -9 is back");
    assertTrue(node.get("/api/vdisks/born") != null, "vDisk created (201) before kill -9 is gone");
  }

  // ---------------------------------------------------------------- the stream

  /**
   * A new stream of writes over the region: groups of 20 QD1 4 KiB writes, bursts of 16 aio 4 KiB
   * writes, and bursts of 4 aio 2 MiB writes; {@code sequentialFrom} of 10 groups (on average) are
   * not 2 MiB bursts.
   */
  private List<String> newStream(int sequentialFrom) {
    writes.clear();
    writesOfBlock.clear();
    for (int b = 0; b < BLOCKS; b++) writesOfBlock.add(new ArrayList<>());
    List<String> commands = new ArrayList<>();
    while (writes.size() < STREAM_WRITES) {
      int kind = random.nextInt(10);
      if (kind < sequentialFrom / 2) {
        for (int i = 0; i < 20; i++) commands.add(add(randomBlock() * BLOCK, BLOCK, -1));
      } else if (kind < sequentialFrom) {
        BitSet used = new BitSet(BLOCKS);
        int burst = bursts++;
        for (int i = 0; i < 16; i++) {
          long block;
          do {
            block = randomBlock();
          } while (used.get((int) block));
          used.set((int) block);
          commands.add(add(block * BLOCK, BLOCK, burst));
        }
        commands.add("aio_flush");
      } else {
        int burst = bursts++;
        long start = random.nextLong((REGION - (long) SEQUENTIAL_BURST * SEQUENTIAL_WRITE) / BLOCK + 1) * BLOCK;
        for (int i = 0; i < SEQUENTIAL_BURST; i++) commands.add(add(start + (long) i * SEQUENTIAL_WRITE, SEQUENTIAL_WRITE, burst));
        commands.add("aio_flush");
      }
    }
    return commands;
  }

  private long randomBlock() {
    return random.nextInt(BLOCKS);
  }

  /**
   * Adds a write whose pattern differs from every pattern its blocks held or were written with in
   * this stream (so a lost write can never hide behind an equal older pattern, while there are
   * patterns left); returns its qemu-io command.
   */
  private String add(long offset, int length, int burst) {
    BitSet taken = new BitSet(256);
    taken.set(0);
    int first = (int) (offset / BLOCK);
    int last = (int) ((offset + length - 1) / BLOCK);
    for (int b = first; b <= last; b++) {
      for (int s = b * (BLOCK / SECTOR); s < (b + 1) * (BLOCK / SECTOR); s++) taken.set(baseline[s] & 0xFF);
      for (int w : writesOfBlock.get(b)) taken.set(writes.get(w).pattern);
    }
    int pattern = nextPattern % 255 + 1;
    for (int tries = 0; tries < 255 && taken.get(pattern); tries++) pattern = pattern % 255 + 1;
    nextPattern = pattern;
    writes.add(new Write(offset, length, pattern, burst));
    for (int b = first; b <= last; b++) writesOfBlock.get(b).add(writes.size() - 1);
    return burst >= 0 ? QemuIo.aioWrite(pattern, offset, length) : QemuIo.write(pattern, offset, length);
  }

  /**
   * Runs the stream in qemu-io and kills the node ({@code kill -9}) once {@code ackTarget} writes
   * are acknowledged (and, if {@code midSequentialBurst}, at the first completion of a 2 MiB burst
   * after that), then qemu-io; returns the number of acknowledged writes.
   */
  private int runUntilKilled(CairnProcess node, List<String> commands, int ackTarget, boolean midSequentialBurst)
      throws InterruptedException {
    Map<Integer, Integer> burstAcks = new HashMap<>();
    Map<Long, ArrayDeque<Write>> unackedByOffset = new HashMap<>();
    for (Write w : writes) unackedByOffset.computeIfAbsent(w.offset, k -> new ArrayDeque<>()).add(w);
    List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL"));
    cmd.addAll(QemuIo.commandLine(node.url(0), commands));
    int acks = 0;
    List<String> unexpected = new ArrayList<>();
    try (Exec.Background qemu = new Exec.Background(cmd)) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      boolean killed = false;
      while (true) {
        String line = qemu.next(killed ? Duration.ofMillis(500) : Duration.ofSeconds(30));
        if (line == null) {
          if (killed) break;
          throw new AssertionError("qemu-io printed nothing for 30 s after " + acks + " acks\n" + Exec.tail(qemu.transcript()));
        }
        if (line.equals(Exec.Background.EOF)) break;
        Matcher m = QemuIo.WROTE.matcher(line);
        if (m.matches()) {
          ArrayDeque<Write> q = unackedByOffset.get(Long.parseLong(m.group(3)));
          Write w = q == null ? null : q.poll();
          if (w == null || w.length != Integer.parseInt(m.group(1)) || !m.group(1).equals(m.group(2))) {
            throw new AssertionError("acknowledgement of no pending write: " + line + " (matched " + w + ")");
          }
          w.acked = true;
          acks++;
          int acksOfBurst = w.burst < 0 ? 0 : burstAcks.merge(w.burst, 1, Integer::sum);
          boolean strike = acks >= ackTarget
              && (!midSequentialBurst || (w.length == SEQUENTIAL_WRITE && acksOfBurst < SEQUENTIAL_BURST));
          if (!killed && strike) {
            node.kill9();
            killed = true;
            // Lines already printed (or printed for responses that arrived before the kill) still
            // count; then qemu-io goes too, by its PID.
            Thread.sleep(300);
            qemu.close();
          }
        } else if (!QemuIo.STATS.matcher(line).matches() && !line.isBlank() && !killed) {
          unexpected.add(line);
        }
        if (System.nanoTime() - deadline > 0) throw new AssertionError("stream did not reach " + ackTarget + " acks in time");
      }
      if (!killed) {
        throw new AssertionError("qemu-io ended after " + acks + " acks, before the kill:\n" + Exec.tail(qemu.transcript()));
      }
    }
    if (!unexpected.isEmpty()) throw new AssertionError("qemu-io reported before the kill:\n" + String.join("\n", unexpected));
    return acks;
  }

  // ---------------------------------------------------------------- checking

  private static byte[] readRegion(CairnProcess node, String stage) throws Exception {
    try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, 0, "crash-check")) {
      return disk.read(0, (int) REGION);
    } catch (AssertionError e) {
      throw new AssertionError("reading the region " + stage + ": " + e.getMessage(), e);
    }
  }

  /** Checks every 512-byte block of {@code content} against the stream; reports the first violations. */
  private void checkAgainstStream(byte[] content, String stage) {
    List<String> violations = new ArrayList<>();
    int violating = 0;
    for (int s = 0; s < SECTORS; s++) {
      int actual = content[s * SECTOR] & 0xFF;
      boolean uniform = true;
      for (int i = 1; i < SECTOR; i++) {
        if (content[s * SECTOR + i] != content[s * SECTOR]) {
          uniform = false;
          break;
        }
      }
      List<Integer> onBlock = writesOfBlock.get(s / (BLOCK / SECTOR));
      int lastAcked = -1;
      for (int k = 0; k < onBlock.size(); k++) if (writes.get(onBlock.get(k)).acked) lastAcked = k;
      BitSet allowed = new BitSet(256);
      allowed.set(lastAcked < 0 ? baseline[s] & 0xFF : writes.get(onBlock.get(lastAcked)).pattern);
      for (int k = lastAcked + 1; k < onBlock.size(); k++) allowed.set(writes.get(onBlock.get(k)).pattern);
      if (!uniform || !allowed.get(actual)) {
        violating++;
        if (violations.size() < 20) {
          List<String> history = new ArrayList<>();
          for (int w : onBlock) history.add(writes.get(w).toString());
          violations.add(String.format("offset %d: %s 0x%02x, allowed %s; before the stream 0x%02x; writes to its 4 KiB block: %s",
              (long) s * SECTOR, uniform ? "holds" : "is torn, starts with", actual, hex(allowed), baseline[s] & 0xFF, history));
        }
      }
    }
    if (violating > 0) {
      throw new AssertionError(stage + ": " + violating + " of " + SECTORS + " 512-byte blocks hold what no acknowledged"
          + " write left there:\n" + String.join("\n", violations));
    }
  }

  private static String hex(BitSet patterns) {
    List<String> out = new ArrayList<>();
    patterns.stream().forEach(p -> out.add(String.format("0x%02x", p)));
    return out.toString();
  }

  /** The checked content becomes the baseline of the next stream. */
  private void rebase(byte[] content) {
    for (int s = 0; s < SECTORS; s++) baseline[s] = content[s * SECTOR];
  }
}
