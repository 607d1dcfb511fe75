package io.cairn.datapath.extentstore;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Small positional-I/O helpers for the extent store. */
final class FileUtil {
  private FileUtil() {}

  /** Forces a directory, making creations, renames and deletions in it durable (Linux). */
  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // being dropped
    }
  }

  /** Reads until {@code dst} is full; the end of the file before that is an error. */
  static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) throw new EOFException("end of file at " + pos);
      pos += n;
    }
  }

  static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
    long pos = position;
    while (src.hasRemaining()) pos += ch.write(src, pos);
  }
}
