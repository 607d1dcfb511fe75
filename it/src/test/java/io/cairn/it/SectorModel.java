package io.cairn.it;

import java.util.ArrayList;
import java.util.List;

/**
 * The expected content of a region of a vDisk written with qemu-io byte patterns: one byte per
 * 512-byte block (every byte of a block written with {@code -P p} is {@code p}; never-written
 * blocks read as 0).
 */
final class SectorModel {
  static final int SECTOR = CairnProcess.BLOCK;

  private final byte[] expected;

  /** A model of {@code [0, bytes)}, all zeros. */
  SectorModel(long bytes) {
    if (bytes % SECTOR != 0 || bytes / SECTOR > Integer.MAX_VALUE) throw new IllegalArgumentException("size " + bytes);
    this.expected = new byte[(int) (bytes / SECTOR)];
  }

  long bytes() {
    return (long) expected.length * SECTOR;
  }

  /** Records a write of {@code length} bytes of {@code pattern} at {@code offset} (sector-aligned). */
  void write(long offset, long length, int pattern) {
    if (offset % SECTOR != 0 || length % SECTOR != 0 || offset + length > bytes()) {
      throw new IllegalArgumentException("write " + offset + "+" + length);
    }
    for (long s = offset / SECTOR; s < (offset + length) / SECTOR; s++) expected[(int) s] = (byte) pattern;
  }

  int at(long sector) {
    return expected[(int) sector] & 0xFF;
  }

  /**
   * qemu-io {@code read -P} commands that check all of {@code [0, bytes)}: one per run of equal
   * expected bytes, split at {@code maxLength}.
   */
  List<String> verifyCommands(long maxLength) {
    List<String> out = new ArrayList<>();
    int s = 0;
    while (s < expected.length) {
      int e = s + 1;
      while (e < expected.length && expected[e] == expected[s] && (long) (e - s) * SECTOR < maxLength) e++;
      out.add(QemuIo.readExpect(expected[s], (long) s * SECTOR, (long) (e - s) * SECTOR));
      s = e;
    }
    return out;
  }

  /** Number of sectors holding a non-zero expected byte. */
  long writtenSectors() {
    long n = 0;
    for (byte b : expected) if (b != 0) n++;
    return n;
  }
}
