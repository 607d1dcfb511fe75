package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.Bytes.put32;
import static io.cairn.datapath.scsi.Bytes.put64;
import static io.cairn.datapath.scsi.Bytes.u16;
import static io.cairn.datapath.scsi.Bytes.u32;
import static io.cairn.datapath.scsi.Bytes.u64;
import static io.cairn.datapath.scsi.Bytes.u8;
import static io.cairn.datapath.scsi.CommandEntry.MEDIUM_ACCESS;
import static io.cairn.datapath.scsi.CommandEntry.usage;

import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunInfo;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * SBC-3 block commands: READ CAPACITY (10)/(16), READ and WRITE (6)/(10)/(12)/(16), VERIFY and
 * WRITE AND VERIFY (10)/(12)/(16), PRE-FETCH (10)/(16), SYNCHRONIZE CACHE (10)/(16), START STOP UNIT.
 *
 * <p>Every medium command checks, in this order and before any I/O: the CDB bits (table usage
 * masks: RDPROTECT, WRPROTECT and VRPROTECT are not accepted, there is no protection information),
 * the transfer length against the Block Limits maximum, write protection, then the LBA range
 * (LBA past the last block, or LBA + length past the capacity, with unsigned 64-bit arithmetic).
 */
final class SbcCommands {

  static final int READ_6 = 0x08;
  static final int WRITE_6 = 0x0A;
  static final int START_STOP_UNIT = 0x1B;
  static final int READ_CAPACITY_10 = 0x25;
  static final int READ_10 = 0x28;
  static final int WRITE_10 = 0x2A;
  static final int WRITE_AND_VERIFY_10 = 0x2E;
  static final int VERIFY_10 = 0x2F;
  static final int PRE_FETCH_10 = 0x34;
  static final int SYNCHRONIZE_CACHE_10 = 0x35;
  static final int READ_16 = 0x88;
  static final int WRITE_16 = 0x8A;
  static final int WRITE_AND_VERIFY_16 = 0x8E;
  static final int VERIFY_16 = 0x8F;
  static final int PRE_FETCH_16 = 0x90;
  static final int SYNCHRONIZE_CACHE_16 = 0x91;
  static final int SERVICE_ACTION_IN_16 = 0x9E;
  static final int SAI_READ_CAPACITY_16 = 0x10;
  static final int READ_12 = 0xA8;
  static final int WRITE_12 = 0xAA;
  static final int WRITE_AND_VERIFY_12 = 0xAE;
  static final int VERIFY_12 = 0xAF;

  private SbcCommands() {}

  /** Continuation masks for a CDB whose byte 1 bits 7..5 are RDPROTECT, WRPROTECT or VRPROTECT. */
  private static byte[] protectField(int cdbLength) {
    return CommandEntry.controlContinuation(cdbLength, 1, 0x60);
  }

