package io.cairn.datapath.oplog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One OpLog file. The writer thread owns {@link #writeChannel} (appends at the channel position);
 * captures and the drainer read through a separate read-only channel, so that an interrupted caller
 * thread (which closes the channel it was using, {@link ClosedByInterruptException}) can never close
 * the channel the writer appends to.
 *
 * <p>Fields other than the channels are guarded by the OpLog's lock. {@link #pins} counts readers
 * between pin and unpin: a pinned file is never deleted or closed.
 */
final class LogFile {
  final long seq;
  final Path path;
  /** Writer thread only (null for files found at replay: they are never written again). */
  FileChannel writeChannel;
  /** Bytes in the file (header and complete records); the writer's append position. */
  long size;
  /** Undrained payload bytes of this file's records still referenced by the index. */
  long liveBytes;
  /** Readers currently reading this file. */
  int pins;

  private final Object readLock = new Object();
  private FileChannel readChannel; // guarded by readLock
  private boolean closed; // guarded by readLock

  LogFile(long seq, Path path, FileChannel writeChannel, long size) {
    this.seq = seq;
    this.path = path;
    this.writeChannel = writeChannel;
    this.size = size;
  }

  /**
   * Reads exactly {@code dst.remaining()} bytes at {@code position}. Safe to call from any thread
   * while the file is pinned. If another thread's interrupt closed the shared read channel, the
   * channel is reopened and the read retried; the caller's own interrupt status is preserved.
   */
  void readFully(ByteBuffer dst, long position) throws IOException {
    boolean interrupted = Thread.interrupted(); // an interrupted thread's read would close the channel
    try {
      long pos = position;
      int attempts = 0;
      while (dst.hasRemaining()) {
        FileChannel ch = readChannel();
        try {
          int n = ch.read(dst, pos);
          if (n < 0) throw new IOException(path + ": unexpected end of file at " + pos);
          pos += n;
        } catch (ClosedChannelException e) {
          if (++attempts > 3) throw e;
          reopen(ch);
          if (Thread.interrupted()) interrupted = true;
        }
      }
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  private FileChannel readChannel() throws IOException {
    synchronized (readLock) {
      if (closed) throw new ClosedChannelException();
      if (readChannel == null) readChannel = FileChannel.open(path, StandardOpenOption.READ);
      return readChannel;
    }
  }

  private void reopen(FileChannel failed) throws IOException {
    synchronized (readLock) {
      if (closed) throw new ClosedChannelException();
      if (readChannel == failed) readChannel = null;
    }
  }

  /** Closes both channels. Called once no reader holds a pin (or at shutdown). */
  void close() {
    synchronized (readLock) {
      closed = true;
      closeQuietly(readChannel);
      readChannel = null;
    }
    closeQuietly(writeChannel);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing to do: the file is being dropped or the OpLog is shutting down
    }
  }

  @Override
  public String toString() {
    return path.getFileName().toString();
  }
}
