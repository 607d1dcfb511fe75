package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.Bytes.put32;
import static io.cairn.datapath.scsi.Bytes.put64;
import static io.cairn.datapath.scsi.Bytes.u16;
import static io.cairn.datapath.scsi.Bytes.u32;
import static io.cairn.datapath.scsi.Bytes.u64;
import static io.cairn.datapath.scsi.Bytes.u8;
import static io.cairn.datapath.scsi.CommandEntry.MEDIUM_ACCESS;
import static io.cairn.datapath.scsi.CommandEntry.usage;
import static io.cairn.datapath.scsi.SbcCommands.checkRange;
import static io.cairn.datapath.scsi.SbcCommands.checkTransferLength;
import static io.cairn.datapath.scsi.SbcCommands.checkWritable;

import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.vdisk.Provisioning;
import io.cairn.datapath.vdisk.VDiskIo;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * SBC-3/SBC-4 commands beyond plain reads and writes: logical block provisioning (UNMAP, WRITE SAME
 * (10)/(16), GET LBA STATUS, SANITIZE), conditional and atomic writes (COMPARE AND WRITE, ORWRITE
 * (16), WRITE ATOMIC (16)), and READ DEFECT DATA (10)/(12).
 *
 * <p>A Cairn vDisk is thin: a deallocated block reads zeros (LBPRZ = 1) and takes no space. The
 * deallocation granule is the extent store's 4 KiB slice; an unmap that covers part of a granule
 * writes zeros there instead, and the granule stays mapped (SBC-4 allows a device server not to
 * deallocate a partial granule; with LBPRZ = 1 the blocks still read zeros, and GET LBA STATUS
 * reports such a granule as mapped, which it is). There is no anchored state (ANC_SUP = 0): ANCHOR
 * bits are rejected by the usage masks.
 *
 * <p>Every limit below is reported in the Block Limits VPD page and enforced before any I/O.
 * Threading and buffer ownership as in {@link SbcCommands}.
 */
final class SbcDataCommands {

  static final int WRITE_SAME_10 = 0x41;
  static final int UNMAP = 0x42;
  static final int READ_DEFECT_DATA_10 = 0x37;
  static final int SANITIZE = 0x48;
  static final int COMPARE_AND_WRITE = 0x89;
  static final int ORWRITE_16 = 0x8B;
  static final int WRITE_SAME_16 = 0x93;
  static final int WRITE_ATOMIC_16 = 0x9C;
  static final int SAI_GET_LBA_STATUS = 0x12;
  static final int READ_DEFECT_DATA_12 = 0xB7;
  /** SANITIZE service actions (SBC-4 5.30): only BLOCK ERASE and EXIT FAILURE MODE exist here. */
  static final int SA_BLOCK_ERASE = 0x02;
  static final int SA_EXIT_FAILURE_MODE = 0x1F;

  /** MAXIMUM COMPARE AND WRITE LENGTH, blocks: the most the one-byte NUMBER OF LOGICAL BLOCKS can ask. */
  static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;
  /** MAXIMUM UNMAP LBA COUNT in bytes: the sum over one UNMAP's descriptors (bounds one command's metadata work). */
  static final int MAX_UNMAP_BYTES = 512 << 20;
  /** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
  static final int MAX_UNMAP_DESCRIPTORS = 256;
  /** OPTIMAL UNMAP GRANULARITY in bytes: the extent store's slice, the unit of deallocation. */
  static final int UNMAP_GRANULARITY_BYTES = 4096;
  /** MAXIMUM WRITE SAME LENGTH in bytes (a pattern write is written in chunks, see {@link #writePattern}). */
  static final int MAX_WRITE_SAME_BYTES = 16 << 20;
  /** MAXIMUM ATOMIC TRANSFER LENGTH in bytes (capped by the maximum transfer length): one OpLog record. */
  static final int MAX_ATOMIC_BYTES = 1 << 20;
  /** Bytes per write of a WRITE SAME pattern, and how many such writes are in flight at once. */
  static final int WRITE_SAME_CHUNK_BYTES = 1 << 20;
  static final int WRITE_SAME_CHUNKS_IN_FLIGHT = 4;
  /** Most LBA status descriptors one GET LBA STATUS returns, whatever its allocation length. */
  static final int MAX_LBA_STATUS_DESCRIPTORS = 1024;
  /** Read-OR-compare-and-write rounds an ORWRITE tries before giving up under contention. */
  static final int ORWRITE_ATTEMPTS = 64;

