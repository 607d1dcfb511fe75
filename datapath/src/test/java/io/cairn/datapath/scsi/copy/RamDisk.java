package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test double: a vDisk in a byte array. Reads hand out pooled buffers it remembers (so a test can
 * check every one was released); writes copy then release theirs. Failures can be injected per
 * offset; completions run on the calling thread or on an executor. A {@link Ledger} shared by the
 * disks of a test counts the bytes a copy holds: read and not yet written.
 */
final class RamDisk implements VDiskIo {

  /** Bytes read but not yet written, across the disks that share it. */
  static final class Ledger {
    final AtomicLong held = new AtomicLong();
    final AtomicLong maxHeld = new AtomicLong();
    final AtomicLong largestRead = new AtomicLong();
  }

  final byte[] bytes;
  final LunInfo info;
  private final Ledger ledger;
  private final Executor completions;
  private final List<ByteBuf> handedOut = new ArrayList<>();
  volatile long failReadsFrom = Long.MAX_VALUE;
  volatile long failWritesFrom = Long.MAX_VALUE;
  volatile VDiskIoException.Kind failure = VDiskIoException.Kind.UNRECOVERED_READ_ERROR;

  RamDisk(int size, int blockSize, Ledger ledger, Executor completions) {
    this.bytes = new byte[size];
    this.info = new LunInfo(1, "ram", UUID.randomUUID(), size, blockSize, blockSize, false, true);
    this.ledger = ledger;
    this.completions = completions;
  }

  CopyTarget target(int lun) {
    return new CopyTarget(lun, info, this, null);
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    ledger.largestRead.accumulateAndGet(length, Math::max);
    if (offset + length > failReadsFrom) {
      return complete(CompletableFuture.failedFuture(new VDiskIoException(failure, "injected read failure")));
    }
    ByteBuf b = ByteBufAllocator.DEFAULT.buffer(length);
    synchronized (this) {
      b.writeBytes(bytes, (int) offset, length);
      handedOut.add(b);
    }
    long held = ledger.held.addAndGet(length);
    ledger.maxHeld.accumulateAndGet(held, Math::max);
    return complete(CompletableFuture.completedFuture(b));
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf data) {
    int length = data.readableBytes();
    try {
      ledger.held.addAndGet(-length);
      if (offset + length > failWritesFrom) {
        return complete(CompletableFuture.failedFuture(new VDiskIoException(failure, "injected write failure")));
      }
      synchronized (this) {
        data.getBytes(data.readerIndex(), bytes, (int) offset, length);
      }
      return complete(CompletableFuture.completedFuture(null));
    } finally {
      data.release();
    }
  }

  @Override
  public CompletableFuture<Void> flush() {
    return CompletableFuture.completedFuture(null);
  }

  private <T> CompletableFuture<T> complete(CompletableFuture<T> done) {
    if (completions == null) return done;
    CompletableFuture<T> later = new CompletableFuture<>();
    completions.execute(() -> done.whenComplete((v, e) -> {
      if (e != null) later.completeExceptionally(e);
      else later.complete(v);
    }));
    return later;
  }

  synchronized boolean allReadBuffersReleased() {
    return handedOut.stream().allMatch(b -> b.refCnt() == 0);
  }
}
