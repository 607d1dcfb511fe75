package io.cairn.datapath.extentstore;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The local replica of one extent group: its files and its local metadata in memory.
 *
 * <p>{@link #crcs} and {@link #written} entries are read and written only while holding a
 * {@link #lock} hold covering the slice (shared to read, exclusive to write), which also orders
 * them with the data file's bytes: no reader can see a slice's new bytes with its old checksum.
 * {@link #fileLock} guards opening and closing the data channel, replacing the metadata file, and
 * the {@link #deleted} transition, so that a metadata file is never rewritten after deletion.
 */
final class Egroup {
  final long id;
  final Disk disk;
  final Path dir;
  final Path dataPath;
  final Path metaPath;
  final SliceRangeLock lock = new SliceRangeLock();
  final int[] crcs;
  final byte[] written;
  final Object fileLock = new Object();
  private FileChannel channel; // guarded by fileLock
  volatile boolean deleted;
  /** Non-null when the local metadata is unusable: every read and write fails. */
  volatile String failure;
  /**
   * When this replica was last created, opened, written or deallocated (epoch ms): an unreferenced
   * replica is deleted only once it has been left alone for a while ({@code deleteIfIdle}).
   */
  volatile long changedAtMs = System.currentTimeMillis();

  Egroup(long id, Disk disk, int sliceCount) {
    this.id = id;
    this.disk = disk;
    this.dir = ExtentStoreFormat.egroupDir(disk.egroupRoot, id);
    this.dataPath = dir.resolve(ExtentStoreFormat.dataFileName(id));
    this.metaPath = dir.resolve(ExtentStoreFormat.metaFileName(id));
    this.crcs = new int[sliceCount];
    this.written = new byte[sliceCount];
  }

  /** The data file's channel, opened on first use. */
  FileChannel channel() throws IOException {
    synchronized (fileLock) {
      if (deleted) throw new ClosedChannelException();
      if (channel == null || !channel.isOpen()) {
        channel = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
      }
      return channel;
    }
  }

  void closeChannel() {
    synchronized (fileLock) {
      FileUtil.closeQuietly(channel);
      channel = null;
    }
  }

  /** Written slices (lock holds are not needed for a figure used only for accounting at start-up). */
  int writtenSlices() {
    int n = 0;
    for (byte b : written) n += b;
    return n;
  }

  @Override
  public String toString() {
    return "egroup " + ExtentStoreFormat.hex(id) + " on " + disk.id;
  }
}
