package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * qemu-img as the initiator: a seeded random image converted into vDisks and back out must come
 * back byte for byte, also after a clean restart of the node and after the OpLog has drained into
 * the extent store. Two write paths are covered: qemu-img's default requests (2 MiB, 8 in flight:
 * the write characterizer sends them straight to the extent store) and 256 KiB requests one at a
 * time (below the sequential threshold: they go through the OpLog).
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class QemuImgRoundTripIT {

  private static final long IMAGE_BYTES = 256L << 20;
  private static final long SEED = 0x5EED_2026_1122L;
  private static final Duration CONVERT_TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension
  static final CairnNodes NODES = new CairnNodes();

  private static CairnProcess node;

  @BeforeAll
  static void startNode() {
    node = NODES.start("node");
  }

  @Test
  void shouldReturnTheImageByteForByteAfterRestartAndAfterDrain() throws Exception {
    Path image = NODES.scratch().resolve("image.raw");
    writeRandom(image, IMAGE_BYTES, SEED);
    String imageSha = sha256(image, IMAGE_BYTES);
    int smallLun = node.createVDisk("roundtrip", "256M").get("lun").asInt();

    // Demo vDisk (4 GiB), qemu-img's default request size and parallelism.
    long appendsBefore = node.oplog().get("appends").asLong();
    Exec.run(CONVERT_TIMEOUT, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), node.url(0))
        .assertOk("qemu-img convert into the demo vDisk");
    long appendsAfterDirect = node.oplog().get("appends").asLong();
    assertTrue(appendsAfterDirect - appendsBefore < 13, "2 MiB writes, 8 in flight, should go straight to the extent store, but "
        + (appendsAfterDirect - appendsBefore) + " of the 128 went through the OpLog");
    // 256 MiB vDisk, 256 KiB writes one at a time: blkdebug's max-transfer splits each request.
    Exec.run(CONVERT_TIMEOUT, "qemu-img", "convert", "-n", "-m", "1", "-f", "raw", "--target-image-opts",
        image.toString(), smallDiskOpts(smallLun, 256 * 1024)).assertOk("qemu-img convert into the 256 MiB vDisk");
    long oplogAppends = node.oplog().get("appends").asLong() - appendsAfterDirect;
    assertTrue(oplogAppends >= IMAGE_BYTES / (256 * 1024),
        "256 KiB writes at queue depth 1 should go through the OpLog, appends: " + oplogAppends);

    assertRoundTrip("right after writing", image, imageSha, smallLun);

    long undrainedAtStop = node.oplog().get("undrainedBytes").asLong();
    node.stop();
    node.restart();
    assertRoundTrip("after a clean restart (" + undrainedAtStop + " bytes were undrained at stop)", image, imageSha, smallLun);

    node.awaitDrained(Duration.ofMinutes(2));
    assertRoundTrip("after the OpLog drained", image, imageSha, smallLun);
  }

  @Test
  void shouldRunQemuImgBenchReadsAndWritesAndKeepTheWrittenPattern() {
    String url = node.url(node.createVDisk("bench", "1G").get("lun").asInt());
    long offset = 128L << 20;
    int count = 1000;
    int size = 4096;
    int step = 8192;

    Exec.run(Duration.ofMinutes(2), "qemu-img", "bench", "-f", "raw", "-w", "--pattern=0xa5", "-c", Integer.toString(count),
        "-d", "4", "-s", Integer.toString(size), "-S", Integer.toString(step), "-o", Long.toString(offset), url)
        .assertOk("qemu-img bench (write)");
    Exec.Result read = Exec.run(Duration.ofMinutes(2), "qemu-img", "bench", "-f", "raw", "-c", "2000", "-d", "8",
        "-s", "4096", "-o", Long.toString(offset), url).assertOk("qemu-img bench (read)");
    assertTrue(read.stdout().contains("Run completed"), read.stdout());

    // Every other 4 KiB from the offset holds the pattern, the gaps and the space after stay zero.
    SectorModel model = new SectorModel(offset - (1 << 20), (long) count * step + (2 << 20));
    for (int i = 0; i < count; i++) model.write(offset + (long) i * step, size, 0xa5);
    QemuIo.runAllClean("verify the bench's writes", url, model.verifyCommands(8 << 20), Duration.ofMinutes(2));
  }

  // ---------------------------------------------------------------- helpers

  /** Converts both vDisks back out and compares them with the image. */
  private static void assertRoundTrip(String stage, Path image, String imageSha, int smallLun) throws Exception {
    Path back = NODES.scratch().resolve("back.raw");
    try {
      Files.deleteIfExists(back);
      Exec.run(CONVERT_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "raw", node.url(0), back.toString())
          .assertOk("qemu-img convert out of the demo vDisk " + stage);
      assertEquals(CairnProcess.DEMO_SIZE_BYTES, Files.size(back), stage);
      assertEquals(imageSha, sha256(back, IMAGE_BYTES), "first 256 MiB of the demo vDisk " + stage);
      // The rest of the 4 GiB was never written: qemu-img compare checks the larger image's tail is zero.
      Exec.Result cmp = Exec.run(CONVERT_TIMEOUT, "qemu-img", "compare", "-f", "raw", "-F", "raw", image.toString(), back.toString());
      assertEquals(0, cmp.exitCode(), "demo vDisk " + stage + ": " + cmp.both());

      Files.delete(back);
      Exec.run(CONVERT_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "raw", node.url(smallLun), back.toString())
          .assertOk("qemu-img convert out of the 256 MiB vDisk " + stage);
      assertEquals(IMAGE_BYTES, Files.size(back), stage);
      assertEquals(imageSha, sha256(back, IMAGE_BYTES), "256 MiB vDisk " + stage);
    } finally {
      Files.deleteIfExists(back);
    }
  }

  /** {@code --target-image-opts} for a LUN of the demo target behind blkdebug with a request size cap. */
  private static String smallDiskOpts(int lun, int maxTransfer) {
    return "driver=raw,file.driver=blkdebug,file.max-transfer=" + maxTransfer
        + ",file.image.driver=iscsi,file.image.transport=tcp,file.image.portal=" + node.portal()
        + ",file.image.target=" + CairnProcess.DEMO_IQN + ",file.image.lun=" + lun;
  }

  static void writeRandom(Path file, long bytes, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long done = 0; done < bytes; done += chunk.length) {
        random.nextBytes(chunk);
        out.write(chunk, 0, (int) Math.min(chunk.length, bytes - done));
      }
    }
  }

  static String sha256(Path file, long bytes) throws IOException, NoSuchAlgorithmException {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      long left = bytes;
      while (left > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) throw new IOException(file + " is shorter than " + bytes);
        sha.update(buf, 0, n);
        left -= n;
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

}
