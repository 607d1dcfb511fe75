package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.scsi.copy.CopyParameterList.BlockSegment;
import io.cairn.datapath.scsi.copy.CopyParameterList.CopyList;
import io.cairn.datapath.scsi.copy.CopyParameterList.Cscd;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.vdisk.VDiskIoException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy manager (SPC-4 5.17.4): runs checked EXTENDED COPY parameter lists between the vDisks of
 * this cluster, inside Cairn. One instance per node; the SCSI layer calls it on portal threads.
 *
 * <p>A copy goes: a permit ({@link CopyLimits#maxConcurrentCopies}; none left is ILLEGAL REQUEST,
 * INSUFFICIENT RESOURCES) → registration under its list identifier (a running copy with the same
 * one on the nexus is ILLEGAL REQUEST, OPERATION IN PROGRESS) → every segment checked before any data
 * moves (CSCD descriptor IDs, designators, device types, block lengths, ranges, write protection:
 * COPY ABORTED with the segment's number in COMMAND-SPECIFIC INFORMATION and a segment pointer at the
 * field in error) → the segments copied in order by the {@link RangeCopier}. A failed copy is COPY
 * ABORTED with the vDisk failure's additional sense code, the number of the segment, and a segment
 * pointer at that segment's source LBA (the read failed) or destination LBA (the write failed);
 * RECEIVE COPY STATUS then tells how many segments and bytes were done.
 */
public final class CopyManager {

  private static final Logger LOG = LoggerFactory.getLogger(CopyManager.class);

  /** CSCD descriptor ID FFFFh: the logical unit that received the EXTENDED COPY (SPC-4 Table 150). */
  public static final int CSCD_ID_ADDRESSED_LOGICAL_UNIT = 0xFFFF;

  private final CopyLimits limits;
  private final RangeCopier copier;
  private final AtomicInteger running = new AtomicInteger();

  public CopyManager(CopyLimits limits, RangeCopier copier) {
    this.limits = limits;
    this.copier = copier;
  }

  public CopyLimits limits() {
    return limits;
  }

  /** Copies running now. */
  public int running() {
    return running.get();
  }

  /** One segment, resolved and checked: what the copier moves. */
  private record Step(BlockSegment segment, CopyTarget source, long sourceOffset, CopyTarget destination,
      long destinationOffset, long bytes) {}

  /**
   * Runs a copy for {@code nexus}.
   *
   * @param results where the logical unit holds copy status for RECEIVE COPY RESULTS
   * @param cancelled whether the EXTENDED COPY command was aborted (checked between chunks)
   * @return completes when every segment is copied and durable; fails with a {@link CopyException}
   *     carrying the command's sense data
   * @throws CopyException when the copy cannot start (no permit, list identifier in use)
   */
  public <N> CompletableFuture<Void> run(CopyList list, CopyTargetResolver resolver, CopyResults<N> results, N nexus,
      BooleanSupplier cancelled) {
    if (running.incrementAndGet() > limits.maxConcurrentCopies()) {
      running.decrementAndGet();
      throw CopyException.of(SenseCode.INSUFFICIENT_RESOURCES);
    }
    CopyOperation op = new CopyOperation(list.serviceAction(), list.listIdentifier(), list.listIdUsage());
    if (list.heldForResults() && !results.begin(nexus, op)) {
      running.decrementAndGet();
      throw CopyException.of(SenseCode.OPERATION_IN_PROGRESS);
    }
    CompletableFuture<Void> done;
    try {
      List<Step> steps = new ArrayList<>(list.segments().size());
      for (BlockSegment s : list.segments()) steps.add(plan(list, s, resolver));
      done = copy(steps, 0, op, cancelled);
    } catch (CopyException e) {
      done = CompletableFuture.failedFuture(e);
    }
    return done.handle((v, e) -> {
      running.decrementAndGet();
      if (e == null) {
        op.completed();
        return null;
      }
      CopyException failure = failure(e, op);
      op.failed(failure.sense(), cancelled.getAsBoolean());
      throw failure;
    });
  }

  /** Copies steps[i..] one after the other. */
  private CompletableFuture<Void> copy(List<Step> steps, int i, CopyOperation op, BooleanSupplier cancelled) {
    if (i == steps.size()) return CompletableFuture.completedFuture(null);
    Step s = steps.get(i);
    CompletableFuture<Void> segment = s.bytes == 0
        ? CompletableFuture.completedFuture(null)
        : copier.copy(s.source, s.sourceOffset, s.destination, s.destinationOffset, s.bytes, new RangeCopier.CopyProgress() {
            @Override
            public void transferred(long bytes) {
              op.transferred(bytes);
            }

            @Override
            public boolean cancelled() {
              return cancelled.getAsBoolean();
            }
          });
    return segment.handle((v, e) -> {
      if (e != null) throw new CompletionException(new SegmentFailure(s.segment, unwrap(e)));
      op.segmentDone();
      return null;
    }).thenCompose(v -> copy(steps, i + 1, op, cancelled));
  }

  /** A copier failure with the segment it happened in. */
  private static final class SegmentFailure extends RuntimeException {
    final BlockSegment segment;
    final Throwable failure;

    SegmentFailure(BlockSegment segment, Throwable failure) {
      super(null, null, false, false);
      this.segment = segment;
      this.failure = failure;
    }
  }

  /** The sense data a failed copy ends with. */
  private static CopyException failure(Throwable e, CopyOperation op) {
    Throwable c = unwrap(e);
    if (c instanceof CopyException ce) return ce;
    if (c instanceof SegmentFailure sf) {
      int at = sf.segment.index();
      if (sf.failure instanceof RangeCopyException rce && rce.side() != RangeCopyException.Side.CANCELLED) {
        boolean source = rce.side() == RangeCopyException.Side.SOURCE;
        SenseCode underlying = ioSense(rce.failure());
        LOG.warn("EXTENDED COPY list {}: segment {} failed reading the {} after {} bytes: {}",
            op.listIdentifier(), at, source ? "source" : "destination", op.bytesTransferred(), rce.getMessage());
        return CopyException.aborted(new SenseCode(SenseCode.KEY_COPY_ABORTED, underlying.asc(), underlying.ascq()), at, true,
            source ? CopyParameterList.SEGMENT_SOURCE_LBA_OFFSET : CopyParameterList.SEGMENT_DESTINATION_LBA_OFFSET, 7);
      }
      if (sf.failure instanceof RangeCopyException) {
        return CopyException.aborted(SenseCode.COPY_ABORTED, at, true, -1, -1);
      }
      LOG.warn("EXTENDED COPY list {}: segment {} failed", op.listIdentifier(), at, sf.failure);
      return CopyException.aborted(new SenseCode(SenseCode.KEY_COPY_ABORTED, 0x44, 0x00), at, true, -1, -1);
    }
    LOG.warn("EXTENDED COPY list {} failed", op.listIdentifier(), c);
    return CopyException.aborted(new SenseCode(SenseCode.KEY_COPY_ABORTED, 0x44, 0x00), op.segmentsProcessed(), true, -1, -1);
  }

  /** The additional sense code of a vDisk failure, as a plain command would have reported it. */
  private static SenseCode ioSense(VDiskIoException v) {
    return switch (v.kind()) {
      case UNRECOVERED_READ_ERROR -> SenseCode.UNRECOVERED_READ_ERROR;
      case WRITE_ERROR -> SenseCode.WRITE_ERROR;
      case LBA_OUT_OF_RANGE -> SenseCode.LBA_OUT_OF_RANGE;
      case SPACE_EXHAUSTED -> SenseCode.SPACE_ALLOCATION_FAILED_WRITE_PROTECT;
      case NOT_READY -> SenseCode.LOGICAL_UNIT_NOT_READY;
      case TIMEOUT -> SenseCode.TIMEOUT_ON_LOGICAL_UNIT;
      case INTERNAL -> SenseCode.INTERNAL_TARGET_FAILURE;
    };
  }

  private static Throwable unwrap(Throwable e) {
    Throwable c = e;
    while (c instanceof CompletionException && c.getCause() != null) c = c.getCause();
    return c;
  }

  /** Resolves and checks one segment; COPY ABORTED on the first problem. */
  private Step plan(CopyList list, BlockSegment s, CopyTargetResolver resolver) {
    CopyTarget source = target(list, s, s.sourceId(), CopyParameterList.SEGMENT_SOURCE_ID_OFFSET, resolver);
    CopyTarget destination = target(list, s, s.destinationId(), CopyParameterList.SEGMENT_DESTINATION_ID_OFFSET, resolver);
    int sourceBlock = source.info().logicalBlockSize();
    int destinationBlock = destination.info().logicalBlockSize();
    long bytes = (long) s.blocks() * (s.destinationCount() ? destinationBlock : sourceBlock);
    if (bytes % sourceBlock != 0 || bytes % destinationBlock != 0) {
      throw CopyException.aborted(SenseCode.UNEXPECTED_INEXACT_SEGMENT, s.index(), true, CopyParameterList.SEGMENT_BLOCKS_OFFSET, 7);
    }
    if (bytes > limits.maxSegmentLengthBytes()) {
      throw CopyException.aborted(SenseCode.COPY_ABORTED, s.index(), true, CopyParameterList.SEGMENT_BLOCKS_OFFSET, 7);
    }
    if (bytes > 0) {
      checkRange(source, s.sourceLba(), bytes / sourceBlock, s, CopyParameterList.SEGMENT_SOURCE_LBA_OFFSET);
      checkRange(destination, s.destinationLba(), bytes / destinationBlock, s, CopyParameterList.SEGMENT_DESTINATION_LBA_OFFSET);
    }
    SenseCode protection = destination.writeProtection();
    if (protection != null) {
      throw CopyException.aborted(new SenseCode(SenseCode.KEY_COPY_ABORTED, protection.asc(), protection.ascq()), s.index(), true,
          CopyParameterList.SEGMENT_DESTINATION_ID_OFFSET, 7);
    }
    return new Step(s, source, s.sourceLba() * sourceBlock, destination, s.destinationLba() * destinationBlock, bytes);
  }

  /**
   * The logical unit a segment's CSCD descriptor ID designates. An ID that designates no descriptor:
   * UNREACHABLE COPY TARGET; a descriptor no reachable logical unit matches: COPY TARGET DEVICE NOT
   * REACHABLE; not a direct-access device: INCORRECT COPY TARGET DEVICE TYPE; a DISK BLOCK LENGTH
   * other than the device's: INVALID FIELD IN PARAMETER LIST (all COPY ABORTED).
   */
  private static CopyTarget target(CopyList list, BlockSegment s, int id, int idField, CopyTargetResolver resolver) {
    if (id == CSCD_ID_ADDRESSED_LOGICAL_UNIT) return resolver.addressed();
    if (id >= list.cscds().size()) {
      throw CopyException.aborted(SenseCode.UNREACHABLE_COPY_TARGET, s.index(), true, idField, 7);
    }
    Cscd cscd = list.cscds().get(id);
    if (cscd.peripheralDeviceType() != 0) {
      throw CopyException.aborted(SenseCode.INCORRECT_COPY_TARGET_DEVICE_TYPE, s.index(), false,
          cscd.offset() + CopyParameterList.CSCD_PERIPHERAL_TYPE_OFFSET, 4);
    }
    CopyTarget t = resolver.resolve(cscd);
    if (t == null) {
      throw CopyException.aborted(SenseCode.COPY_TARGET_DEVICE_NOT_REACHABLE, s.index(), false,
          cscd.offset() + CopyParameterList.CSCD_DESIGNATOR_OFFSET, -1);
    }
    if (cscd.diskBlockLength() != 0 && cscd.diskBlockLength() != t.info().logicalBlockSize()) {
      throw CopyException.aborted(new SenseCode(SenseCode.KEY_COPY_ABORTED, 0x26, 0x00), s.index(), false,
          cscd.diskBlockLengthOffset(), 7);
    }
    return t;
  }

  /**
   * COPY ABORTED (no additional sense code; the segment pointer designates the LBA field) unless
   * [lba, lba + blocks) lies inside the device, with unsigned arithmetic.
   */
  private static void checkRange(CopyTarget t, long lba, long blocks, BlockSegment s, int lbaField) {
    long capacity = t.info().blockCount();
    if (Long.compareUnsigned(lba, capacity) >= 0 || Long.compareUnsigned(blocks, capacity - lba) > 0) {
      throw CopyException.aborted(SenseCode.COPY_ABORTED, s.index(), true, lbaField, 7);
    }
  }
}
