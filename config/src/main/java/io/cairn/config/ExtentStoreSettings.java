package io.cairn.config;

import com.typesafe.config.Config;

/**
 * Geometry and threading of the per-node extent store.
 *
 * @param extentSizeBytes bytes of one extent and of one vBlock
 * @param extentsPerEgroup extents in one extent group (1-4)
 * @param sliceSizeBytes checksummed unit inside an extent group
 * @param ioThreads threads doing positional file I/O
 */
public record ExtentStoreSettings(int extentSizeBytes, int extentsPerEgroup, int sliceSizeBytes, int ioThreads) {

  public static ExtentStoreSettings from(Config c) {
    int extent = (int) Checks.powerOfTwo("extent-store.extent-size", c.getBytes("extent-size"));
    Checks.between("extent-store.extent-size", extent, 64 << 10, 16 << 20);
    int slice = (int) Checks.powerOfTwo("extent-store.slice-size", c.getBytes("slice-size"));
    Checks.between("extent-store.slice-size", slice, 4096, extent);
    return new ExtentStoreSettings(
        extent,
        (int) Checks.between("extent-store.extents-per-egroup", c.getInt("extents-per-egroup"), 1, 4),
        slice,
        (int) Checks.between("extent-store.io-threads", c.getInt("io-threads"), 1, 256));
  }

  /** Bytes of one full extent group. */
  public long egroupSizeBytes() {
    return (long) extentSizeBytes * extentsPerEgroup;
  }
}
