package io.cairn.datapath.scsi;

import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/** Test double: every operation fails with one {@link VDiskIoException.Kind}; writes release their buffer. */
class FailingVDiskIo implements VDiskIo {

  private final VDiskIoException.Kind kind;

  FailingVDiskIo(VDiskIoException.Kind kind) {
    this.kind = kind;
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    return CompletableFuture.failedFuture(new VDiskIoException(kind, "injected"));
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf data) {
    data.release();
    return CompletableFuture.failedFuture(new VDiskIoException(kind, "injected"));
  }

  @Override
  public CompletableFuture<Void> writeAtomic(long offset, ByteBuf data) {
    return write(offset, data);
  }

  @Override
  public CompletableFuture<Long> compareAndWrite(long offset, ByteBuf compare, ByteBuf data) {
    compare.release();
    data.release();
    return CompletableFuture.failedFuture(new VDiskIoException(kind, "injected"));
  }

  @Override
  public CompletableFuture<Void> unmap(long offset, long length) {
    return CompletableFuture.failedFuture(new VDiskIoException(kind, "injected"));
  }

  @Override
  public CompletableFuture<io.cairn.datapath.vdisk.Provisioning> provisioning(long offset, int maxRanges) {
    return CompletableFuture.failedFuture(new VDiskIoException(kind, "injected"));
  }

  @Override
  public CompletableFuture<Void> flush() {
    return CompletableFuture.failedFuture(new VDiskIoException(kind, "injected"));
  }
}
