package io.cairn.datapath.oplog;

import io.cairn.config.OpLogSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Helpers shared by the OpLog tests. */
final class OpLogTestSupport {
  private OpLogTestSupport() {}

  static final long TIMEOUT_S = 20;

  /** Small files, generous limits, no drain trigger other than drainAll/back-pressure. */
  static OpLogSettings settings(Path dir) {
    return new OpLogSettings(dir, 1 << 20, 64L << 20, 128L << 20, 256 << 10, 64L << 20, Duration.ofHours(1), 64 << 10, 4);
  }

  static OpLogSettings withFileSize(OpLogSettings s, long fileSize) {
    return new OpLogSettings(s.dir(), fileSize, s.maxVDiskBytes(), s.maxNodeBytes(), s.groupCommitMaxBytes(),
        s.drainThresholdBytes(), s.drainIdleDelay(), s.drainBatchBytes(), s.drainConcurrency());
  }

  static OpLogSettings withLimits(OpLogSettings s, long maxVDisk, long maxNode) {
    return new OpLogSettings(s.dir(), s.fileSizeBytes(), maxVDisk, maxNode, s.groupCommitMaxBytes(),
        s.drainThresholdBytes(), s.drainIdleDelay(), s.drainBatchBytes(), s.drainConcurrency());
  }

  static OpLogSettings withIdleDelay(OpLogSettings s, Duration idle) {
    return new OpLogSettings(s.dir(), s.fileSizeBytes(), s.maxVDiskBytes(), s.maxNodeBytes(), s.groupCommitMaxBytes(),
        s.drainThresholdBytes(), idle, s.drainBatchBytes(), s.drainConcurrency());
  }

  static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Appends {@code data} and waits until it is durable; releases the test's buffer. */
  static void appendSync(OpLog log, long vdisk, long offset, byte[] data) throws Exception {
    await(append(log, vdisk, offset, data));
  }

  static CompletableFuture<Void> append(OpLog log, long vdisk, long offset, byte[] data) {
    ByteBuf b = Unpooled.wrappedBuffer(data);
    try {
      return log.append(vdisk, offset, b);
    } finally {
      b.release();
    }
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  /** What a reader sees of {@code [offset, offset+length)}: the capture applied over {@code base}. */
  static byte[] read(OpLog log, long vdisk, long offset, int length, byte[] base) {
    OpLogCapture c = log.capture(vdisk, offset, length);
    ByteBuf out = Unpooled.wrappedBuffer(base.clone());
    try {
      c.applyTo(out, 0);
      byte[] r = new byte[length];
      out.getBytes(0, r);
      return r;
    } finally {
      out.release();
    }
  }

  static List<Path> logFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> out = new ArrayList<>(s.filter(p -> OpLogFormat.parseFileName(p.getFileName().toString()) >= 0).sorted().toList());
      return out;
    }
  }

  static List<Long> logFileSeqs(Path dir) throws IOException {
    return logFiles(dir).stream().map(p -> OpLogFormat.parseFileName(p.getFileName().toString())).toList();
  }
}
