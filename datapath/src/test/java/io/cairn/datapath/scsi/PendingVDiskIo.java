package io.cairn.datapath.scsi;

import io.cairn.datapath.vdisk.VDiskIo;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Test double: every operation stays pending until the test releases it with {@link #completeAll},
 * then runs against a {@link RamVDiskIo}. Stands for a vDisk whose I/O is in flight.
 */
class PendingVDiskIo implements VDiskIo {

  final RamVDiskIo ram = new RamVDiskIo();
  private final List<Runnable> pending = new ArrayList<>();

  @Override
  public synchronized CompletableFuture<ByteBuf> read(long offset, int length) {
    CompletableFuture<ByteBuf> f = new CompletableFuture<>();
    pending.add(() -> ram.read(offset, length).thenAccept(f::complete));
    return f;
  }

  @Override
  public synchronized CompletableFuture<Void> write(long offset, ByteBuf data) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    pending.add(() -> ram.write(offset, data).thenAccept(f::complete));
    return f;
  }

  @Override
  public synchronized CompletableFuture<Void> unmap(long offset, long length) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    pending.add(() -> ram.unmap(offset, length).thenAccept(f::complete));
    return f;
  }

  @Override
  public synchronized CompletableFuture<Void> flush() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    pending.add(() -> ram.flush().thenAccept(f::complete));
    return f;
  }

  synchronized int pendingCount() {
    return pending.size();
  }

  void completeAll() {
    List<Runnable> run;
    synchronized (this) {
      run = new ArrayList<>(pending);
      pending.clear();
    }
    run.forEach(Runnable::run);
  }
}