  /** GET LBA STATUS PROVISIONING STATUS values (SBC-3 Table 49). */
  static final int LBA_MAPPED = 0x0;
  static final int LBA_DEALLOCATED = 0x1;

  private SbcDataCommands() {}

  /** Continuation masks for a CDB whose byte 1 bits 7..5 are WRPROTECT or ORPROTECT. */
  private static byte[] protectField(int cdbLength) {
    return CommandEntry.controlContinuation(cdbLength, 1, 0x60);
  }

  static void register(CommandTable t, ScsiSettings settings) {
    // UNMAP: byte 1 ANCHOR (0) rejected (ANC_SUP = 0); GROUP NUMBER accepted; PARAMETER LIST LENGTH.
    t.register(new CommandEntry(UNMAP, -1, "UNMAP",
        usage(0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3F, 0xFF, 0xFF, 0x00), MEDIUM_ACCESS, SbcDataCommands::unmap));
    // WRITE SAME byte 1: UNMAP (3) accepted, NDOB (0, (16) only) accepted; WRPROTECT (7..5), ANCHOR
    // (4) and the obsolete PBDATA/LBDATA (2..1) rejected.
    t.register(new CommandEntry(WRITE_SAME_10, -1, "WRITE SAME(10)",
        usage(0xFF, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0x00), protectField(10), MEDIUM_ACCESS,
        ctx -> writeSame(ctx, false)));
    t.register(new CommandEntry(WRITE_SAME_16, -1, "WRITE SAME(16)",
        usage(0xFF, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00),
        protectField(16), MEDIUM_ACCESS, ctx -> writeSame(ctx, true)));
    // GET LBA STATUS: byte 14 (REPORT TYPE in SBC-4) must be 0: every status is reported.
    t.register(new CommandEntry(SbcCommands.SERVICE_ACTION_IN_16, SAI_GET_LBA_STATUS, "GET LBA STATUS",
        usage(0xFF, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00),
        MEDIUM_ACCESS, SbcDataCommands::getLbaStatus));
    // COMPARE AND WRITE byte 1: DPO (4), FUA (3), FUA_NV (1) accepted; WRPROTECT (7..5) not.
    t.register(new CommandEntry(COMPARE_AND_WRITE, -1, "COMPARE AND WRITE",
        usage(0xFF, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x3F, 0x00),
        protectField(16), MEDIUM_ACCESS, SbcDataCommands::compareAndWrite));
    // ORWRITE(16) byte 1: DPO, FUA, FUA_NV accepted; ORPROTECT (7..5) not.
    t.register(new CommandEntry(ORWRITE_16, -1, "ORWRITE(16)",
        usage(0xFF, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00),
        protectField(16), MEDIUM_ACCESS, ctx -> orWrite(ctx, settings)));
    // WRITE ATOMIC(16) byte 1: DPO, FUA accepted; bytes 10-11 ATOMIC BOUNDARY must be 0 (no boundaries).
    t.register(new CommandEntry(WRITE_ATOMIC_16, -1, "WRITE ATOMIC(16)",
        usage(0xFF, 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0x3F, 0x00),
        protectField(16), MEDIUM_ACCESS, ctx -> writeAtomic(ctx, settings)));
    // SANITIZE byte 1: IMMED (7), AUSE (5), SERVICE ACTION; bit 6 and bytes 2-6 reserved.
    t.register(new CommandEntry(SANITIZE, SA_BLOCK_ERASE, "SANITIZE BLOCK ERASE",
        usage(0xFF, 0xBF, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00), MEDIUM_ACCESS, SbcDataCommands::sanitize));
    t.register(new CommandEntry(SANITIZE, SA_EXIT_FAILURE_MODE, "SANITIZE EXIT FAILURE MODE",
        usage(0xFF, 0xBF, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00), 0, SbcDataCommands::sanitize));
    // READ DEFECT DATA: REQ_PLIST (4), REQ_GLIST (3), DEFECT LIST FORMAT (2..0).
    t.register(new CommandEntry(READ_DEFECT_DATA_10, -1, "READ DEFECT DATA(10)",
        usage(0xFF, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00),
        CommandEntry.controlContinuation(10, 2, 0x03), 0, ctx -> readDefectData(ctx, false)));
    t.register(new CommandEntry(READ_DEFECT_DATA_12, -1, "READ DEFECT DATA(12)",
        usage(0xFF, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00),
        CommandEntry.controlContinuation(12, 1, 0x03), 0, ctx -> readDefectData(ctx, true)));
  }

