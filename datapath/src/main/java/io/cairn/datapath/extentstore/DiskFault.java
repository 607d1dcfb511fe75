package io.cairn.datapath.extentstore;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * A fault injected into every I/O of one disk (tests, with {@code cairn.disk-health.fault-injection}):
 * {@link Mode#ERROR} fails each I/O as a device error would, {@link Mode#HANG} holds each for
 * {@code hang} before it runs, as a device that stops answering does.
 *
 * @param mode what happens
 * @param hang how long each I/O is held ({@link Mode#HANG} only)
 */
public record DiskFault(Mode mode, Duration hang) {

  /** What an injected fault does. */
  public enum Mode { NONE, ERROR, HANG }

  public static final DiskFault NONE = new DiskFault(Mode.NONE, Duration.ZERO);

  public DiskFault {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(hang, "hang");
    if (mode == Mode.HANG && (hang.isNegative() || hang.isZero())) throw new IllegalArgumentException("a hang needs a positive duration");
  }

  public static DiskFault error() {
    return new DiskFault(Mode.ERROR, Duration.ZERO);
  }

  public static DiskFault hang(Duration hang) {
    return new DiskFault(Mode.HANG, hang);
  }

  /** Meets the fault on the calling (I/O) thread. */
  void apply(String diskId) throws IOException {
    switch (mode) {
      case NONE -> { }
      case ERROR -> throw new IOException("injected I/O error on disk " + diskId);
      case HANG -> {
        try {
          Thread.sleep(hang.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("injected hang on disk " + diskId + " interrupted");
        }
      }
    }
  }
}
