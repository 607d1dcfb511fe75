package io.cairn.datapath.extentstore;

import io.cairn.config.DiskSettings;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One disk of the node: its directories, space accounting and intent journal. {@link #usedBytes}
 * counts written slices x slice size (allocated space, thin) and is updated with a CAS so that
 * concurrent writes never take the disk beyond its capacity.
 */
final class Disk {
  final DiskSettings settings;
  final String id;
  final Path root;
  final Path egroupRoot;
  final Path intentDir;
  final AtomicLong usedBytes = new AtomicLong();
  final AtomicLong egroups = new AtomicLong();
  volatile boolean online;
  /** Online but taking no new extent groups: its replicas are being moved off (planned removal). */
  volatile boolean draining;
  /** Test only: the fault every I/O of this disk meets first. */
  volatile DiskFault fault = DiskFault.NONE;
  /** I/O steps running on this disk now: the thread running each, with its start (System.nanoTime). */
  final java.util.concurrent.ConcurrentHashMap<Thread, Long> inflight = new java.util.concurrent.ConcurrentHashMap<>();
  IntentJournal journal;

  Disk(DiskSettings settings) {
    this.settings = settings;
    this.id = settings.id();
    this.root = settings.path();
    this.egroupRoot = root.resolve(ExtentStoreFormat.EGROUP_DIR);
    this.intentDir = root.resolve(ExtentStoreFormat.INTENT_DIR);
  }

  long capacity() {
    return settings.capacityBytes();
  }

  long free() {
    return capacity() - usedBytes.get();
  }

  boolean ssd() {
    return settings.tier() == DiskSettings.Tier.SSD;
  }

  String tier() {
    return settings.tier().name().toLowerCase(Locale.ROOT);
  }

  /** Takes {@code bytes} of space if the disk has them. */
  boolean reserve(long bytes) {
    while (true) {
      long u = usedBytes.get();
      if (u + bytes > capacity()) return false;
      if (usedBytes.compareAndSet(u, u + bytes)) return true;
    }
  }

  void unreserve(long bytes) {
    usedBytes.addAndGet(-bytes);
  }
}
