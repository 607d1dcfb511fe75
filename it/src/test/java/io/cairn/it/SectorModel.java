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

  /** vDisk byte offset of the region. */
  private final long base;
  private final byte[] expected;

  /** A model of the vDisk bytes {@code [base, base + bytes)}, all zeros. */
  SectorModel(long base, long bytes) {
    if (base % SECTOR != 0 || bytes % SECTOR != 0 || bytes / SECTOR > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("region " + base + "+" + bytes);
    }
    this.base = base;
    this.expected = new byte[(int) (bytes / SECTOR)];
  }

  long bytes() {
    return (long) expected.length * SECTOR;
  }

  /** Records a write of {@code length} bytes of {@code pattern} at vDisk offset {@code offset} (sector-aligned). */
  void write(long offset, long length, int pattern) {
    long rel = offset - base;
    if (rel < 0 || rel % SECTOR != 0 || length % SECTOR != 0 || rel + length > bytes()) {
      throw new IllegalArgumentException("write " + offset + "+" + length + " outside " + base + "+" + bytes());
    }
    for (long s = rel / SECTOR; s < (rel + length) / SECTOR; s++) expected[(int) s] = (byte) pattern;
  }

  /**
   * qemu-io {@code read -P} commands that check the whole region: one per run of equal expected
   * bytes, split at {@code maxLength}.
   */
  List<String> verifyCommands(long maxLength) {
    List<String> out = new ArrayList<>();
    int s = 0;
    while (s < expected.length) {
      int e = s + 1;
      while (e < expected.length && expected[e] == expected[s] && (long) (e - s) * SECTOR < maxLength) e++;
      out.add(QemuIo.readExpect(expected[s], base + (long) s * SECTOR, (long) (e - s) * SECTOR));
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
