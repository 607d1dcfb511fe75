package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.scsi.copy.RangeCopyException.Side;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The data copy: reads a chunk of the source through its {@code VDiskIo}, writes it to the
 * destination, and moves on only when the write is durable. One chunk is in flight per copy, so a
 * copy holds at most {@code chunkBytes} of data; the buffer goes from the source's read straight into
 * the destination's write (which owns and releases it), never through the initiator.
 *
 * <p>Overlap: when source and destination are the same vDisk and the destination starts inside the
 * source range, chunks go from the end of the range backwards, otherwise from the start forwards
 * (memmove order). Each chunk is read before anything it overlaps is written, so the result is the
 * one of reading the whole source first, as {@link RangeCopier} requires.
 *
 * <p>Every read and write has the I/O timeout: a vDisk that stops answering fails the copy with
 * {@link VDiskIoException.Kind#TIMEOUT}; a read that answers after its timeout has its buffer
 * released. Thread-safe and stateless between copies; each copy's steps run on whichever thread
 * completed the previous one.
 */
public final class ChunkedDataCopier implements RangeCopier {

  private final int chunkBytes;
  private final long ioTimeoutNs;

  public ChunkedDataCopier(int chunkBytes, Duration ioTimeout) {
    if (chunkBytes <= 0) throw new IllegalArgumentException("chunkBytes must be positive, was " + chunkBytes);
    this.chunkBytes = chunkBytes;
    this.ioTimeoutNs = ioTimeout.toNanos();
  }

  @Override
  public CompletableFuture<Void> copy(CopyTarget source, long sourceOffset, CopyTarget destination, long destinationOffset,
      long length, CopyProgress progress) {
    boolean backwards = source.sameDisk(destination)
        && destinationOffset > sourceOffset && destinationOffset - sourceOffset < length;
    Run run = new Run(source, sourceOffset, destination, destinationOffset, length, backwards, progress);
    run.next();
    return run.done;
  }

  /** One copy in progress: {@link #next} loops while steps complete at once and resumes from callbacks otherwise. */
  private final class Run {

    final CopyTarget source;
    final long sourceOffset;
    final CopyTarget destination;
    final long destinationOffset;
    final long length;
    final boolean backwards;
    final CopyProgress progress;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Bytes copied so far; only the thread running the current step touches it. */
    long copied;

    Run(CopyTarget source, long sourceOffset, CopyTarget destination, long destinationOffset, long length,
        boolean backwards, CopyProgress progress) {
      this.source = source;
      this.sourceOffset = sourceOffset;
      this.destination = destination;
      this.destinationOffset = destinationOffset;
      this.length = length;
      this.backwards = backwards;
      this.progress = progress;
    }

    void next() {
      while (true) {
        if (copied == length) {
          done.complete(null);
          return;
        }
        if (progress.cancelled()) {
          done.completeExceptionally(new RangeCopyException(Side.CANCELLED, null));
          return;
        }
        int n = (int) Math.min(chunkBytes, length - copied);
        long at = backwards ? length - copied - n : copied;
        CompletableFuture<Void> step = step(at, n);
        if (!step.isDone()) {
          step.whenComplete((v, e) -> {
            if (e != null) {
              done.completeExceptionally(e);
            } else {
              copied += n;
              next();
            }
          });
          return;
        }
        if (step.isCompletedExceptionally()) {
          step.whenComplete((v, e) -> done.completeExceptionally(e));
          return;
        }
        copied += n;
      }
    }

    /** Reads {@code n} bytes at {@code at} (relative to the range) and writes them; completes when durable. */
    private CompletableFuture<Void> step(long at, int n) {
      return read(at, n).thenCompose(buf -> {
        if (progress.cancelled()) {
          buf.release();
          return CompletableFuture.failedFuture(new RangeCopyException(Side.CANCELLED, null));
        }
        return write(at, buf).thenRun(() -> progress.transferred(n));
      });
    }

    private CompletableFuture<ByteBuf> read(long at, int n) {
      CompletableFuture<ByteBuf> timed = new CompletableFuture<>();
      CompletableFuture<ByteBuf> io;
      try {
        io = source.io().read(sourceOffset + at, n);
      } catch (RuntimeException e) {
        io = CompletableFuture.failedFuture(e);
      }
      io.whenComplete((buf, e) -> {
        if (e != null) {
          timed.completeExceptionally(e);
        } else if (!timed.complete(buf)) {
          buf.release();
        }
      });
      timed.orTimeout(ioTimeoutNs, TimeUnit.NANOSECONDS);
      return timed.handle((buf, e) -> {
        if (e != null) throw new RangeCopyException(Side.SOURCE, VDiskIoException.of(e));
        return buf;
      });
    }

    private CompletableFuture<Void> write(long at, ByteBuf buf) {
      CompletableFuture<Void> io;
      try {
        io = destination.io().write(destinationOffset + at, buf);
      } catch (RuntimeException e) {
        io = CompletableFuture.failedFuture(e);
      }
      return io.copy().orTimeout(ioTimeoutNs, TimeUnit.NANOSECONDS).handle((v, e) -> {
        if (e != null) throw new RangeCopyException(Side.DESTINATION, VDiskIoException.of(e));
        return null;
      });
    }
  }
}