  // ---- UNMAP --------------------------------------------------------------------------------

  /**
   * UNMAP (SBC-3 5.28). Parameter list:
   *
   * <pre>
   *   0-1 UNMAP DATA LENGTH (n - 1)   2-3 UNMAP BLOCK DESCRIPTOR DATA LENGTH   4-7 reserved
   *   8.. descriptors, 16 bytes each: 0-7 UNMAP LOGICAL BLOCK ADDRESS, 8-11 NUMBER OF LOGICAL BLOCKS, 12-15 reserved
   * </pre>
   *
   * PARAMETER LIST LENGTH 0: nothing to do. 1 to 7: PARAMETER LIST LENGTH ERROR. The descriptors
   * used are those wholly inside both the parameter list and the block descriptor data length (an
   * incomplete last one is ignored). More than {@link #MAX_UNMAP_DESCRIPTORS}, or more than
   * {@link #MAX_UNMAP_BYTES} of blocks in all: INVALID FIELD IN PARAMETER LIST. A descriptor whose
   * range passes the capacity: LOGICAL BLOCK ADDRESS OUT OF RANGE (one with 0 blocks at the
   * capacity itself is fine). Every descriptor is checked before anything is unmapped; the ranges
   * are then merged and unmapped together.
   */
  static CompletableFuture<ScsiResponse> unmap(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    if (!InquiryData.provisioningManagement(info)) throw CheckCondition.of(SenseCode.INVALID_COMMAND_OPERATION_CODE);
    int paramLength = u16(cdb, 7);
    if (paramLength == 0) return CommandContext.good();
    if (paramLength < 8) throw CheckCondition.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
    byte[] list = parameterList(ctx, paramLength);
    checkWritable(ctx);
    int descriptorBytes = Math.min(u16(list, 2), paramLength - 8);
    int count = descriptorBytes / 16;
    if (count > MAX_UNMAP_DESCRIPTORS) throw CheckCondition.invalidFieldInParameterList(2, 7);
    int lbs = info.logicalBlockSize();
    long capacity = info.blockCount();
    long maxBlocks = MAX_UNMAP_BYTES / lbs;
    long total = 0;
    long[][] ranges = new long[count][];
    int n = 0;
    for (int i = 0; i < count; i++) {
      int p = 8 + 16 * i;
      long lba = u64(list, p);
      long blocks = u32(list, p + 8);
      if (Long.compareUnsigned(lba, capacity) > 0 || blocks > capacity - lba) throw CheckCondition.lbaOutOfRange();
      total += blocks;
      if (total > maxBlocks) throw CheckCondition.invalidFieldInParameterList(p + 8, 7);
      if (blocks > 0) ranges[n++] = new long[] {lba, lba + blocks};
    }
    List<long[]> merged = merge(Arrays.copyOf(ranges, n));
    List<CompletableFuture<Void>> unmaps = new ArrayList<>(merged.size());
    VDiskIo io = ctx.io();
    for (long[] r : merged) unmaps.add(io.unmap(r[0] * lbs, (r[1] - r[0]) * lbs));
    ScsiResponse done = new ScsiResponse(ScsiResponse.GOOD, null, null, paramLength);
    return CompletableFuture.allOf(unmaps.toArray(CompletableFuture[]::new)).thenApply(v -> done);
  }

