package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import io.cairn.datapath.scsi.copy.XcopyList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * EXTENDED COPY over a real node: two vDisks made through the API, a random pattern written to one,
 * copies between them and within one, sent by the data path's byte-level initiator with hand-built
 * parameter lists and by qemu-img's copy offload (`qemu-img convert -C`, which sends EXTENDED COPY
 * over iscsi://). Both vDisks must read back byte for byte, also after a restart, and the portal's
 * byte counters must show that the copied data never crossed the wire.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ExtendedCopyIT {

  private static final int BLOCK = CairnProcess.BLOCK;
  /** Blocks per segment descriptor: 16 MiB (NUMBER OF BLOCKS is 16 bits). */
  private static final int SEGMENT_BLOCKS = 32768;
  private static final int SEGMENTS = 3;
  private static final int COPY_BYTES = SEGMENTS * SEGMENT_BLOCKS * BLOCK;
  private static final long SOURCE_LBA = 7;
  private static final long DESTINATION_LBA = 1000;
  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension
  static final CairnNodes NODES = new CairnNodes();

  private static CairnProcess node;

  @BeforeAll
  static void startNode() {
    node = NODES.start("node");
  }

  @Test
  void shouldCopyBetweenTwoVDisksInsideCairnByteForByte() throws Exception {
    int srcLun = node.createVDisk("xcopy-src", "128M").get("lun").asInt();
    int dstLun = node.createVDisk("xcopy-dst", "128M").get("lun").asInt();
    byte[] pattern = new byte[COPY_BYTES + 2 * BLOCK];
    new SplittableRandom(0xC0FFEE_2026L).nextBytes(pattern);

    try (IscsiDisk src = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, srcLun, "xcopy-src");
        IscsiDisk dst = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, dstLun, "xcopy-dst")) {
      src.write((SOURCE_LBA - 1) * BLOCK, pattern);
      long srcNaa = naa(src);
      long dstNaa = naa(dst);
      XcopyList list = XcopyList.lid1().listId(42).naa(srcNaa, BLOCK).naa(dstNaa, BLOCK);
      for (int i = 0; i < SEGMENTS; i++) {
        list.b2b(0, 1, SEGMENT_BLOCKS, SOURCE_LBA + (long) i * SEGMENT_BLOCKS, DESTINATION_LBA + (long) i * SEGMENT_BLOCKS);
      }
      byte[] parameters = list.build();

      JsonNode before = node.get("/api/status").get("portal");
      ScsiResult r = dst.writeCommand(extendedCopy(parameters.length), parameters);
      JsonNode after = node.get("/api/status").get("portal");

      assertEquals(IscsiDisk.STATUS_GOOD, r.status(), IscsiDisk.describe(r));
      long wire = (after.get("bytesReceived").asLong() - before.get("bytesReceived").asLong())
          + (after.get("bytesSent").asLong() - before.get("bytesSent").asLong());
      assertTrue(wire < 64 * 1024, "the copy moved " + COPY_BYTES + " bytes, the portal saw " + wire + " bytes of traffic");
      ScsiResult status = dst.command(receiveCopyStatus(42), 1024);
      assertEquals(IscsiDisk.STATUS_GOOD, status.status(), IscsiDisk.describe(status));
      byte[] expectedStatus = {0, 0, 0, 8, 0x01, 0, (byte) SEGMENTS, 0,
        (byte) (COPY_BYTES >>> 24), (byte) (COPY_BYTES >>> 16), (byte) (COPY_BYTES >>> 8), (byte) COPY_BYTES};
      assertArrayEquals(expectedStatus, status.dataIn(), "RECEIVE COPY STATUS: done, 3 segments, 48 MiB");

      assertCopied(src, dst, pattern, "right after the copy");
    }

    node.stop();
    node.restart();
    try (IscsiDisk src = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, srcLun, "xcopy-src-2");
        IscsiDisk dst = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, dstLun, "xcopy-dst-2")) {
      assertCopied(src, dst, pattern, "after a restart");
    }
  }

  @Test
  void shouldCopyOverlappingRangesWithinOneVDiskAsIfTheSourceWereReadFirst() throws Exception {
    int lun = node.createVDisk("xcopy-self", "64M").get("lun").asInt();
    int length = 8 << 20;
    byte[] pattern = new byte[length + (1 << 20)];
    new SplittableRandom(0x5E1F_2026L).nextBytes(pattern);

    try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, lun, "xcopy-self")) {
      disk.write(0, pattern);
      byte[] model = Arrays.copyOf(pattern, 16 << 20);
      // Forward overlap: [0, 8 MiB) to [1 MiB + 512, ...): the destination starts inside the source.
      byte[] forward = XcopyList.lid1().listId(1).b2b(0xFFFF, 0xFFFF, length / BLOCK, 0, (1 << 20) / BLOCK + 1).build();
      ScsiResult r = disk.writeCommand(extendedCopy(forward.length), forward);
      assertEquals(IscsiDisk.STATUS_GOOD, r.status(), IscsiDisk.describe(r));
      System.arraycopy(model, 0, model, (1 << 20) + BLOCK, length);
      assertArrayEquals(model, disk.read(0, model.length), "forward overlap");

      // Backward overlap: [2 MiB, 10 MiB) to [1 MiB, ...): the source starts inside the destination.
      byte[] backward = XcopyList.lid1().listId(2).b2b(0xFFFF, 0xFFFF, length / BLOCK, (2 << 20) / BLOCK, (1 << 20) / BLOCK)
          .build();
      r = disk.writeCommand(extendedCopy(backward.length), backward);
      assertEquals(IscsiDisk.STATUS_GOOD, r.status(), IscsiDisk.describe(r));
      System.arraycopy(model, 2 << 20, model, 1 << 20, length);
      assertArrayEquals(model, disk.read(0, model.length), "backward overlap");
    }
  }

  @Test
  void shouldCopyWithQemuImgCopyOffloadWithoutTheDataCrossingTheWire() throws Exception {
    String src = node.url(node.createVDisk("qemu-src", "64M").get("lun").asInt());
    String dst = node.url(node.createVDisk("qemu-dst", "64M").get("lun").asInt());
    Path image = NODES.scratch().resolve("xcopy.raw");
    QemuImgRoundTripIT.writeRandom(image, 64L << 20, 0x0FF1_0AD0L);
    Exec.run(TOOL_TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), src)
        .assertOk("qemu-img convert into the source vDisk");

    JsonNode before = node.get("/api/status").get("portal");
    Exec.run(TOOL_TIMEOUT, "qemu-img", "convert", "-C", "-n", "-f", "raw", "-O", "raw", src, dst)
        .assertOk("qemu-img convert -C (copy offload) between the vDisks");
    JsonNode after = node.get("/api/status").get("portal");

    long received = after.get("bytesReceived").asLong() - before.get("bytesReceived").asLong();
    long sent = after.get("bytesSent").asLong() - before.get("bytesSent").asLong();
    assertTrue(received + sent < (4 << 20), "64 MiB copied, but the portal moved " + received + " bytes in and " + sent + " out");
    Exec.Result cmp = Exec.run(TOOL_TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", image.toString(), dst);
    assertEquals(0, cmp.exitCode(), "destination vDisk differs from the image: " + cmp.both());
    Files.delete(image);
  }

  // ---------------------------------------------------------------- helpers

  /** Source and destination read back: the pattern at both places, the blocks around the copy untouched. */
  private static void assertCopied(IscsiDisk src, IscsiDisk dst, byte[] pattern, String stage) throws Exception {
    assertArrayEquals(pattern, src.read((SOURCE_LBA - 1) * BLOCK, pattern.length), "source " + stage);
    byte[] copied = dst.read((DESTINATION_LBA - 1) * BLOCK, COPY_BYTES + 2 * BLOCK);
    assertArrayEquals(new byte[BLOCK], Arrays.copyOf(copied, BLOCK), "block before the destination range " + stage);
    assertArrayEquals(Arrays.copyOfRange(pattern, BLOCK, BLOCK + COPY_BYTES), Arrays.copyOfRange(copied, BLOCK, BLOCK + COPY_BYTES),
        "destination " + stage);
    assertArrayEquals(new byte[BLOCK], Arrays.copyOfRange(copied, BLOCK + COPY_BYTES, copied.length),
        "block after the destination range " + stage);
  }

  /** The NAA designator of the session's LUN, from its Device Identification VPD page. */
  private static long naa(IscsiDisk disk) throws Exception {
    ScsiResult r = disk.command(new byte[] {0x12, 0x01, (byte) 0x83, 0x00, (byte) 0xFF, 0x00}, 255);
    assertEquals(IscsiDisk.STATUS_GOOD, r.status(), IscsiDisk.describe(r));
    byte[] page = r.dataIn();
    for (int p = 4; p + 4 <= page.length; p += 4 + (page[p + 3] & 0xFF)) {
      boolean logicalUnit = ((page[p + 1] >> 4) & 0x03) == 0;
      if (logicalUnit && (page[p + 1] & 0x0F) == 0x03 && (page[p + 3] & 0xFF) == 8) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (page[p + 4 + i] & 0xFF);
        return v;
      }
    }
    throw new AssertionError("no NAA designator in VPD page 83h");
  }

  private static byte[] extendedCopy(int length) {
    return new byte[] {(byte) 0x83, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
      (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length, 0, 0};
  }

  private static byte[] receiveCopyStatus(int listId) {
    return new byte[] {(byte) 0x84, 0x00, (byte) listId, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x00, 0, 0};
  }
}
