package io.cairn.datapath.scsi;

import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.target.TargetInfo;
import io.cairn.datapath.vdisk.VDiskIo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;

/**
 * What a {@link CommandHandler} sees of one command: the CDB, the addressed logical unit (null for a
 * LUN the target does not have), the settings, and the Data-Out buffer.
 *
 * <p>Data-Out ownership: the context owns the buffer until a handler takes it with
 * {@link #takeDataOut}; the service releases whatever was not taken as soon as the handler returns,
 * so a handler that uses Data-Out after it returns (after an I/O) must take it and release it itself.
 */
final class CommandContext {

  final ItNexus nexus;
  final ScsiCommand command;
  final byte[] cdb;
  /** The target, or null when the nexus's target is no longer exported. */
  final TargetInfo target;
  /** The addressed LUN, or null when the target does not have it (ANY_LUN commands only). */
  final LunEntry lun;
  /** Device-server state of the addressed LUN, or null with {@link #lun}. */
  final LogicalUnit unit;
  final ScsiSettings settings;
  /** The command's task in the logical unit's task set; null for a LUN the target does not have. Set before the handler runs. */
  Task task;
  private ByteBuf dataOut;

  CommandContext(ItNexus nexus, ScsiCommand command, TargetInfo target, LunEntry lun, LogicalUnit unit, ScsiSettings settings) {
    this.nexus = nexus;
    this.command = command;
    this.cdb = command.cdb();
    this.target = target;
    this.lun = lun;
    this.unit = unit;
    this.settings = settings;
    this.dataOut = command.dataOut();
  }

  LunInfo info() {
    return lun.info();
  }

  VDiskIo io() {
    return lun.io();
  }

  /**
   * Whether the command's outcome is already decided (task management aborted it, or its timeout
   * fired): a handler that works in many steps stops at the next one.
   */
  boolean aborted() {
    return task != null && task.result.isDone();
  }

  /** Bytes of Data-Out received (and not yet taken). */
  int dataOutLength() {
    return dataOut == null ? 0 : dataOut.readableBytes();
  }

  /**
   * Takes ownership of the Data-Out buffer, which must hold at least {@code expectedBytes} (the
   * transfer the CDB specifies). When the initiator sent less (its Expected Data Transfer Length
   * is below the CDB's), the command ends with ILLEGAL REQUEST, INVALID FIELD IN COMMAND
   * INFORMATION UNIT (FCP-4 9.4.2 b); the response carries the CDB's length so the transport
   * reports the overflow residual. Bytes beyond {@code expectedBytes} are not part of the command.
   *
   * @return the buffer (caller releases), or null when {@code expectedBytes} is 0
   */
  ByteBuf takeDataOut(long expectedBytes) {
    if (dataOutLength() < expectedBytes) throw shortDataOut(expectedBytes);
    if (expectedBytes == 0) return null;
    ByteBuf b = dataOut;
    dataOut = null;
    return b;
  }

  /** INVALID FIELD IN COMMAND INFORMATION UNIT for a command that received less Data-Out than it needs. */
  static CheckCondition shortDataOut(long expectedBytes) {
    return new CheckCondition(SenseData.of(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT), expectedBytes);
  }

  /** Releases the Data-Out buffer unless a handler took it. */
  void releaseDataOut() {
    if (dataOut != null) {
      ByteBuf b = dataOut;
      dataOut = null;
      b.release();
    }
  }

  /**
   * GOOD with parameter data truncated to the allocation length (SPC-4 4.2.5.6): the response's
   * length is what the device server transfers, so truncation is no residual overflow.
   */
  static CompletableFuture<ScsiResponse> dataIn(byte[] data, int length, long allocationLength) {
    int n = (int) Math.min(length, allocationLength);
    return CompletableFuture.completedFuture(n == 0 ? ScsiResponse.good() : ScsiResponse.good(Unpooled.wrappedBuffer(data, 0, n)));
  }

  static CompletableFuture<ScsiResponse> good() {
    return CompletableFuture.completedFuture(ScsiResponse.good());
  }
}
