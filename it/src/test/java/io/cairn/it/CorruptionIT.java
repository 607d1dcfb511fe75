package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One flipped byte in an extent group's data file on disk: with a single replica there is no good
 * copy to read instead, so every read covering the damaged 4 KiB slice must fail with MEDIUM ERROR,
 * UNRECOVERED READ ERROR (11h/00h) and never return the damaged bytes, while every other slice (of
 * the same extent group and of others) still reads back exactly; a write of the whole slice replaces
 * it.
 *
 * <p>The damaged range is written as one 2 MiB command, which the write characterizer sends
 * straight to the extent store: its bytes were never in the OpLog. (Bytes that went through the
 * OpLog stay in its file after the drain until the file is trimmed, so a restart replays them and
 * the read would be served, correctly, from the OpLog.)
 *
 * <p>The slice is found on disk by its content (see {@code ExtentStoreFormat}: egroup data files
 * {@code disks/<disk>/egroups/<xx>/eg-<id>.data}, slice {@code i} at file offset {@code i * 4096},
 * uncompressed in the default container).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CorruptionIT {

  private static final int SLICE = 4096;
  /** Range A: written by one 2 MiB WRITE(16), straight to the extent store; 4 KiB- but not extent-aligned. */
  private static final int RANGE_A = 2 << 20;
  private static final long OFFSET_A = (40L << 20) + 3 * SLICE;
  /** Range B: 64 KiB written through the OpLog, in another extent. */
  private static final int RANGE_B = 64 * 1024;
  private static final long OFFSET_B = 300L << 20;
  /** The slice of range A that gets damaged (index within the range). */
  private static final int VICTIM = 100;
  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  @RegisterExtension
  final CairnNodes nodes = new CairnNodes();

  record Location(Path file, long offset) {}

  @Test
  void shouldFailReadsOfTheDamagedSliceWithMediumErrorAndServeEveryOtherSlice() throws Exception {
    CairnProcess node = nodes.start("node");
    SplittableRandom random = new SplittableRandom(0xBAD5_11CEL);
    byte[] a = new byte[RANGE_A];
    byte[] b = new byte[RANGE_B];
    random.nextBytes(a);
    random.nextBytes(b);
    try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, 0, "writer")) {
      disk.write(OFFSET_A, a, RANGE_A);
      disk.write(OFFSET_B, b);
    }
    node.awaitDrained(Duration.ofMinutes(2));
    node.stop();

    byte[] victim = Arrays.copyOfRange(a, VICTIM * SLICE, (VICTIM + 1) * SLICE);
    Location at = findSlice(node.dataDir, victim);
    flipByte(at.file(), at.offset() + 1234);

    node.restart();
    long bad = OFFSET_A + (long) VICTIM * SLICE;
    try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, 0, "reader")) {
      assertMediumError(disk, bad, SLICE, "the damaged slice");
      assertMediumError(disk, bad + 1024, 512, "one block inside the damaged slice");
      assertMediumError(disk, bad - 8 * SLICE, 16 * SLICE, "64 KiB around the damaged slice");
      assertMediumError(disk, bad, SLICE, "the damaged slice, read again");

      assertArrayEquals(Arrays.copyOfRange(a, 0, VICTIM * SLICE), disk.read(OFFSET_A, VICTIM * SLICE),
          "slices before the damaged one");
      assertArrayEquals(Arrays.copyOfRange(a, (VICTIM + 1) * SLICE, RANGE_A), disk.read(bad + SLICE, RANGE_A - (VICTIM + 1) * SLICE),
          "slices after the damaged one");
      assertArrayEquals(b, disk.read(OFFSET_B, RANGE_B), "another extent");
    }

    QemuIo.Outcome q = QemuIo.run(node.url(0), List.of("read " + bad + " " + SLICE), TIMEOUT);
    assertTrue(q.failures().stream().anyMatch(l -> l.contains("read failed: Input/output error")),
        "qemu-io read of the damaged slice: " + q.failures() + "\n" + q.result().both());
    QemuIo.run(node.url(0), List.of("read " + OFFSET_A + " " + VICTIM * SLICE, "read " + OFFSET_B + " " + RANGE_B), TIMEOUT)
        .assertClean("qemu-io reads of undamaged slices", 0, 2);

    // Overwriting the whole slice replaces the damaged bytes.
    byte[] fresh = new byte[SLICE];
    random.nextBytes(fresh);
    try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, 0, "healer")) {
      disk.write(bad, fresh);
      assertArrayEquals(fresh, disk.read(bad, SLICE), "the rewritten slice");
      node.awaitDrained(Duration.ofMinutes(2));
      assertArrayEquals(fresh, disk.read(bad, SLICE), "the rewritten slice, drained");
      byte[] whole = disk.read(OFFSET_A, RANGE_A);
      System.arraycopy(fresh, 0, a, VICTIM * SLICE, SLICE);
      assertArrayEquals(a, whole, "the whole range after the rewrite");
    }
  }

  private static void assertMediumError(IscsiDisk disk, long offset, int length, String what) throws IOException {
    ScsiResult r = disk.read16(offset / CairnProcess.BLOCK, length / CairnProcess.BLOCK);
    assertEquals(IscsiDisk.STATUS_CHECK_CONDITION, r.status(), what + ": " + IscsiDisk.describe(r));
    SenseCode expected = SenseCode.UNRECOVERED_READ_ERROR;
    assertEquals(new IscsiDisk.Sense(expected.key(), expected.asc(), expected.ascq()), IscsiDisk.sense(r), what);
    // Data-In may carry good blocks that precede the damaged slice, never the slice itself.
    long damagedFrom = Math.max(0, OFFSET_A + (long) VICTIM * SLICE - offset);
    assertTrue(r.dataIn().length <= damagedFrom, what + ": " + r.dataIn().length + " bytes of Data-In reach into the damaged slice");
  }

  /** The unique 4 KiB-aligned place in the node's egroup data files that holds {@code slice}. */
  private static Location findSlice(Path dataDir, byte[] slice) throws IOException {
    List<Location> found = findSlices(dataDir, slice);
    assertEquals(1, found.size(), "copies of the slice in the egroup data files: " + found);
    return found.get(0);
  }

  /** Every 4 KiB-aligned place in the egroup data files under {@code dataDir} that holds {@code slice}. */
  static List<Location> findSlices(Path dataDir, byte[] slice) throws IOException {
    List<Location> found = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(dataDir.resolve("disks"))) {
      files = s.filter(p -> p.getFileName().toString().matches("eg-[0-9a-f]{16}\\.data")).sorted().toList();
    }
    for (Path f : files) {
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
        for (long pos = 0; pos + SLICE <= ch.size(); pos += SLICE) {
          if (Arrays.equals(read(ch, pos), slice)) found.add(new Location(f, pos));
        }
      }
    }
    return found;
  }

  /** The 4 KiB at {@code at} (the file's bytes now). */
  static byte[] slice(Location at) {
    try (FileChannel ch = FileChannel.open(at.file(), StandardOpenOption.READ)) {
      return read(ch, at.offset());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] read(FileChannel ch, long pos) throws IOException {
    byte[] buf = new byte[SLICE];
    ByteBuffer bb = ByteBuffer.wrap(buf);
    while (bb.hasRemaining() && ch.read(bb, pos + bb.position()) > 0) {
      // read the whole slice
    }
    return buf;
  }

  static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, offset);
      one.put(0, (byte) ~one.get(0)).rewind();
      ch.write(one, offset);
      ch.force(true);
    }
  }
}
