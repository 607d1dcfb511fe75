package io.cairn.datapath.extentstore;

import static io.cairn.datapath.extentstore.StoreTestSupport.EGROUP;
import static io.cairn.datapath.extentstore.StoreTestSupport.SETTINGS;
import static io.cairn.datapath.extentstore.StoreTestSupport.bytes;
import static io.cairn.datapath.extentstore.StoreTestSupport.failureKind;
import static io.cairn.datapath.extentstore.StoreTestSupport.read;
import static io.cairn.datapath.extentstore.StoreTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.config.DiskSettings;
import io.cairn.datapath.cache.UnifiedCache;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.datapath.vdisk.VDiskIoException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A disk whose I/O fails or hangs: offline, fast failures, probes, back online; placement around it. */
@Timeout(60)
class DiskFailureTest {

  @TempDir
  Path dir;

  private List<DiskSettings> twoDisks() {
    return List.of(new DiskSettings("d0", dir.resolve("d0"), DiskSettings.Tier.SSD, 64L * EGROUP),
        new DiskSettings("d1", dir.resolve("d1"), DiskSettings.Tier.SSD, 32L * EGROUP));
  }

  @Test
  void shouldTakeADiskOfflineOnAnIoErrorAndFailItsIoAtOnceUntilItIsBroughtBack() throws Exception {
    List<String> failed = new CopyOnWriteArrayList<>();
    try (FileExtentStore store = FileExtentStore.open(twoDisks(), SETTINGS, UnifiedCache.disabled())) {
      store.setDiskListener((disk, reason) -> failed.add(disk + ": " + reason));
      assertEquals("d0", store.create(1, null)); // the disk with the most free space
      assertEquals("d1", store.create(2, "d1"));
      byte[] data = bytes(7, EGROUP);
      write(store, 1, 0, data);
      write(store, 2, 0, data);

      store.injectFault("d0", DiskFault.error());
      ByteBuf b = Unpooled.wrappedBuffer(bytes(8, 4096));
      assertEquals(Kind.WRITE_ERROR, failureKind(store.write(1, 0, b)), "the write meets the device's error");
      b.release();
      assertEquals(List.of("d0: I/O error: injected I/O error on disk d0"), failed);
      assertFalse(store.disks().get(0).online());
      // From now on the disk's I/O fails NOT_READY at once, without reaching it; the other disk serves.
      assertEquals(Kind.NOT_READY, failureKind(store.read(1, 0, 4096)));
      assertEquals(Kind.NOT_READY, failureKind(store.verify(1, 0, EGROUP)));
      assertArrayEquals(data, read(store, 2, 0, EGROUP));
      assertEquals(List.of(2L), store.egroupIds(), "an offline disk's replicas are not listed for sweeps and scrubs");
      assertEquals("d1", store.create(3, null), "new egroups go to an online disk");
      VDiskIoException e = assertThrows(VDiskIoException.class, () -> store.create(4, "d0"));
      assertEquals(Kind.NOT_READY, e.kind());
      assertEquals(1, failed.size(), "the listener hears of it once");

      // The probe meets the fault; cleared, it passes and the disk serves its replicas again.
      ExecutionException probe = assertThrows(ExecutionException.class, () -> store.probe("d0").get(10, TimeUnit.SECONDS));
      assertTrue(probe.getCause().getMessage().contains("injected I/O error"), probe.toString());
      store.injectFault("d0", DiskFault.NONE);
      store.probe("d0").get(10, TimeUnit.SECONDS);
      assertFalse(Files.exists(dir.resolve("d0").resolve(ExtentStoreFormat.PROBE_FILE)), "the probe cleans up");
      assertTrue(store.bringOnline("d0"));
      assertFalse(store.bringOnline("d0"), "already online");
      assertArrayEquals(data, read(store, 1, 0, EGROUP), "the failed write was never applied: the old bytes");
      assertEquals(List.of(1L, 2L, 3L), store.egroupIds().stream().sorted().toList());
    }
  }

  @Test
  void shouldShowAHangingIoAsTheDisksOldestIo() throws Exception {
    try (FileExtentStore store = FileExtentStore.open(twoDisks(), SETTINGS, UnifiedCache.disabled())) {
      store.create(1, "d0");
      write(store, 1, 0, bytes(1, 4096));
      store.injectFault("d0", DiskFault.hang(Duration.ofMillis(1500)));
      CompletableFuture<ByteBuf> slow = store.read(1, 0, 4096);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (store.oldestIo().get("d0").toMillis() < 500 && System.nanoTime() < deadline) Thread.sleep(20);
      assertTrue(store.oldestIo().get("d0").toMillis() >= 500, "the hanging read is seen: " + store.oldestIo());
      assertEquals(Duration.ZERO, store.oldestIo().get("d1"), "nothing runs on d1");
      assertTrue(store.takeOffline("d0", "no answer"));
      assertFalse(store.takeOffline("d0", "no answer"), "already offline");
      slow.get(10, TimeUnit.SECONDS).release(); // the I/O already running finishes
      assertEquals(Duration.ZERO, store.oldestIo().get("d0"));
      assertEquals(Kind.NOT_READY, failureKind(store.read(1, 0, 4096)));
    }
  }

  @Test
  void shouldPlaceNothingOnADrainingDisk() throws Exception {
    try (FileExtentStore store = FileExtentStore.open(twoDisks(), SETTINGS, UnifiedCache.disabled())) {
      store.setDraining("d0", true);
      assertEquals("d1", store.create(1, null));
      assertEquals(Kind.NOT_READY, assertThrows(VDiskIoException.class, () -> store.create(2, "d0")).kind());
      store.setDraining("d0", false);
      assertEquals("d0", store.create(2, null));
      assertThrows(IllegalArgumentException.class, () -> store.injectFault("nope", DiskFault.error()));
    }
  }
}
