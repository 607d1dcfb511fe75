package io.cairn.datapath.oplog;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * The per-node OpLog: a durable, append-only, checksummed write log with group commit, an
 * in-memory index of undrained data per vDisk, and a drainer that hands coalesced ranges to a
 * {@link DrainSink} (the vDisk controller, which writes them to the extent store) and then trims.
 *
 * <p>Thread-safe. Durability contract: {@link #append} completes only after the record is on stable
 * storage (fsync) and visible to {@link #capture}; a record that is torn or fails its checksum on
 * replay is dropped together with everything after it in that file, never returned as data.
 */
public interface OpLog extends AutoCloseable {

  /**
   * Appends a write of {@code data.readableBytes()} bytes at byte {@code offset} of vDisk
   * {@code vdiskId}. The callee retains {@code data} for as long as it needs it; the caller's
   * reference is unaffected (it may release it as soon as this method returns). Completes once the
   * record is durable and indexed; fails with a {@code VDiskIoException} (WRITE_ERROR) when the
   * log cannot be written. When the vDisk (or node) is over its undrained-bytes limit, completion
   * waits for the drainer to make room.
   */
  CompletableFuture<Void> append(long vdiskId, long offset, ByteBuf data);

  /**
   * Appends a data-less record saying that every older byte of {@code [offset, offset+length)} of
   * the vDisk is dead: the range is about to be written directly to the extent store (a sequential
   * write that skips the OpLog). Completes when the record is durable and no drain of an older
   * record overlapping the range is still in flight (so the direct write that follows cannot be
   * overwritten by an older drain). On replay it removes older
   * records' bytes in the range from the index, so a drained-but-untrimmed record can never be
   * drained again over the newer direct write.
   */
  CompletableFuture<Void> supersede(long vdiskId, long offset, long length);

  /** Whether any undrained byte of vDisk {@code vdiskId} lies in {@code [offset, offset+length)}. */
  boolean hasUndrained(long vdiskId, long offset, long length);

  /**
   * Copies the newest undrained bytes of {@code [offset, offset+length)} out of the log. Reads take
   * the capture first, then read the extent store, then apply the capture on top: a drain that
   * completes in between cannot make the read miss data.
   */
  OpLogCapture capture(long vdiskId, long offset, int length);

  /**
   * Where vDisk {@code vdiskId} has undrained bytes inside {@code [offset, offset+length)}: ranges
   * clipped to it, ascending, touching ones merged, packed as {@code start, end} pairs into one
   * array ({@code [s0, e0, s1, e1, ...]}), at most {@code maxRanges} of them (when the answer holds
   * {@code maxRanges}, ranges after the last may exist). A snapshot of the index at the call.
   */
  long[] undrainedRanges(long vdiskId, long offset, long length, int maxRanges);

  /** Undrained bytes currently held for vDisk {@code vdiskId} (record payload bytes). */
  long undrainedBytes(long vdiskId);

  /**
   * Forgets every record of a deleted vDisk: appends a durable discard record (so replay does not
   * bring them back) and drops them from the index; they are never drained.
   */
  CompletableFuture<Void> discard(long vdiskId);

  /** Starts the drainer; until then records accumulate (bounded by the limits). Call once. */
  void startDrainer(DrainSink sink);

  /**
   * Drains every undrained record of every vDisk and completes when done (shutdown, tests). Appends
   * made after the call may or may not be included.
   */
  CompletableFuture<Void> drainAll();

  /** Counters for the status API. */
  OpLogStats stats();

  /** Stops the drainer, makes every accepted append durable, closes the files. */
  @Override
  void close();
}