  static void register(CommandTable t, ScsiSettings settings) {
    // Byte 1 of READ/WRITE (10)/(12)/(16): DPO (4), FUA (3) and FUA_NV (1, obsolete) are accepted and
    // need nothing (every write is durable when acknowledged); RDPROTECT/WRPROTECT (7..5), RARC (2)
    // and bit 0 are not. GROUP NUMBER (6 bits) is accepted and ignored.
    int rw = 0x1A;
    t.register(new CommandEntry(READ_6, -1, "READ(6)",
        usage(0xFF, 0x1F, 0xFF, 0xFF, 0xFF, 0x00), MEDIUM_ACCESS, ctx -> read(ctx, settings)));
    t.register(new CommandEntry(WRITE_6, -1, "WRITE(6)",
        usage(0xFF, 0x1F, 0xFF, 0xFF, 0xFF, 0x00), MEDIUM_ACCESS, ctx -> write(ctx, settings)));
    t.register(new CommandEntry(READ_10, -1, "READ(10)",
        usage(0xFF, rw, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0x00), protectField(10), MEDIUM_ACCESS, ctx -> read(ctx, settings)));
    t.register(new CommandEntry(WRITE_10, -1, "WRITE(10)",
        usage(0xFF, rw, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0x00), protectField(10), MEDIUM_ACCESS, ctx -> write(ctx, settings)));
    t.register(new CommandEntry(READ_12, -1, "READ(12)",
        usage(0xFF, rw, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(12), MEDIUM_ACCESS, ctx -> read(ctx, settings)));
    t.register(new CommandEntry(WRITE_12, -1, "WRITE(12)",
        usage(0xFF, rw, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(12), MEDIUM_ACCESS, ctx -> write(ctx, settings)));
    t.register(new CommandEntry(READ_16, -1, "READ(16)",
        usage(0xFF, rw, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(16),
        MEDIUM_ACCESS, ctx -> read(ctx, settings)));
    t.register(new CommandEntry(WRITE_16, -1, "WRITE(16)",
        usage(0xFF, rw, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(16),
        MEDIUM_ACCESS, ctx -> write(ctx, settings)));

    // VERIFY byte 1: DPO (4) and BYTCHK (2..1) accepted; VRPROTECT (7..5) and bit 0 not.
    int v = 0x16;
    t.register(new CommandEntry(VERIFY_10, -1, "VERIFY(10)",
        usage(0xFF, v, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0x00), protectField(10), MEDIUM_ACCESS, ctx -> verify(ctx, settings)));
    t.register(new CommandEntry(VERIFY_12, -1, "VERIFY(12)",
        usage(0xFF, v, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(12), MEDIUM_ACCESS, ctx -> verify(ctx, settings)));
    t.register(new CommandEntry(VERIFY_16, -1, "VERIFY(16)",
        usage(0xFF, v, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(16),
        MEDIUM_ACCESS, ctx -> verify(ctx, settings)));

    // WRITE AND VERIFY byte 1: DPO (4) and BYTCHK (2..1) accepted; WRPROTECT (7..5) and bit 0 not.
    t.register(new CommandEntry(WRITE_AND_VERIFY_10, -1, "WRITE AND VERIFY(10)",
        usage(0xFF, v, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0x00), protectField(10), MEDIUM_ACCESS,
        ctx -> writeAndVerify(ctx, settings)));
    t.register(new CommandEntry(WRITE_AND_VERIFY_12, -1, "WRITE AND VERIFY(12)",
        usage(0xFF, v, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(12), MEDIUM_ACCESS,
        ctx -> writeAndVerify(ctx, settings)));
    t.register(new CommandEntry(WRITE_AND_VERIFY_16, -1, "WRITE AND VERIFY(16)",
        usage(0xFF, v, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00), protectField(16),
        MEDIUM_ACCESS, ctx -> writeAndVerify(ctx, settings)));

    // PRE-FETCH byte 1: IMMED (1) accepted.
    t.register(new CommandEntry(PRE_FETCH_10, -1, "PRE-FETCH(10)",
        usage(0xFF, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0x00), 0, SbcCommands::preFetch));
    t.register(new CommandEntry(PRE_FETCH_16, -1, "PRE-FETCH(16)",
        usage(0xFF, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00),
        0, SbcCommands::preFetch));

    // SYNCHRONIZE CACHE byte 1: IMMED (1) and SYNC_NV (2, obsolete) accepted.
    t.register(new CommandEntry(SYNCHRONIZE_CACHE_10, -1, "SYNCHRONIZE CACHE(10)",
        usage(0xFF, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0x00), MEDIUM_ACCESS, SbcCommands::synchronizeCache));
    t.register(new CommandEntry(SYNCHRONIZE_CACHE_16, -1, "SYNCHRONIZE CACHE(16)",
        usage(0xFF, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00),
        MEDIUM_ACCESS, SbcCommands::synchronizeCache));

    // READ CAPACITY(10): byte 1 bit 0 (RELADR, obsolete) rejected; LBA (obsolete) and PMI accepted.
    t.register(new CommandEntry(READ_CAPACITY_10, -1, "READ CAPACITY(10)",
        usage(0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x00), 0, SbcCommands::readCapacity10));
    t.register(new CommandEntry(SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16, "READ CAPACITY(16)",
        usage(0xFF, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00),
        0, SbcCommands::readCapacity16));

    // START STOP UNIT: IMMED; POWER CONDITION MODIFIER; POWER CONDITION, NO_FLUSH, LOEJ, START.
    t.register(new CommandEntry(START_STOP_UNIT, -1, "START STOP UNIT",
        usage(0xFF, 0x01, 0x00, 0x0F, 0xF7, 0x00), 0, SbcCommands::startStopUnit));
  }

  /** LOGICAL BLOCK ADDRESS of a READ/WRITE/VERIFY/SYNCHRONIZE CACHE CDB of any size (unsigned). */
  static long lba(byte[] cdb) {
    return switch (cdb.length) {
      case 6 -> ((cdb[1] & 0x1F) << 16) | u16(cdb, 2);
      case 10, 12 -> u32(cdb, 2);
      default -> u64(cdb, 2);
    };
  }

  /** Offset of the TRANSFER LENGTH (or NUMBER OF LOGICAL BLOCKS) field. */
  static int lengthOffset(byte[] cdb) {
    return switch (cdb.length) {
      case 6 -> 4;
      case 10 -> 7;
      case 12 -> 6;
      default -> 10;
    };
  }

  /** TRANSFER LENGTH in logical blocks; in a 6-byte CDB 0 means 256 (SBC-3 5.14). */
  static long transferLength(byte[] cdb) {
    return switch (cdb.length) {
      case 6 -> u8(cdb, 4) == 0 ? 256 : u8(cdb, 4);
      case 10 -> u16(cdb, 7);
      default -> u32(cdb, lengthOffset(cdb));
    };
  }

  /** LOGICAL BLOCK ADDRESS OUT OF RANGE unless every block of [lba, lba + blocks) exists and lba does. */
  static void checkRange(LunInfo info, long lba, long blocks) {
    long capacity = info.blockCount();
    if (Long.compareUnsigned(lba, capacity) >= 0 || Long.compareUnsigned(blocks, capacity - lba) > 0) {
      throw CheckCondition.lbaOutOfRange();
    }
  }

  /** INVALID FIELD IN CDB at TRANSFER LENGTH when it exceeds the Block Limits MAXIMUM TRANSFER LENGTH. */
  static void checkTransferLength(byte[] cdb, LunInfo info, ScsiSettings settings, long blocks) {
    if (blocks * info.logicalBlockSize() > settings.maxTransferLengthBytes()) {
      throw CheckCondition.invalidFieldInCdb(lengthOffset(cdb), 7);
    }
  }

  /** READ (6)/(10)/(12)/(16): Data-In of exactly TRANSFER LENGTH blocks; length 0 transfers nothing. */
  static CompletableFuture<ScsiResponse> read(CommandContext ctx, ScsiSettings settings) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    long lba = lba(cdb);
    long blocks = transferLength(cdb);
    checkTransferLength(cdb, info, settings, blocks);
    checkRange(info, lba, blocks);
    if (blocks == 0) return CommandContext.good();
    int lbs = info.logicalBlockSize();
    return ctx.io().read(lba * lbs, (int) (blocks * lbs)).thenApply(ScsiResponse::good);
  }

  /**
   * WRITE (6)/(10)/(12)/(16): DATA PROTECT on a read-only or software write protected LUN, else the
   * Data-Out goes to the vDisk and GOOD follows once the vDisk says it is durable. Data-Out and
   * TRANSFER LENGTH may disagree when the initiator's Expected Data Transfer Length does (libiscsi's
   * iSCSIResiduals tests), and the response always carries TRANSFER LENGTH so the transport reports
   * the residual:
   *
   * <ul>
   *   <li>more Data-Out than TRANSFER LENGTH: only TRANSFER LENGTH blocks are written;
   *   <li>less, but whole blocks: those blocks are written and nothing past them (FCP-4 9.4.2 a:
   *       processed normally except that data beyond the expected length is not transferred);
   *   <li>less, ending inside a block: nothing is written, INVALID FIELD IN COMMAND INFORMATION
   *       UNIT (FCP-4 9.4.2 b), since writing part of a block would need a read-modify-write that
   *       races with other writers.
   * </ul>
   */
  static CompletableFuture<ScsiResponse> write(CommandContext ctx, ScsiSettings settings) {
    return writeThen(ctx, settings, false);
  }

  /**
   * WRITE AND VERIFY (10)/(12)/(16) (SBC-3 5.33): the write of {@link #write}, then the written
   * blocks are read back, which checks them against their checksums (BYTCHK 00b) and, with BYTCHK
   * 01b, compares them with the Data-Out (MISCOMPARE DURING VERIFY OPERATION, INFORMATION = offset).
   * BYTCHK 10b and 11b are reserved here: INVALID FIELD IN CDB.
   */
  static CompletableFuture<ScsiResponse> writeAndVerify(CommandContext ctx, ScsiSettings settings) {
    int bytchk = (ctx.cdb[1] >> 1) & 0x03;
    if (bytchk > 0b01) throw CheckCondition.invalidFieldInCdb(1, 2);
    return writeThen(ctx, settings, true);
  }

  /**
   * Writes the Data-Out the CDB specifies and, when {@code verify}, reads the written blocks back
   * (comparing them when BYTCHK = 01b). The comparison uses a copy of the Data-Out taken before the
   * vDisk owns the buffer, so nothing the vDisk does to the buffer can make a bad write compare equal.
   */
  private static CompletableFuture<ScsiResponse> writeThen(CommandContext ctx, ScsiSettings settings, boolean verify) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    long lba = lba(cdb);
    long blocks = transferLength(cdb);
    checkTransferLength(cdb, info, settings, blocks);
    checkWritable(ctx);
    checkRange(info, lba, blocks);
    int lbs = info.logicalBlockSize();
    long bytes = blocks * lbs;
    long writing = Math.min(bytes, ctx.dataOutLength());
    if (writing % lbs != 0) throw CommandContext.shortDataOut(bytes);
    ScsiResponse done = new ScsiResponse(ScsiResponse.GOOD, null, null, bytes);
    if (writing == 0) return CompletableFuture.completedFuture(done);
    ByteBuf data = ctx.takeDataOut(writing);
    ByteBuf exact = data.readableBytes() == writing ? data : data.slice(data.readerIndex(), (int) writing);
    if (!verify) return ctx.io().write(lba * lbs, exact).thenApply(v -> done);

    boolean compare = ((cdb[1] >> 1) & 0x03) == 0b01;
    ByteBuf expected = compare ? exact.copy() : null;
    CompletableFuture<ByteBuf> readBack;
    try {
      readBack = ctx.io().write(lba * lbs, exact).thenCompose(v -> ctx.io().read(lba * lbs, (int) writing));
    } catch (RuntimeException e) {
      readBack = CompletableFuture.failedFuture(e);
    }
    return checkMedium(readBack, expected, done);
  }

  /**
   * Completes with {@code done} once {@code medium} has been read and, when {@code expected} is
   * given, equals it (one block of it against each block when it is shorter); a difference is
   * MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION with INFORMATION = offset of the first differing
   * byte from the start of the range. Releases the medium buffer and {@code expected} on every path.
   */
  private static CompletableFuture<ScsiResponse> checkMedium(CompletableFuture<ByteBuf> medium, ByteBuf expected, ScsiResponse done) {
    return medium.handle((buf, err) -> {
      try {
        if (err != null) throw new CompletionException(err);
        long at = expected == null ? -1 : firstDifference(buf, expected, expected.readableBytes());
        if (at >= 0) {
          throw new CompletionException(
              new CheckCondition(SenseData.withInformation(SenseCode.MISCOMPARE_DURING_VERIFY, at), done.transferLength()));
        }
        return done;
      } finally {
        if (buf != null) buf.release();
        if (expected != null) expected.release();
      }
    });
  }

  static void checkWritable(CommandContext ctx) {
    if (ctx.info().readOnly()) throw CheckCondition.of(SenseCode.WRITE_PROTECTED);
    if (ctx.unit.softwareWriteProtect()) throw CheckCondition.of(SenseCode.SOFTWARE_WRITE_PROTECTED);
  }

  /**
   * VERIFY (10)/(12)/(16) (SBC-3 5.29). BYTCHK 00b: the blocks are read, which checks them against
   * their checksums (MEDIUM ERROR, UNRECOVERED READ ERROR when no good copy exists). BYTCHK 01b:
   * the blocks are also compared with TRANSFER LENGTH blocks of Data-Out; BYTCHK 11b: with one block
   * of Data-Out, compared against each block. A difference is MISCOMPARE, MISCOMPARE DURING VERIFY
   * OPERATION, with INFORMATION = offset of the first differing byte from the start of the range.
   * BYTCHK 10b is reserved: INVALID FIELD IN CDB. VERIFICATION LENGTH 0 verifies nothing.
   */
  static CompletableFuture<ScsiResponse> verify(CommandContext ctx, ScsiSettings settings) {
    byte[] cdb = ctx.cdb;
    int bytchk = (cdb[1] >> 1) & 0x03;
    if (bytchk == 0b10) throw CheckCondition.invalidFieldInCdb(1, 2);
    LunInfo info = ctx.info();
    long lba = lba(cdb);
    long blocks = transferLength(cdb);
    checkTransferLength(cdb, info, settings, blocks);
    checkRange(info, lba, blocks);
    if (blocks == 0) return CommandContext.good();
    int lbs = info.logicalBlockSize();
    int bytes = (int) (blocks * lbs);
    int expectedLength = bytchk == 0b00 ? 0 : bytchk == 0b01 ? bytes : lbs;
    ByteBuf expected = ctx.takeDataOut(expectedLength);
    CompletableFuture<ByteBuf> medium;
    try {
      medium = ctx.io().read(lba * lbs, bytes);
    } catch (RuntimeException e) {
      medium = CompletableFuture.failedFuture(e);
    }
    return checkMedium(medium, expected, expected == null ? ScsiResponse.good() : new ScsiResponse(ScsiResponse.GOOD, null, null, expectedLength));
  }

  /**
   * Offset of the first byte of {@code medium} that differs from {@code expected}, which is either
   * as long as {@code medium} or one block compared against each block in turn; -1 when equal.
   */
  static long firstDifference(ByteBuf medium, ByteBuf expected, int expectedLength) {
    int length = medium.readableBytes();
    int m0 = medium.readerIndex();
    int e0 = expected.readerIndex();
    for (int off = 0; off < length; off += expectedLength) {
      int n = Math.min(expectedLength, length - off);
      int i = 0;
      while (i + 8 <= n && medium.getLong(m0 + off + i) == expected.getLong(e0 + i)) i += 8;
      while (i < n) {
        if (medium.getByte(m0 + off + i) != expected.getByte(e0 + i)) return off + i;
        i++;
      }
    }
    return -1;
  }

  /**
   * PRE-FETCH (10)/(16) (SBC-3 5.9): range checked (PREFETCH LENGTH 0 means to the end), then GOOD,
   * which SBC-3 defines as "not every block was placed in the cache": the vDisk's cache is filled
   * by reads, not by hints, so nothing is fetched. IMMED and GROUP NUMBER are accepted.
   */
  static CompletableFuture<ScsiResponse> preFetch(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    long blocks = transferLength(cdb);
    checkRange(ctx.info(), lba(cdb), blocks == 0 ? 1 : blocks);
    return CommandContext.good();
  }

  /**
   * SYNCHRONIZE CACHE (10)/(16) (SBC-3 5.22): range checked (NUMBER OF LOGICAL BLOCKS 0 means to
   * the end), then every acknowledged write is made durable. Writes are durable when acknowledged,
   * so the flush is cheap; IMMED = 1 is honoured by simply answering once it is done.
   */
  static CompletableFuture<ScsiResponse> synchronizeCache(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    LunInfo info = ctx.info();
    long lba = lba(cdb);
    long blocks = transferLength(cdb);
    checkRange(info, lba, blocks == 0 ? 1 : blocks);
    return ctx.io().flush().thenApply(v -> ScsiResponse.good());
  }

  /**
   * READ CAPACITY(10) (SBC-3 5.15): RETURNED LOGICAL BLOCK ADDRESS (FFFFFFFFh when the last LBA
   * does not fit: use READ CAPACITY(16)) and BLOCK LENGTH IN BYTES. PMI = 0 with a non-zero LBA:
   * INVALID FIELD IN CDB.
   */
  static CompletableFuture<ScsiResponse> readCapacity10(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    boolean pmi = (cdb[8] & 0x01) != 0;
    if (!pmi && u32(cdb, 2) != 0) throw CheckCondition.invalidFieldInCdb(2, 7);
    LunInfo info = ctx.info();
    long last = info.blockCount() - 1;
    byte[] d = new byte[8];
    put32(d, 0, last > 0xFFFF_FFFFL ? 0xFFFF_FFFFL : last);
    put32(d, 4, info.logicalBlockSize());
    return CommandContext.dataIn(d, d.length, d.length);
  }

  /**
   * READ CAPACITY(16) (SBC-3 5.16), 32 bytes, truncated to ALLOCATION LENGTH.
   *
   * <pre>
   *   0-7  RETURNED LOGICAL BLOCK ADDRESS (last LBA)   8-11 LOGICAL BLOCK LENGTH IN BYTES
   *   12   P_TYPE, PROT_EN = 0 (no protection information)
   *   13   P_I_EXPONENT = 0 | LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (log2 physical/logical)
   *   14-15 LBPME (bit 7 of 14) and LBPRZ (bit 6) = 1 for a thin vDisk (deallocated blocks read
   *         zeros), LOWEST ALIGNED LOGICAL BLOCK ADDRESS = 0
   *   16-31 reserved
   * </pre>
   */
  static CompletableFuture<ScsiResponse> readCapacity16(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    boolean pmi = (cdb[14] & 0x01) != 0;
    if (!pmi && u64(cdb, 2) != 0) throw CheckCondition.invalidFieldInCdb(2, 7);
    long allocation = u32(cdb, 10);
    LunInfo info = ctx.info();
    byte[] d = new byte[32];
    put64(d, 0, info.blockCount() - 1);
    put32(d, 8, info.logicalBlockSize());
    d[13] = (byte) (Integer.numberOfTrailingZeros(info.physicalBlockSize() / info.logicalBlockSize()) & 0x0F);
    if (InquiryData.provisioningManagement(info)) d[14] = (byte) 0xC0;
    return CommandContext.dataIn(d, d.length, allocation);
  }

  /**
   * START STOP UNIT (SBC-3 5.20): accepted and completed at once; there is no spindle to stop and
   * no medium to eject. LOEJ = 1 asks to load or eject a medium that is not removable (RMB = 0):
   * INVALID FIELD IN CDB. POWER CONDITION values SBC-3 reserves: INVALID FIELD IN CDB.
   */
  static CompletableFuture<ScsiResponse> startStopUnit(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    int powerCondition = (cdb[4] >> 4) & 0x0F;
    switch (powerCondition) {
      case 0x0, 0x1, 0x2, 0x3, 0x7, 0xA, 0xB -> { }
      default -> throw CheckCondition.invalidFieldInCdb(4, 7);
    }
    if ((cdb[4] & 0x02) != 0) throw CheckCondition.invalidFieldInCdb(4, 1);
    return CommandContext.good();
  }
}