  /** Sorts block ranges and merges overlapping or touching ones. */
  static List<long[]> merge(long[][] ranges) {
    Arrays.sort(ranges, (x, y) -> Long.compare(x[0], y[0]));
    List<long[]> out = new ArrayList<>();
    for (long[] r : ranges) {
      long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && r[0] <= last[1]) {
        last[1] = Math.max(last[1], r[1]);
      } else {
        out.add(new long[] {r[0], r[1]});
      }
    }
    return out;
  }

  /** The first {@code length} bytes of Data-Out as an array (a short Data-Out ends the command). */
  private static byte[] parameterList(CommandContext ctx, int length) {
    ByteBuf data = ctx.takeDataOut(length);
    try {
      byte[] list = new byte[length];
      data.getBytes(data.readerIndex(), list);
      return list;
    } finally {
      data.release();
    }
  }

  // ---- WRITE SAME ---------------------------------------------------------------------------

  /**
   * WRITE SAME (10)/(16) (SBC-3 5.41, 5.42). Checks, in order: the CDB bits (usage masks: ANCHOR
   * and WRPROTECT rejected), write protection, the LBA range, MAXIMUM WRITE SAME LENGTH against
   * NUMBER OF LOGICAL BLOCKS, then Data-Out of exactly one block (unless NDOB = 1, which stands for
   * a block of zeros without Data-Out). NUMBER OF LOGICAL BLOCKS 0 (WSNZ = 0) means every block
   * from the LBA to the last one, and that count is what MAXIMUM WRITE SAME LENGTH bounds.
   *
   * <p>UNMAP = 1 on a thin vDisk deallocates the range, whatever the block holds (SBC-3 Table 46:
   * UNMAP = 1, ANCHOR = 0 is an unmap): it reads zeros afterwards (LBPRZ = 1) and its whole granules
   * release their space. Otherwise the block is written to every block of the range.
   */
  static CompletableFuture<ScsiResponse> writeSame(CommandContext ctx, boolean sixteen) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    boolean unmap = (cdb[1] & 0x08) != 0 && InquiryData.provisioningManagement(info);
    boolean ndob = sixteen && (cdb[1] & 0x01) != 0;
    long lba = sixteen ? u64(cdb, 2) : u32(cdb, 2);
    long blocks = sixteen ? u32(cdb, 10) : u16(cdb, 7);
    int lengthOffset = sixteen ? 10 : 7;
    checkWritable(ctx);
    checkRange(info, lba, blocks == 0 ? 1 : blocks);
    int lbs = info.logicalBlockSize();
    if (blocks == 0) blocks = info.blockCount() - lba;
    if (blocks > MAX_WRITE_SAME_BYTES / lbs) throw CheckCondition.invalidFieldInCdb(lengthOffset, 7);
    byte[] block;
    if (ndob) {
      block = new byte[lbs];
    } else {
      if (ctx.dataOutLength() != lbs) throw CommandContext.shortDataOut(lbs);
      block = parameterList(ctx, lbs);
    }
    long offset = lba * lbs;
    long bytes = blocks * lbs;
    ScsiResponse done = new ScsiResponse(ScsiResponse.GOOD, null, null, ndob ? 0 : lbs);
    if (unmap) return ctx.io().unmap(offset, bytes).thenApply(v -> done);
    return writePattern(ctx.io(), offset, bytes, block).thenApply(v -> done);
  }

  static boolean isZero(byte[] b) {
    for (byte x : b) if (x != 0) return false;
    return true;
  }

  /**
   * Writes {@code block} to every block of {@code [offset, offset+bytes)}: one chunk buffer of at
   * most {@link #WRITE_SAME_CHUNK_BYTES} holds the pattern, and chunks are written from it with at
   * most {@link #WRITE_SAME_CHUNKS_IN_FLIGHT} writes in flight (each gets a retained slice, which the
   * vDisk releases), so gigabytes never sit in memory. Stops at the first failure.
   */
  static CompletableFuture<Void> writePattern(VDiskIo io, long offset, long bytes, byte[] block) {
    int chunk = (int) Math.min(bytes, WRITE_SAME_CHUNK_BYTES - WRITE_SAME_CHUNK_BYTES % block.length);
    ByteBuf pattern = Unpooled.directBuffer(chunk, chunk);
    for (int at = 0; at < chunk; at += block.length) pattern.writeBytes(block);
    return new PatternWriter(io, offset, offset + bytes, pattern).start();
  }

  /** The lanes of one {@link #writePattern}; state guarded by this. */
  private static final class PatternWriter {
    private final VDiskIo io;
    private final long end;
    private final ByteBuf pattern;
    private final CompletableFuture<Void> result = new CompletableFuture<>();
    private long next;
    private int inFlight;
    private Throwable failure;

    PatternWriter(VDiskIo io, long start, long end, ByteBuf pattern) {
      this.io = io;
      this.next = start;
      this.end = end;
      this.pattern = pattern;
    }

    CompletableFuture<Void> start() {
      for (int i = 0; i < WRITE_SAME_CHUNKS_IN_FLIGHT; i++) issue();
      return result;
    }

    private void issue() {
      long at;
      int n;
      synchronized (this) {
        if (failure != null || next >= end) {
          if (inFlight == 0) finish();
          return;
        }
        at = next;
        n = (int) Math.min(pattern.capacity(), end - at);
        next += n;
        inFlight++;
      }
      CompletableFuture<Void> w;
      try {
        w = io.write(at, pattern.retainedSlice(0, n));
      } catch (RuntimeException e) {
        w = CompletableFuture.failedFuture(e);
      }
      w.whenComplete((v, err) -> {
        synchronized (this) {
          inFlight--;
          if (err != null && failure == null) failure = err;
        }
        issue();
      });
    }

    /** Called once, with the monitor held, when nothing is in flight and nothing more will be issued. */
    private void finish() {
      if (result.isDone()) return;
      pattern.release();
      if (failure != null) result.completeExceptionally(failure);
      else result.complete(null);
    }
  }

  // ---- GET LBA STATUS -----------------------------------------------------------------------

  /**
   * GET LBA STATUS (SBC-3 5.8). STARTING LOGICAL BLOCK ADDRESS past the last block: LOGICAL BLOCK
   * ADDRESS OUT OF RANGE. Parameter data, truncated to ALLOCATION LENGTH:
   *
   * <pre>
   *   0-3 PARAMETER DATA LENGTH (n - 3)   4-7 reserved
   *   8.. descriptors, 16 bytes each: 0-7 LBA STATUS LOGICAL BLOCK ADDRESS, 8-11 NUMBER OF LOGICAL
   *       BLOCKS, 12 PROVISIONING STATUS (0 mapped, 1 deallocated), 13-15 reserved
   * </pre>
   *
   * The first descriptor starts at the requested LBA; descriptors are adjacent and alternate,
   * as many as the allocation length holds (at least one, at most {@link #MAX_LBA_STATUS_DESCRIPTORS}).
   * A block is mapped when any of its bytes is (undrained OpLog data, a written slice); a range
   * longer than a descriptor can count is split.
   */
  static CompletableFuture<ScsiResponse> getLbaStatus(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    long lba = u64(cdb, 2);
    long allocation = u32(cdb, 10);
    long capacity = info.blockCount();
    if (Long.compareUnsigned(lba, capacity) >= 0) throw CheckCondition.lbaOutOfRange();
    int max = (int) Math.max(1, Math.min(MAX_LBA_STATUS_DESCRIPTORS, (allocation - 8) / 16));
    int lbs = info.logicalBlockSize();
    if (!InquiryData.provisioningManagement(info)) {
      // fully provisioned: every block is mapped
      Provisioning all = new Provisioning(lba * lbs, new long[] {info.sizeBytes()}, new boolean[] {true});
      byte[] d = lbaStatusData(all, lba, lbs, max);
      return CommandContext.dataIn(d, d.length, allocation);
    }
    return ctx.io().provisioning(lba * lbs, max).thenApply(p -> {
      byte[] d = lbaStatusData(p, lba, lbs, max);
      int n = (int) Math.min(d.length, allocation);
      return n == 0 ? ScsiResponse.good() : ScsiResponse.good(Unpooled.wrappedBuffer(d, 0, n));
    });
  }

  /** The GET LBA STATUS parameter data for {@code p}, in blocks, at most {@code max} descriptors. */
  static byte[] lbaStatusData(Provisioning p, long lba, int lbs, int max) {
    List<long[]> descriptors = new ArrayList<>();
    long cursor = lba;
    int last = -1;
    for (int i = 0; i < p.count() && descriptors.size() < max; i++) {
      boolean mapped = p.mapped()[i];
      long e = p.ends()[i];
      // a block partly mapped counts as mapped: mapped ranges round out, deallocated ones in
      long endBlock = mapped ? e / lbs + (e % lbs == 0 ? 0 : 1) : e / lbs;
      if (endBlock <= cursor) continue;
      int status = mapped ? LBA_MAPPED : LBA_DEALLOCATED;
      if (status == last) {
        descriptors.get(descriptors.size() - 1)[1] = endBlock;
      } else {
        descriptors.add(new long[] {cursor, endBlock, status});
        last = status;
      }
      cursor = endBlock;
    }
    List<long[]> split = new ArrayList<>();
    for (long[] d : descriptors) {
      for (long s = d[0]; s < d[1] && split.size() < max; s += 0xFFFF_FFFFL) {
        split.add(new long[] {s, Math.min(d[1], s + 0xFFFF_FFFFL), d[2]});
      }
    }
    byte[] out = new byte[8 + 16 * split.size()];
    put32(out, 0, out.length - 4);
    for (int i = 0; i < split.size(); i++) {
      long[] d = split.get(i);
      int at = 8 + 16 * i;
      put64(out, at, d[0]);
      put32(out, at + 8, d[1] - d[0]);
      out[at + 12] = (byte) d[2];
    }
    return out;
  }

  // ---- COMPARE AND WRITE, ORWRITE, WRITE ATOMIC ---------------------------------------------

  /**
   * COMPARE AND WRITE (SBC-3 5.2). Data-Out is the verify data then the write data, NUMBER OF
   * LOGICAL BLOCKS blocks each. The vDisk compares and writes as one indivisible step (no other
   * write of the range in between, the write all or nothing after a crash). A difference is
   * MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION with INFORMATION = offset of the first differing
   * byte from the start of the Data-Out, and nothing is written. NUMBER OF LOGICAL BLOCKS 0 is no
   * operation; Data-Out longer than twice the blocks (e.g. 0 blocks with data): INVALID FIELD IN CDB
   * at NUMBER OF LOGICAL BLOCKS; shorter: INVALID FIELD IN COMMAND INFORMATION UNIT.
   */
  static CompletableFuture<ScsiResponse> compareAndWrite(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    long lba = u64(cdb, 2);
    int blocks = u8(cdb, 13);
    checkWritable(ctx);
    checkRange(info, lba, blocks);
    int lbs = info.logicalBlockSize();
    long expected = 2L * blocks * lbs;
    if (ctx.dataOutLength() > expected) throw CheckCondition.invalidFieldInCdb(13, 7);
    if (blocks == 0) return CommandContext.good();
    ByteBuf data = ctx.takeDataOut(expected);
    int half = blocks * lbs;
    ByteBuf compare = data.retainedSlice(data.readerIndex(), half);
    ByteBuf write = data.retainedSlice(data.readerIndex() + half, half);
    data.release();
    ScsiResponse done = new ScsiResponse(ScsiResponse.GOOD, null, null, expected);
    CompletableFuture<Long> outcome;
    try {
      outcome = ctx.io().compareAndWrite(lba * lbs, compare, write);
    } catch (RuntimeException e) {
      outcome = CompletableFuture.failedFuture(e);
    }
    return outcome.thenApply(at -> {
      if (at < 0) return done;
      throw new CompletionException(new CheckCondition(SenseData.withInformation(SenseCode.MISCOMPARE_DURING_VERIFY, at), expected));
    });
  }

  /**
   * ORWRITE(16) (SBC-3 5.9): each block of the range becomes the bitwise OR of its data and the
   * Data-Out, as one uninterrupted operation: read the range, OR, then COMPARE AND WRITE the result
   * against what was read; when another write changed the range in between, start again (at most
   * {@link #ORWRITE_ATTEMPTS} times, then ABORTED COMMAND, TIMEOUT ON LOGICAL UNIT). Checks as WRITE.
   */
  static CompletableFuture<ScsiResponse> orWrite(CommandContext ctx, ScsiSettings settings) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    long lba = u64(cdb, 2);
    long blocks = u32(cdb, 10);
    checkTransferLength(cdb, info, settings, blocks);
    checkWritable(ctx);
    checkRange(info, lba, blocks);
    if (blocks == 0) return CommandContext.good();
    int lbs = info.logicalBlockSize();
    int bytes = (int) (blocks * lbs);
    byte[] mask = parameterList(ctx, bytes);
    ScsiResponse done = new ScsiResponse(ScsiResponse.GOOD, null, null, bytes);
    return orRound(ctx.io(), lba * lbs, mask, 1).thenApply(v -> done);
  }

  private static CompletableFuture<Void> orRound(VDiskIo io, long offset, byte[] mask, int attempt) {
    return io.read(offset, mask.length).thenCompose(buf -> {
      byte[] old = new byte[mask.length];
      try {
        buf.getBytes(buf.readerIndex(), old);
      } finally {
        buf.release();
      }
      byte[] merged = old.clone();
      for (int i = 0; i < merged.length; i++) merged[i] |= mask[i];
      if (Arrays.equals(old, merged)) return CompletableFuture.completedFuture(null);
      return io.compareAndWrite(offset, Unpooled.wrappedBuffer(old), Unpooled.wrappedBuffer(merged)).thenCompose(at -> {
        if (at < 0) return CompletableFuture.completedFuture(null);
        if (attempt >= ORWRITE_ATTEMPTS) {
          throw new CompletionException(new VDiskIoException(VDiskIoException.Kind.TIMEOUT,
              "ORWRITE lost " + attempt + " races for its range"));
        }
        return orRound(io, offset, mask, attempt + 1);
      });
    });
  }

  /**
   * WRITE ATOMIC(16) (SBC-4 5.48): TRANSFER LENGTH (bytes 12-13) beyond the MAXIMUM ATOMIC TRANSFER
   * LENGTH: INVALID FIELD IN CDB; else as WRITE, except that the vDisk writes the range as one
   * OpLog record, so after a crash it holds all the new data or none of it. Data-Out shorter than
   * TRANSFER LENGTH: INVALID FIELD IN COMMAND INFORMATION UNIT (no partial atomic write).
   */
  static CompletableFuture<ScsiResponse> writeAtomic(CommandContext ctx, ScsiSettings settings) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    long lba = u64(cdb, 2);
    int blocks = u16(cdb, 12);
    int lbs = info.logicalBlockSize();
    if (blocks > maxAtomicBytes(settings) / lbs) throw CheckCondition.invalidFieldInCdb(12, 7);
    checkWritable(ctx);
    checkRange(info, lba, blocks);
    if (blocks == 0) return CommandContext.good();
    int bytes = blocks * lbs;
    ByteBuf data = ctx.takeDataOut(bytes);
    ByteBuf exact = data.readableBytes() == bytes ? data : data.slice(data.readerIndex(), bytes);
    ScsiResponse done = new ScsiResponse(ScsiResponse.GOOD, null, null, bytes);
    return ctx.io().writeAtomic(lba * lbs, exact).thenApply(v -> done);
  }

  /** MAXIMUM ATOMIC TRANSFER LENGTH in bytes: never more than the maximum transfer length. */
  static int maxAtomicBytes(ScsiSettings settings) {
    return Math.min(MAX_ATOMIC_BYTES, settings.maxTransferLengthBytes());
  }

  // ---- SANITIZE -----------------------------------------------------------------------------

  /**
   * SANITIZE (SBC-4 5.30) with BLOCK ERASE or EXIT FAILURE MODE; PARAMETER LIST LENGTH must be 0
   * for both (INVALID FIELD IN CDB). BLOCK ERASE deallocates the whole vDisk (an unmap of every
   * byte): every block then reads zeros and its space is released. While it runs, the logical unit
   * answers every command but INQUIRY, REPORT LUNS and REQUEST SENSE with NOT READY, SANITIZE IN
   * PROGRESS (REQUEST SENSE reports that too); with IMMED = 1 GOOD comes once the CDB is checked.
   * When it fails, the logical unit enters failure mode (medium commands: MEDIUM ERROR, SANITIZE
   * COMMAND FAILED) until a sanitize succeeds, or, when the failed one had AUSE = 1, until EXIT
   * FAILURE MODE; with AUSE = 0, EXIT FAILURE MODE is INVALID FIELD IN CDB. A write-protected unit:
   * DATA PROTECT. The sanitize state is not persisted: a restart forgets a failure mode.
   */
  static CompletableFuture<ScsiResponse> sanitize(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    int serviceAction = cdb[1] & 0x1F;
    boolean immed = (cdb[1] & 0x80) != 0;
    boolean ause = (cdb[1] & 0x20) != 0;
    if (u16(cdb, 7) != 0) throw CheckCondition.invalidFieldInCdb(7, 7);
    LogicalUnit unit = ctx.unit;
    if (serviceAction == SA_EXIT_FAILURE_MODE) {
      if (!unit.exitSanitizeFailureMode()) throw CheckCondition.invalidFieldInCdb(1, 4);
      return CommandContext.good();
    }
    checkWritable(ctx);
    if (!unit.beginSanitize()) throw CheckCondition.of(SenseCode.SANITIZE_IN_PROGRESS);
    CompletableFuture<Void> erase;
    try {
      erase = ctx.io().unmap(0, ctx.info().sizeBytes());
    } catch (RuntimeException e) {
      erase = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<ScsiResponse> done = erase.handle((v, err) -> {
      unit.endSanitize(err == null, ause);
      if (err != null) throw new CompletionException(err);
      return ScsiResponse.good();
    });
    return immed ? CommandContext.good() : done;
  }

  // ---- READ DEFECT DATA ---------------------------------------------------------------------

  /**
   * READ DEFECT DATA (10)/(12) (SBC-3 5.12, 5.13): a vDisk has no defects, so both lists are empty
   * and valid (PLISTV/GLISTV echo REQ_PLIST/REQ_GLIST) in the requested format; the reserved format
   * 111b: INVALID FIELD IN CDB.
   *
   * <pre>
   *   (10): 0 reserved, 1 PLISTV GLISTV DEFECT LIST FORMAT, 2-3 DEFECT LIST LENGTH = 0
   *   (12): 0 reserved, 1 PLISTV GLISTV DEFECT LIST FORMAT, 2-3 GENERATION CODE = 0, 4-7 DEFECT LIST LENGTH = 0
   * </pre>
   */
  static CompletableFuture<ScsiResponse> readDefectData(CommandContext ctx, boolean twelve) {
    byte[] cdb = ctx.cdb;
    int at = twelve ? 1 : 2;
    int flags = cdb[at] & 0x1F;
    if ((flags & 0x07) == 0x07) throw CheckCondition.invalidFieldInCdb(at, 2);
    long allocation = twelve ? u32(cdb, 6) : u16(cdb, 7);
    byte[] d = new byte[twelve ? 8 : 4];
    d[1] = (byte) flags;
    return CommandContext.dataIn(d, d.length, allocation);
  }
}
