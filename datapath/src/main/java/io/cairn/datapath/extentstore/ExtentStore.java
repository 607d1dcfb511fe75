package io.cairn.datapath.extentstore;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The per-node extent store: replicas of extent groups in files on the node's disks, with their
 * local metadata (per-slice CRC32C checksums, the disk that holds them). Global metadata (which
 * vDisk block an extent holds, which nodes hold replicas) lives in the ExtentGroup actors, not here.
 *
 * <p>Offsets are bytes within the extent group ({@code slot * extentSize + offsetInExtent}). Every
 * read verifies the checksum of every slice it touches; a write is durable when its future
 * completes, and a crash during a write never leaves a slice that fails its checksum for data
 * that was acknowledged earlier. Thread-safe; blocking file I/O runs on the store's own threads.
 */
public interface ExtentStore extends AutoCloseable {

  /**
   * Creates the local replica of extent group {@code egroupId} on disk {@code diskId}, or on the
   * disk placement prefers when {@code diskId} is null. Idempotent: returns the disk that holds it.
   * A never-written range of a new egroup reads as zeros.
   */
  String create(long egroupId, String diskId);

  /** Whether this node holds a replica of the egroup. */
  boolean contains(long egroupId);

  /**
   * Reads {@code length} bytes at {@code offset} of the egroup; the returned buffer is owned by the
   * caller. Fails with {@code VDiskIoException(UNRECOVERED_READ_ERROR)} when a slice fails its
   * checksum (the data is never returned), or NOT_READY when the egroup has no local replica.
   */
  CompletableFuture<ByteBuf> read(long egroupId, long offset, int length);

  /**
   * Writes {@code data.readableBytes()} bytes at {@code offset}; completes when durable. The caller
   * keeps ownership of {@code data}, which must stay valid until the future completes.
   */
  CompletableFuture<Void> write(long egroupId, long offset, ByteBuf data);

  /**
   * Deallocates the slices of {@code [offset, offset+length)}, a range of whole slices: afterwards
   * they read as zeros and no longer count as used space. Durable and crash-safe as a write of
   * zeros is: a crash leaves each slice with its old bytes or deallocated, never unreadable.
   * Completes at once when no slice of the range is written.
   *
   * @throws IllegalArgumentException (in the future) when the range is not slice-aligned
   */
  CompletableFuture<Void> deallocate(long egroupId, long offset, long length);

  /**
   * Which slices of {@code [offset, offset+length)} hold written data (a read of a slice not in the
   * set returns zeros): bit {@code i} stands for slice {@code offset / sliceSize + i}. A snapshot of
   * the local metadata for status reports (GET LBA STATUS); writes in flight may or may not show.
   * An egroup this node does not hold has no written slice.
   */
  java.util.BitSet written(long egroupId, long offset, long length);

  /** Deletes the local replica and its metadata, freeing its space. Idempotent. */
  CompletableFuture<Void> delete(long egroupId);

  /** The ids of the egroups this node holds a local replica of. */
  List<Long> egroupIds();

  /**
   * Deletes the local replica, as {@link #delete} does, only if it has not been created, opened,
   * written or deallocated within {@code idle}; the check and the delete are atomic with respect to
   * writes of the egroup. Completes with whether it deleted it (false too when it is not here).
   */
  CompletableFuture<Boolean> deleteIfIdle(long egroupId, java.time.Duration idle);

  /**
   * Scrubs the local replica's written slices that {@code [offset, offset+length)} touches: reads
   * each from the medium (never from the cache) and checks it against its checksum. Completes with
   * the slices that fail (bit {@code i}: slice {@code offset / sliceSize + i}), after dropping them
   * from the cache so that the next read of them meets the medium's bytes; fails NOT_READY when the
   * egroup is not here, UNRECOVERED_READ_ERROR when its local metadata is unusable.
   */
  CompletableFuture<java.util.BitSet> verify(long egroupId, long offset, long length);

  /** I/O operations queued or running on this store's threads now (how busy its disks are). */
  int pendingIo();

  /** Capacity and usage of every disk. */
  List<DiskUsage> disks();

  @Override
  void close();
}
