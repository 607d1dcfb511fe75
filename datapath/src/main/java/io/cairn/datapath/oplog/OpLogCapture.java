package io.cairn.datapath.oplog;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * Undrained bytes copied out of the OpLog for one read range: non-overlapping pieces, ordered by
 * offset, each holding the newest data of its range. Immutable; holds heap copies, nothing to release.
 *
 * @param offset start of the captured range (vDisk byte offset)
 * @param length length of the captured range
 * @param pieces the undrained pieces inside the range
 */
public record OpLogCapture(long offset, int length, List<Piece> pieces) {

  /** Undrained bytes at vDisk byte {@code offset}. */
  public record Piece(long offset, byte[] data) {}

  public static OpLogCapture empty(long offset, int length) {
    return new OpLogCapture(offset, length, List.of());
  }

  public boolean isEmpty() {
    return pieces.isEmpty();
  }

  /** Whether the pieces cover the whole range (the extent store need not be read). */
  public boolean coversFully() {
    long next = offset;
    for (Piece p : pieces) {
      if (p.offset() > next) return false;
      next = Math.max(next, p.offset() + p.data().length);
    }
    return next >= offset + length;
  }

  /**
   * Writes the pieces over {@code dst}, whose byte at index {@code dstIndex} stands for vDisk byte
   * {@link #offset()}; uses absolute sets, indices unchanged.
   */
  public void applyTo(ByteBuf dst, int dstIndex) {
    for (Piece p : pieces) {
      dst.setBytes(dstIndex + (int) (p.offset() - offset), p.data());
    }
  }
}
