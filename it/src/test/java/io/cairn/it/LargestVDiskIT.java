package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The largest vDisk the API accepts, 2^63 - 4096 bytes (a vDisk size is a signed 64-bit byte
 * count): its last MiB must behave like any other. Byte offsets there are within one extent (1 MiB)
 * or one drain batch of 2^63, so "the end of this extent/batch" does not fit in a long. qemu refuses
 * images this large ("File too large"), so the data path's raw initiator does the I/O. Each test has
 * its own node: a failure here can take the node down.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LargestVDiskIT {

  private static final long SIZE = Long.MAX_VALUE - 4095;
  private static final long LAST_LBA = SIZE / 512 - 1;
  /** The last 4 KiB of the vDisk. */
  private static final long TAIL = SIZE - 4096;

  @RegisterExtension
  final CairnNodes nodes = new CairnNodes();

  @Test
  void shouldReadZerosFromTheNeverWrittenTailAndReportItsCapacity() throws Exception {
    CairnProcess node = nodes.start("node");
    JsonNode created = node.createVDisk("largest", Long.toString(SIZE));
    assertEquals(SIZE, created.get("sizeBytes").asLong(), created.toString());
    try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, created.get("lun").asInt(), "largest")) {
      assertArrayEquals(new long[] {LAST_LBA, 512}, disk.readCapacity16());
      ScsiResult beyond = disk.read16(LAST_LBA, 2);
      assertEquals(DiscoveryIT.sense(SenseCode.LBA_OUT_OF_RANGE), IscsiDisk.sense(beyond), IscsiDisk.describe(beyond));
      assertArrayEquals(new byte[4096], readOrExplain(node, disk, TAIL), "the never-written last 4 KiB");
    }
    assertTrue(node.isAlive(), "the node died");
  }

  @Test
  void shouldDrainAWriteToTheTailAndKeepItsBytes() throws Exception {
    CairnProcess node = nodes.start("node");
    JsonNode created = node.createVDisk("largest", Long.toString(SIZE));
    try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, created.get("lun").asInt(), "largest")) {
      byte[] data = new byte[4096];
      new SplittableRandom(63).nextBytes(data);
      disk.write(TAIL, data);
      assertArrayEquals(data, readOrExplain(node, disk, TAIL), "the last 4 KiB, from the OpLog");
      node.awaitVDiskDrained("largest", Duration.ofSeconds(30));
      assertArrayEquals(data, readOrExplain(node, disk, TAIL), "the last 4 KiB, from the extent store");
    }
    assertTrue(node.isAlive(), "the node died");
  }

  private static byte[] readOrExplain(CairnProcess node, IscsiDisk disk, long offset) throws Exception {
    try {
      return disk.read(offset, 4096);
    } catch (SocketTimeoutException e) {
      CairnProcess.sleep(2000);
      throw new AssertionError("no answer within 10 s to READ(16) of 4 KiB at byte offset " + offset
          + " (node " + (node.isAlive() ? "still running" : "exited") + ")", e);
    }
  }
}
