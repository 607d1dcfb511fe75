package io.cairn.datapath.extentstore;

import static io.cairn.datapath.extentstore.StoreTestSupport.EGROUP;
import static io.cairn.datapath.extentstore.StoreTestSupport.SETTINGS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.cairn.config.CacheSettings;
import io.cairn.config.OpLogSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.oplog.DrainSink;
import io.cairn.datapath.oplog.FileOpLog;
import io.cairn.datapath.oplog.OpLogCapture;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A small seeded model test of the write and read paths a vDisk controller builds from the OpLog
 * and the extent store: random OpLog writes, direct (superseding) writes, reads (capture, store
 * read, capture applied on top) and drains, checked against a byte array, with restarts in between
 * (a clean close, or a crash of the extent store).
 */
@Timeout(120)
class OpLogAndStoreModelTest {

  @TempDir Path dir;

  static final long VDISK = 9;
  static final int EGROUPS = 3;
  static final int SIZE = EGROUPS * EGROUP;
  static final long FIRST_EGROUP = 100;

  FileOpLog oplog;
  FileExtentStore store;
  UnifiedCache cache;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void shouldMatchAByteArrayModelAcrossRestarts(long seed) throws Exception {
    Random rnd = new Random(seed);
    byte[] model = new byte[SIZE];
    OpLogSettings ops = new OpLogSettings(dir.resolve("oplog"), 128 << 10, 1 << 20, 4 << 20, 256 << 10,
        256 << 10, Duration.ofMillis(20), 64 << 10, 3);
    start(ops);
    for (int op = 0; op < 300; op++) {
      int kind = rnd.nextInt(100);
      if (kind < 45) {
        int off = rnd.nextInt(SIZE - 1);
        int len = 1 + rnd.nextInt(Math.min(20_000, SIZE - off));
        byte[] d = data(rnd, len);
        ByteBuf b = Unpooled.wrappedBuffer(d);
        CompletableFuture<Void> f = oplog.append(VDISK, off, b);
        b.release();
        f.get(20, TimeUnit.SECONDS);
        System.arraycopy(d, 0, model, off, len);
      } else if (kind < 55) {
        // a sequential write that bypasses the OpLog: supersede first, then the store
        int off = rnd.nextInt(SIZE - 1);
        int len = 1 + rnd.nextInt(Math.min(40_000, SIZE - off));
        byte[] d = data(rnd, len);
        oplog.supersede(VDISK, off, len).get(20, TimeUnit.SECONDS);
        storeWrite(off, Unpooled.wrappedBuffer(d)).get(20, TimeUnit.SECONDS);
        System.arraycopy(d, 0, model, off, len);
      } else if (kind < 90) {
        int off = rnd.nextInt(SIZE - 1);
        int len = 1 + rnd.nextInt(Math.min(30_000, SIZE - off));
        byte[] expect = new byte[len];
        System.arraycopy(model, off, expect, 0, len);
        assertArrayEquals(expect, read(off, len), "op " + op + ": read " + off + "+" + len);
      } else if (kind < 94) {
        oplog.drainAll().get(30, TimeUnit.SECONDS);
      } else {
        stop(rnd.nextBoolean());
        start(ops);
      }
    }
    assertArrayEquals(model, read(0, SIZE), "final read");
    oplog.drainAll().get(30, TimeUnit.SECONDS);
    stop(false);
    start(ops);
    byte[] all = new byte[SIZE];
    for (int e = 0; e < EGROUPS; e++) {
      ByteBuf b = store.read(FIRST_EGROUP + e, 0, EGROUP).get(20, TimeUnit.SECONDS);
      b.getBytes(0, all, e * EGROUP, EGROUP);
      b.release();
    }
    assertArrayEquals(model, all, "the extent store alone after draining everything");
    stop(false);
  }

  private void start(OpLogSettings ops) {
    cache = UnifiedCache.create(new CacheSettings(256 << 10));
    store = FileExtentStore.open(StoreTestSupport.oneDisk(dir), SETTINGS, cache);
    for (int e = 0; e < EGROUPS; e++) store.create(FIRST_EGROUP + e, null);
    oplog = FileOpLog.open(ops);
    DrainSink sink = (vdisk, offset, data) -> storeWrite(offset, data.retainedSlice());
    oplog.startDrainer(sink);
  }

  private void stop(boolean crashStore) {
    oplog.close();
    if (crashStore) store.crash();
    else store.close();
  }

  /** Writes vDisk bytes to the store, split at egroup boundaries; releases {@code data} when done. */
  private CompletableFuture<Void> storeWrite(long offset, ByteBuf data) {
    List<CompletableFuture<Void>> parts = new ArrayList<>();
    int done = 0;
    int len = data.readableBytes();
    while (done < len) {
      long at = offset + done;
      int inEgroup = (int) (at % EGROUP);
      int n = Math.min(len - done, EGROUP - inEgroup);
      parts.add(store.write(FIRST_EGROUP + at / EGROUP, inEgroup, data.slice(data.readerIndex() + done, n)));
      done += n;
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) -> data.release());
  }

  /** The controller's read path: capture, read the store, apply the capture on top. */
  private byte[] read(int off, int len) throws Exception {
    OpLogCapture c = oplog.capture(VDISK, off, len);
    ByteBuf out = Unpooled.buffer(len, len);
    int done = 0;
    while (done < len) {
      long at = (long) off + done;
      int inEgroup = (int) (at % EGROUP);
      int n = Math.min(len - done, EGROUP - inEgroup);
      ByteBuf part = store.read(FIRST_EGROUP + at / EGROUP, inEgroup, n).get(20, TimeUnit.SECONDS);
      out.setBytes(done, part, part.readerIndex(), n);
      part.release();
      done += n;
    }
    c.applyTo(out, 0);
    byte[] r = new byte[len];
    out.getBytes(0, r);
    out.release();
    return r;
  }

  private static byte[] data(Random rnd, int len) {
    byte[] d = new byte[len];
    rnd.nextBytes(d);
    return d;
  }
}
