package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A mixed workload through qemu-io: rounds of 2 MiB sequential writes several in flight (the
 * write characterizer sends them straight to the extent store), bursts of 4 KiB writes at random
 * 512-byte-aligned offsets (through the OpLog, many straddling two 4 KiB slices), and a few odd-sized
 * writes at queue depth 1, each write with its own byte pattern. No two writes in flight overlap, so
 * the expected content is exact: a model of one byte per 512-byte block. Every block of the region
 * (and a never-written margin after it, which must read as zeros) is verified with {@code read -P}
 * before the OpLog drains, after it drained, after a restart, and after the replayed OpLog drained
 * again.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MixedWorkloadIT {

  private static final long SEED = 0x1DEA_2026L;
  private static final long REGION = 256L << 20;
  /** Never written: must read as zeros. */
  private static final long MARGIN = 16L << 20;
  private static final int ROUNDS = 8;
  private static final int SEQUENTIAL_WRITE = 2 << 20;
  private static final int SEQUENTIAL_IN_FLIGHT = 5;
  private static final int RANDOM_WRITE = 4096;
  private static final int RANDOM_IN_FLIGHT = 48;
  private static final int[] ODD_SIZES = {512, 1536, 4096, 12288, 65536};
  private static final Duration QEMU_TIMEOUT = Duration.ofMinutes(3);

  @RegisterExtension
  final CairnNodes nodes = new CairnNodes();

  private final SplittableRandom random = new SplittableRandom(SEED);
  private int pattern;

  @Test
  void shouldReadBackEveryPatternBeforeDrainAfterDrainAndAfterRestartAndRedrain() {
    CairnProcess node = nodes.start("node");
    SectorModel model = new SectorModel(0, REGION + MARGIN);
    List<String> commands = new ArrayList<>();
    int writes = 0;
    for (int round = 0; round < ROUNDS; round++) {
      // A sequential run from a random 4 KiB-aligned start: extents are crossed mid-write.
      long start = (random.nextLong(REGION - (long) SEQUENTIAL_IN_FLIGHT * SEQUENTIAL_WRITE) / 4096) * 4096;
      for (int i = 0; i < SEQUENTIAL_IN_FLIGHT; i++) {
        writes += write(commands, model, true, start + (long) i * SEQUENTIAL_WRITE, SEQUENTIAL_WRITE);
      }
      commands.add("aio_flush");
      List<long[]> burst = new ArrayList<>();
      while (burst.size() < RANDOM_IN_FLIGHT) {
        long off = random.nextLong((REGION - RANDOM_WRITE) / 512) * 512;
        if (burst.stream().anyMatch(b -> off < b[0] + RANDOM_WRITE && b[0] < off + RANDOM_WRITE)) continue;
        burst.add(new long[] {off});
        writes += write(commands, model, true, off, RANDOM_WRITE);
      }
      commands.add("aio_flush");
      for (int size : ODD_SIZES) {
        writes += write(commands, model, false, random.nextLong((REGION - size) / 512) * 512, size);
      }
    }
    QemuIo.run(node.url(0), commands, QEMU_TIMEOUT).assertClean("mixed workload", writes, 0);
    long undrained = node.oplog().get("undrainedBytes").asLong();
    long appends = node.oplog().get("appends").asLong();
    assertTrue(appends > 0 && appends < writes,
        "some writes (the random ones) go through the OpLog and some (the sequential runs) do not: "
            + appends + " OpLog appends for " + writes + " writes");

    verify(node, model, "before drain (" + undrained + " bytes undrained after the workload)");
    node.awaitDrained(Duration.ofMinutes(2));
    verify(node, model, "after drain");
    node.stop();
    node.restart();
    verify(node, model, "after a restart");
    // Drained records stay in their OpLog file until the file is trimmed, so the restart brought them
    // back as undrained; draining them again must not lay old bytes over newer sequential writes.
    long replayed = node.oplog().get("replayedRecords").asLong();
    node.awaitDrained(Duration.ofMinutes(2));
    verify(node, model, "after the restart's " + replayed + " replayed records drained again");
  }

  /** Adds one write with a fresh pattern to the script and the model; returns 1. */
  private int write(List<String> commands, SectorModel model, boolean async, long offset, int length) {
    pattern = pattern % 255 + 1;
    commands.add(async ? QemuIo.aioWrite(pattern, offset, length) : QemuIo.write(pattern, offset, length));
    model.write(offset, length, pattern);
    return 1;
  }

  private static void verify(CairnProcess node, SectorModel model, String stage) {
    List<String> reads = new ArrayList<>(model.verifyCommands(8L << 20));
    // The last MiB of the 4 GiB vDisk was never written either.
    reads.add(QemuIo.readExpect(0, CairnProcess.DEMO_SIZE_BYTES - (1 << 20), 1 << 20));
    QemuIo.runAllClean("verify " + stage, node.url(0), reads, QEMU_TIMEOUT);
  }
}
