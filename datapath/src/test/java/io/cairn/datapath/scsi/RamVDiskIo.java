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

  /** Every unmap asked for, as {offset, length}. */
  final List<long[]> unmaps = new ArrayList<>();
  final AtomicInteger atomicWrites = new AtomicInteger();
  final AtomicInteger compareAndWrites = new AtomicInteger();

  @Override
  public synchronized CompletableFuture<Void> writeAtomic(long offset, ByteBuf data) {
    atomicWrites.incrementAndGet();
    return write(offset, data);
  }

  @Override
  public synchronized CompletableFuture<Long> compareAndWrite(long offset, ByteBuf compare, ByteBuf data) {
    compareAndWrites.incrementAndGet();
    try {
      byte[] expected = new byte[compare.readableBytes()];
      compare.getBytes(compare.readerIndex(), expected);
      byte[] current = bytes(offset, expected.length);
      for (int i = 0; i < expected.length; i++) {
        if (current[i] != expected[i]) return CompletableFuture.completedFuture((long) i);
      }
      byte[] copy = new byte[data.readableBytes()];
      data.getBytes(data.readerIndex(), copy);
      put(offset, copy);
      return CompletableFuture.completedFuture(-1L);
    } finally {
      compare.release();
      data.release();
    }
  }

  /** Whole pages inside the range are dropped (deallocated); partial ones are zeroed. */
  @Override
  public synchronized CompletableFuture<Void> unmap(long offset, long length) {
    unmaps.add(new long[] {offset, length});
    long end = offset + length;
    if (length / PAGE > pages.size() + 2) {
      // a huge range: visit the pages that exist, not every page of the range
      for (Long page : new ArrayList<>(pages.keySet())) {
        long ps = page * PAGE;
        if (ps + PAGE <= offset || ps >= end) continue;
        if (ps >= offset && ps + PAGE <= end) pages.remove(page);
        else java.util.Arrays.fill(pages.get(page), (int) (Math.max(ps, offset) - ps), (int) (Math.min(end, ps + PAGE) - ps), (byte) 0);
      }
      return CompletableFuture.completedFuture(null);
    }
    for (long at = offset; at < end; ) {
      long page = at / PAGE;
      long pageEnd = (page + 1) * PAGE;
      if (at == page * PAGE && pageEnd <= end) {
        pages.remove(page);
      } else if (pages.containsKey(page)) {
        byte[] p = pages.get(page);
        java.util.Arrays.fill(p, (int) (at - page * PAGE), (int) (Math.min(end, pageEnd) - page * PAGE), (byte) 0);
      }
      at = Math.min(end, pageEnd);
    }
    return CompletableFuture.completedFuture(null);
  }

  /** A page that exists is mapped; the vDisk is {@code size} bytes (LUN sizes of the harness do not matter here). */
  @Override
  public synchronized CompletableFuture<io.cairn.datapath.vdisk.Provisioning> provisioning(long offset, int maxRanges) {
    long size = provisioningSize;
    List<Long> ends = new ArrayList<>();
    List<Boolean> mapped = new ArrayList<>();
    long at = offset;
    while (at < size && ends.size() < maxRanges) {
      boolean m = pages.containsKey(at / PAGE);
      long e = Math.min(size, (at / PAGE + 1) * PAGE);
      while (e < size && pages.containsKey(e / PAGE) == m) e = Math.min(size, e + PAGE);
      ends.add(e);
      mapped.add(m);
      at = e;
    }
    long[] es = ends.stream().mapToLong(Long::longValue).toArray();
    boolean[] ms = new boolean[mapped.size()];
    for (int i = 0; i < ms.length; i++) ms[i] = mapped.get(i);
    return CompletableFuture.completedFuture(new io.cairn.datapath.vdisk.Provisioning(offset, es, ms));
  }

  /** Size the provisioning answer describes up to. */
  long provisioningSize = 2048L * 512;

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
