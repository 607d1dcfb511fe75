package io.cairn.datapath.scsi;

import io.cairn.datapath.vdisk.VDiskIo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test double: a sparse RAM vDisk (4 KiB pages, never-written ranges read as zeros). Reads hand out
 * leak-tracked pooled buffers and remember them, so a test can assert every one was released.
 * Writes copy and release their buffer, as the VDiskIo contract says.
 */
class RamVDiskIo implements VDiskIo {

  private static final int PAGE = 4096;

  private final Map<Long, byte[]> pages = new HashMap<>();
  private final List<ByteBuf> handedOut = new ArrayList<>();
  final AtomicInteger reads = new AtomicInteger();
  final AtomicInteger writes = new AtomicInteger();
  final AtomicInteger flushes = new AtomicInteger();

  @Override
  public synchronized CompletableFuture<ByteBuf> read(long offset, int length) {
    reads.incrementAndGet();
    ByteBuf b = ByteBufAllocator.DEFAULT.buffer(length);
    b.writeBytes(bytes(offset, length));
    handedOut.add(b);
    return CompletableFuture.completedFuture(b);
  }

  @Override
  public synchronized CompletableFuture<Void> write(long offset, ByteBuf data) {
    writes.incrementAndGet();
    try {
      byte[] copy = new byte[data.readableBytes()];
      data.getBytes(data.readerIndex(), copy);
      put(offset, copy);
    } finally {
      data.release();
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> flush() {
    flushes.incrementAndGet();
    return CompletableFuture.completedFuture(null);
  }

  synchronized byte[] bytes(long offset, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      long at = offset + i;
      byte[] page = pages.get(at / PAGE);
      out[i] = page == null ? 0 : page[(int) (at % PAGE)];
    }
    return out;
  }

  synchronized void put(long offset, byte[] data) {
    for (int i = 0; i < data.length; i++) {
      long at = offset + i;
      pages.computeIfAbsent(at / PAGE, k -> new byte[PAGE])[(int) (at % PAGE)] = data[i];
    }
  }

  /** Whether every buffer this vDisk handed out has been released. */
  synchronized boolean allReadBuffersReleased() {
    return handedOut.stream().allMatch(b -> b.refCnt() == 0);
  }
}
