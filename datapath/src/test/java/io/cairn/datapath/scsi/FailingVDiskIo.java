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
  public CompletableFuture<Void> flush() {
    return CompletableFuture.failedFuture(new VDiskIoException(kind, "injected"));
  }
}
