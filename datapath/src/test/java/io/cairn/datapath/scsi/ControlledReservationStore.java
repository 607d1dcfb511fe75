package io.cairn.datapath.scsi;

import io.cairn.datapath.scsi.reservation.PersistentReservations;
import io.cairn.datapath.scsi.reservation.ReservationStore;
import io.cairn.datapath.scsi.reservation.ReservationStoreException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * Test double of a {@link ReservationStore}: an in-memory store whose loads and saves can be held
 * back until the test lets them through ({@link #holdLoads}, {@link #holdSaves}), or failed as an
 * unreachable store would fail them, with or without having written the state first.
 */
final class ControlledReservationStore implements ReservationStore {

  final ReservationStore inner = ReservationStore.inMemory();
  private final Deque<Runnable> held = new ArrayDeque<>();
  private boolean holdLoads;
  private boolean holdSaves;
  private int failLoads;
  /** Saves to fail: after writing (the outcome the caller cannot know) or before. */
  private int failSavesAfterWrite;
  private int failSavesBeforeWrite;
  int loads;
  int saves;

  synchronized void holdLoads(boolean on) {
    holdLoads = on;
  }

  synchronized void holdSaves(boolean on) {
    holdSaves = on;
  }

  synchronized void failNextLoads(int n) {
    failLoads = n;
  }

  synchronized void failNextSaveAfterWriting() {
    failSavesAfterWrite = 1;
  }

  synchronized void failNextSaveBeforeWriting() {
    failSavesBeforeWrite = 1;
  }

  synchronized int heldCount() {
    return held.size();
  }

  /** Lets every held operation through, in order. */
  void release() {
    while (true) {
      Runnable r;
      synchronized (this) {
        r = held.poll();
      }
      if (r == null) return;
      r.run();
    }
  }

  @Override
  public CompletableFuture<Versioned> load(long vdiskId) {
    CompletableFuture<Versioned> f = new CompletableFuture<>();
    Runnable op;
    synchronized (this) {
      loads++;
      if (failLoads > 0) {
        failLoads--;
        return CompletableFuture.failedFuture(new ReservationStoreException("store unreachable", new RuntimeException("test")));
      }
      op = () -> inner.load(vdiskId).whenComplete((v, e) -> {
        if (e != null) f.completeExceptionally(e); else f.complete(v);
      });
      if (holdLoads) {
        held.add(op);
        return f;
      }
    }
    op.run();
    return f;
  }

  @Override
  public CompletableFuture<Long> save(long vdiskId, long expectedVersion, PersistentReservations state) {
    CompletableFuture<Long> f = new CompletableFuture<>();
    Runnable op;
    synchronized (this) {
      saves++;
      boolean failBefore = failSavesBeforeWrite > 0;
      boolean failAfter = failSavesAfterWrite > 0;
      failSavesBeforeWrite = 0;
      failSavesAfterWrite = 0;
      op = () -> {
        if (failBefore) {
          f.completeExceptionally(new ReservationStoreException("timed out", new RuntimeException("test")));
          return;
        }
        inner.save(vdiskId, expectedVersion, state).whenComplete((v, e) -> {
          if (e != null) f.completeExceptionally(e);
          else if (failAfter) f.completeExceptionally(new ReservationStoreException("timed out", new RuntimeException("test")));
          else f.complete(v);
        });
      };
      if (holdSaves) {
        held.add(op);
        return f;
      }
    }
    op.run();
    return f;
  }
}
