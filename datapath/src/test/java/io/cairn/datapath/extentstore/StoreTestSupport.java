package io.cairn.datapath.extentstore;

import io.cairn.config.DiskSettings;
import io.cairn.config.ExtentStoreSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Helpers shared by the extent store tests. */
final class StoreTestSupport {
  private StoreTestSupport() {}

  static final int SLICE = 4096;
  /** 64 KiB extents, 2 per egroup: 128 KiB egroups of 32 slices. */
  static final ExtentStoreSettings SETTINGS = new ExtentStoreSettings(64 << 10, 2, SLICE, 4);
  static final int EGROUP = (int) SETTINGS.egroupSizeBytes();

  static List<DiskSettings> oneDisk(Path dir) {
    return List.of(new DiskSettings("d0", dir.resolve("d0"), DiskSettings.Tier.SSD, 64L << 20));
  }

  static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static void write(ExtentStore store, long egroup, long offset, byte[] data) throws Exception {
    ByteBuf b = Unpooled.wrappedBuffer(data);
    try {
      store.write(egroup, offset, b).get(20, TimeUnit.SECONDS);
    } finally {
      b.release();
    }
  }

  static byte[] read(ExtentStore store, long egroup, long offset, int length) throws Exception {
    ByteBuf b = store.read(egroup, offset, length).get(20, TimeUnit.SECONDS);
    try {
      byte[] out = new byte[b.readableBytes()];
      b.getBytes(b.readerIndex(), out);
      return out;
    } finally {
      b.release();
    }
  }

  /** The failure kind of a future, or null when it succeeded. */
  static VDiskIoException.Kind failureKind(CompletableFuture<?> f) throws Exception {
    try {
      Object v = f.get(20, TimeUnit.SECONDS);
      if (v instanceof ByteBuf b) b.release();
      return null;
    } catch (ExecutionException e) {
      return VDiskIoException.of(e).kind();
    }
  }

  static FileExtentStore open(Path dir) {
    return FileExtentStore.open(oneDisk(dir), SETTINGS, UnifiedCache.disabled());
  }

  static FileExtentStore open(Path dir, FileExtentStore.Hooks hooks) {
    return FileExtentStore.open(oneDisk(dir), SETTINGS, UnifiedCache.disabled(), hooks);
  }

  static void writeFileBytes(Path file, long pos, byte[] data) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) ch.write(b, pos + b.position());
    }
  }

  static void flipByte(Path file, long pos) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, pos);
      b.put(0, (byte) (b.get(0) ^ 0x40));
      b.rewind();
      ch.write(b, pos);
    }
  }
}
