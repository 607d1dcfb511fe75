package io.cairn.datapath.oplog;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A drain sink over in-memory "extent stores" (one byte array per vDisk). By default it applies each
 * drain at once; tests can make it fail, report a vDisk gone, or hold drains until released.
 */
final class ModelSink implements DrainSink {

  /** One call of {@link #drain}. */
  record Call(long vdisk, long offset, byte[] data) {}

  private final int diskSize;
  final Map<Long, byte[]> disks = new ConcurrentHashMap<>();
  final List<Call> calls = new ArrayList<>();
  final AtomicInteger failuresLeft = new AtomicInteger();
  volatile long goneVDisk = -1;
  volatile boolean hold;
  private final List<Runnable> held = new ArrayList<>();
  private final AtomicInteger inflight = new AtomicInteger();
  final AtomicInteger maxInflight = new AtomicInteger();

  ModelSink(int diskSize) {
    this.diskSize = diskSize;
  }

  byte[] disk(long vdisk) {
    return disks.computeIfAbsent(vdisk, k -> new byte[diskSize]);
  }

  /** What the store holds of a range. */
  synchronized byte[] storeRead(long vdisk, long offset, int length) {
    byte[] out = new byte[length];
    System.arraycopy(disk(vdisk), (int) offset, out, 0, length);
    return out;
  }

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  @Override
  public CompletableFuture<Void> drain(long vdiskId, long offset, ByteBuf data) {
    byte[] copy = new byte[data.readableBytes()];
    data.getBytes(data.readerIndex(), copy);
    int now = inflight.incrementAndGet();
    maxInflight.accumulateAndGet(now, Math::max);
    CompletableFuture<Void> f = new CompletableFuture<>();
    Runnable finish = () -> {
      synchronized (this) {
        calls.add(new Call(vdiskId, offset, copy));
      }
      inflight.decrementAndGet();
      if (vdiskId == goneVDisk) {
        f.completeExceptionally(new VDiskGoneException(vdiskId));
      } else if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        f.completeExceptionally(new RuntimeException("injected drain failure"));
      } else {
        synchronized (this) {
          System.arraycopy(copy, 0, disk(vdiskId), (int) offset, copy.length);
        }
        f.complete(null);
      }
    };
    synchronized (this) {
      if (hold) {
        held.add(finish);
        return f;
      }
    }
    finish.run();
    return f;
  }

  synchronized int heldCount() {
    return held.size();
  }

  /** Completes every held drain and stops holding. */
  void release() {
    List<Runnable> r;
    synchronized (this) {
      hold = false;
      r = new ArrayList<>(held);
      held.clear();
    }
    r.forEach(Runnable::run);
  }
}
