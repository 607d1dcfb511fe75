package io.cairn.datapath.scsi.copy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cairn.datapath.scsi.copy.RangeCopyException.Side;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChunkedDataCopierTest {

  private static final int MIB = 1 << 20;
  private static final int CHUNK = 64 << 10;

  private final RamDisk.Ledger ledger = new RamDisk.Ledger();
  private final ExecutorService async = Executors.newSingleThreadExecutor();
  private final ChunkedDataCopier copier = new ChunkedDataCopier(CHUNK, Duration.ofSeconds(5));

  @AfterEach
  void stop() {
    async.shutdownNow();
  }

  /** Progress that sums what it is told and can be cancelled. */
  static final class Progress implements RangeCopier.CopyProgress {
    final AtomicLong bytes = new AtomicLong();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicBoolean cancel = new AtomicBoolean();
    long cancelAfter = Long.MAX_VALUE;

    @Override
    public void transferred(long n) {
      calls.incrementAndGet();
      if (bytes.addAndGet(n) >= cancelAfter) cancel.set(true);
    }

    @Override
    public boolean cancelled() {
      return cancel.get();
    }
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static Throwable failureOf(CompletableFuture<Void> f) {
    try {
      f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return fail("expected the copy to fail");
  }

  @ParameterizedTest(name = "{0} completions")
  @CsvSource({"synchronous", "asynchronous"})
  void shouldCopyARangeBetweenTwoDisksByteForByte(String mode) throws Exception {
    RamDisk src = new RamDisk(4 * MIB, 512, ledger, mode.equals("synchronous") ? null : async);
    RamDisk dst = new RamDisk(4 * MIB, 512, ledger, mode.equals("synchronous") ? null : async);
    byte[] data = random(4 * MIB, 1);
    System.arraycopy(data, 0, src.bytes, 0, data.length);
    int length = MIB + 4096 + 512;
    Progress p = new Progress();

    copier.copy(src.target(0), 512, dst.target(1), 3 * 512, length, p).get(10, TimeUnit.SECONDS);

    assertArrayEquals(Arrays.copyOfRange(data, 512, 512 + length), Arrays.copyOfRange(dst.bytes, 3 * 512, 3 * 512 + length));
    assertArrayEquals(new byte[3 * 512], Arrays.copyOf(dst.bytes, 3 * 512), "nothing before the destination range");
    assertEquals(0, dst.bytes[3 * 512 + length], "nothing after it");
    assertEquals(length, p.bytes.get());
    assertEquals((length + CHUNK - 1) / CHUNK, p.calls.get(), "one progress report per durable chunk");
    assertTrue(src.allReadBuffersReleased());
  }

  @Test
  void shouldNeverHoldMoreThanOneChunkOfData() throws Exception {
    RamDisk src = new RamDisk(4 * MIB, 512, ledger, async);
    RamDisk dst = new RamDisk(4 * MIB, 512, ledger, async);

    copier.copy(src.target(0), 0, dst.target(1), 0, 4 * MIB, new Progress()).get(10, TimeUnit.SECONDS);

    assertEquals(CHUNK, ledger.largestRead.get());
    assertEquals(CHUNK, ledger.maxHeld.get());
  }

  /** Copying within one disk must equal reading the whole source first (memmove), whatever the overlap. */
  @ParameterizedTest(name = "source {0} destination {1} length {2}")
  @CsvSource({
    "0, 4096, 1048576",        // destination inside the source, ahead of it: backwards
    "4096, 0, 1048576",        // destination behind the source: forwards
    "0, 65536, 196608",        // overlap of exactly one chunk less than the range
    "512, 1024, 131072",       // sub-chunk shift
    "1048576, 1048576, 65536", // onto itself
    "0, 1048576, 1048576",     // adjacent, no overlap
  })
  void shouldCopyOverlappingRangesWithinOneDiskAsIfTheSourceWereReadFirst(long from, long to, int length) throws Exception {
    RamDisk disk = new RamDisk(4 * MIB, 512, ledger, async);
    byte[] data = random(4 * MIB, 2);
    System.arraycopy(data, 0, disk.bytes, 0, data.length);
    byte[] expected = data.clone();
    System.arraycopy(data, (int) from, expected, (int) to, length);

    copier.copy(disk.target(0), from, disk.target(0), to, length, new Progress()).get(10, TimeUnit.SECONDS);

    assertArrayEquals(expected, disk.bytes);
  }

  @Test
  void shouldReportAFailedReadAsTheSourceWithItsKindAndStopThere() {
    RamDisk src = new RamDisk(4 * MIB, 512, ledger, null);
    RamDisk dst = new RamDisk(4 * MIB, 512, ledger, null);
    src.failReadsFrom = 3 * CHUNK + 100;
    Progress p = new Progress();

    Throwable t = failureOf(copier.copy(src.target(0), 0, dst.target(1), 0, MIB, p));

    RangeCopyException e = assertInstanceOf(RangeCopyException.class, t instanceof RangeCopyException ? t : t.getCause());
    assertEquals(Side.SOURCE, e.side());
    assertEquals(VDiskIoException.Kind.UNRECOVERED_READ_ERROR, e.failure().kind());
    assertEquals(3L * CHUNK, p.bytes.get(), "three chunks were durable before the failure");
    assertTrue(src.allReadBuffersReleased());
  }

  @Test
  void shouldReportAFailedWriteAsTheDestination() {
    RamDisk src = new RamDisk(4 * MIB, 512, ledger, async);
    RamDisk dst = new RamDisk(4 * MIB, 512, ledger, async);
    dst.failWritesFrom = CHUNK + 1;
    dst.failure = VDiskIoException.Kind.SPACE_EXHAUSTED;
    Progress p = new Progress();

    Throwable t = failureOf(copier.copy(src.target(0), 0, dst.target(1), 0, MIB, p));

    RangeCopyException e = assertInstanceOf(RangeCopyException.class, t instanceof RangeCopyException ? t : t.getCause());
    assertEquals(Side.DESTINATION, e.side());
    assertEquals(VDiskIoException.Kind.SPACE_EXHAUSTED, e.failure().kind());
    assertEquals(CHUNK, p.bytes.get());
    assertTrue(src.allReadBuffersReleased());
  }

  @Test
  void shouldStopBetweenChunksOnceCancelled() {
    RamDisk src = new RamDisk(4 * MIB, 512, ledger, async);
    RamDisk dst = new RamDisk(4 * MIB, 512, ledger, async);
    Arrays.fill(src.bytes, (byte) 7);
    Progress p = new Progress();
    p.cancelAfter = 2L * CHUNK;

    Throwable t = failureOf(copier.copy(src.target(0), 0, dst.target(1), 0, MIB, p));

    RangeCopyException e = assertInstanceOf(RangeCopyException.class, t instanceof RangeCopyException ? t : t.getCause());
    assertEquals(Side.CANCELLED, e.side());
    assertNull(e.failure());
    assertEquals(2L * CHUNK, p.bytes.get());
    assertEquals(0, dst.bytes[2 * CHUNK], "nothing written after the cancel");
    assertTrue(src.allReadBuffersReleased());
  }

  @Test
  void shouldTimeOutAReadThatNeverAnswersAndReleaseItsBufferWhenItDoes() throws Exception {
    CompletableFuture<ByteBuf> stuck = new CompletableFuture<>();
    VDiskIo silent = new VDiskIo() {
      @Override
      public CompletableFuture<ByteBuf> read(long offset, int length) {
        return stuck;
      }

      @Override
      public CompletableFuture<Void> write(long offset, ByteBuf data) {
        data.release();
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletableFuture<Void> flush() {
        return CompletableFuture.completedFuture(null);
      }
    };
    RamDisk dst = new RamDisk(MIB, 512, ledger, null);
    CopyTarget source = new CopyTarget(0, dst.info, silent, null);
    ChunkedDataCopier quick = new ChunkedDataCopier(CHUNK, Duration.ofMillis(50));

    Throwable t = failureOf(quick.copy(source, 0, dst.target(1), 0, CHUNK, new Progress()));

    RangeCopyException e = assertInstanceOf(RangeCopyException.class, t instanceof RangeCopyException ? t : t.getCause());
    assertEquals(Side.SOURCE, e.side());
    assertEquals(VDiskIoException.Kind.TIMEOUT, e.failure().kind());
    ByteBuf late = ByteBufAllocator.DEFAULT.buffer(CHUNK);
    stuck.complete(late);
    assertEquals(0, late.refCnt(), "the answer after the timeout was released");
  }

  @Test
  void shouldCopyThousandsOfChunksCompletingSynchronouslyWithoutDeepStacks() throws Exception {
    RamDisk src = new RamDisk(16 * MIB, 512, ledger, null);
    RamDisk dst = new RamDisk(16 * MIB, 512, ledger, null);
    byte[] data = random(16 * MIB, 3);
    System.arraycopy(data, 0, src.bytes, 0, data.length);
    ChunkedDataCopier tiny = new ChunkedDataCopier(512, Duration.ofSeconds(5));

    tiny.copy(src.target(0), 0, dst.target(1), 0, 16 * MIB, new Progress()).get(30, TimeUnit.SECONDS);

    assertArrayEquals(data, dst.bytes);
  }
}
