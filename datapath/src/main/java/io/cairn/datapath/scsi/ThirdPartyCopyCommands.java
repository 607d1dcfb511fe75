package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.Bytes.u16;
import static io.cairn.datapath.scsi.Bytes.u32;
import static io.cairn.datapath.scsi.Bytes.u8;
import static io.cairn.datapath.scsi.CommandEntry.usage;

import io.cairn.datapath.scsi.copy.CopyException;
import io.cairn.datapath.scsi.copy.CopyManager;
import io.cairn.datapath.scsi.copy.CopyOperation;
import io.cairn.datapath.scsi.copy.CopyParameterList;
import io.cairn.datapath.scsi.copy.CopyParameterList.CopyList;
import io.cairn.datapath.scsi.copy.CopyParameterList.Cscd;
import io.cairn.datapath.scsi.copy.CopyResultsData;
import io.cairn.datapath.scsi.copy.CopyTarget;
import io.cairn.datapath.scsi.copy.CopyTargetResolver;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.target.TargetInfo;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SPC-4 third-party copy commands: EXTENDED COPY (LID1 and LID4, block-to-block segments between
 * LUNs named by identification descriptors) and RECEIVE COPY RESULTS (copy status LID1 and LID4,
 * copy data, operating parameters, failure details). The copy itself is {@link CopyManager}'s; this
 * class checks CDBs, takes the parameter list, names the logical units a copy may reach, and turns
 * {@link CopyException}s into CHECK CONDITION.
 *
 * <p>Reach: a CSCD descriptor resolves to a LUN of the target the command came through, matched on
 * the LUN's logical-unit designators of VPD page 83h; a vDisk exported by another volume group is
 * not reached (the initiator logged in to this target only, and may not be allowed on that one).
 *
 * <p>Copy status is held per logical unit and I_T nexus ({@link LogicalUnit#copyResults}): RECEIVE
 * COPY RESULTS must be sent to the LUN that received the EXTENDED COPY, on the same nexus.
 */
final class ThirdPartyCopyCommands {

  private static final Logger LOG = LoggerFactory.getLogger(ThirdPartyCopyCommands.class);

  static final int EXTENDED_COPY = 0x83;
  static final int RECEIVE_COPY_RESULTS = 0x84;
  /** Offset of PARAMETER LIST LENGTH (EXTENDED COPY) and ALLOCATION LENGTH (RECEIVE COPY RESULTS). */
  static final int LENGTH_OFFSET = 10;
  static final int LIST_IDENTIFIER_OFFSET = 2;

  private final CopyManager manager;
  /** The device-server state of a LUN of a target (the destination's SWP). */
  private final BiFunction<TargetInfo, LunEntry, LogicalUnit> units;

  ThirdPartyCopyCommands(CopyManager manager, BiFunction<TargetInfo, LunEntry, LogicalUnit> units) {
    this.manager = manager;
    this.units = units;
  }

  void register(CommandTable t) {
    // EXTENDED COPY: bytes 2-9 and 14 reserved, 10-13 PARAMETER LIST LENGTH.
    byte[] ec = usage(0xFF, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00);
    t.register(new CommandEntry(EXTENDED_COPY, CopyParameterList.LID1, "EXTENDED COPY(LID1)", ec, 0,
        ctx -> extendedCopy(ctx, CopyParameterList.LID1)));
    t.register(new CommandEntry(EXTENDED_COPY, CopyParameterList.LID4, "EXTENDED COPY(LID4)", ec.clone(), 0,
        ctx -> extendedCopy(ctx, CopyParameterList.LID4)));
    // RECEIVE COPY RESULTS (LID1 forms): byte 2 LIST IDENTIFIER, 3-9 reserved, 10-13 ALLOCATION LENGTH.
    byte[] lid1 = usage(0xFF, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00);
    t.register(new CommandEntry(RECEIVE_COPY_RESULTS, CopyResultsData.RECEIVE_COPY_STATUS_LID1, "RECEIVE COPY STATUS(LID1)",
        lid1, 0, this::copyStatusLid1));
    t.register(new CommandEntry(RECEIVE_COPY_RESULTS, CopyResultsData.RECEIVE_COPY_DATA_LID1, "RECEIVE COPY DATA(LID1)",
        lid1.clone(), 0, this::copyDataLid1));
    t.register(new CommandEntry(RECEIVE_COPY_RESULTS, CopyResultsData.RECEIVE_COPY_OPERATING_PARAMETERS,
        "RECEIVE COPY OPERATING PARAMETERS",
        usage(0xFF, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00), 0, this::operatingParameters));
    t.register(new CommandEntry(RECEIVE_COPY_RESULTS, CopyResultsData.RECEIVE_COPY_FAILURE_DETAILS_LID1,
        "RECEIVE COPY FAILURE DETAILS(LID1)", lid1.clone(), 0, this::failureDetailsLid1));
    // RECEIVE COPY STATUS(LID4): bytes 2-5 LIST IDENTIFIER, 6-9 reserved.
    t.register(new CommandEntry(RECEIVE_COPY_RESULTS, CopyResultsData.RECEIVE_COPY_STATUS_LID4, "RECEIVE COPY STATUS(LID4)",
        usage(0xFF, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00), 0, this::copyStatusLid4));
  }

  /**
   * EXTENDED COPY (SPC-4 6.4). PARAMETER LIST LENGTH 0: nothing to copy, GOOD. Otherwise the list
   * is checked ({@link CopyParameterList#parse}), then run by the copy manager; GOOD when every
   * segment is durable at its destination.
   */
  private CompletableFuture<ScsiResponse> extendedCopy(CommandContext ctx, int serviceAction) {
    long length = u32(ctx.cdb, LENGTH_OFFSET);
    if (length == 0) return CommandContext.good();
    ByteBuf data = ctx.takeDataOut(length);
    byte[] list;
    try {
      int header = serviceAction == CopyParameterList.LID4 ? CopyParameterList.LID4_HEADER_LENGTH : CopyParameterList.LID1_HEADER_LENGTH;
      list = new byte[(int) Math.min(length, header + manager.limits().maxDescriptorListLengthBytes())];
      data.getBytes(data.readerIndex(), list);
    } finally {
      data.release();
    }
    try {
      CopyList parsed = CopyParameterList.parse(list, length, serviceAction, manager.limits());
      return manager.run(parsed, new Resolver(ctx), ctx.unit.copyResults, ctx.nexus, ctx::aborted)
          .handle((v, e) -> {
            if (e == null) return ScsiResponse.good();
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (c instanceof CopyException ce) return ScsiResponse.checkCondition(ce.sense());
            throw e instanceof CompletionException wrapped ? wrapped : new CompletionException(e);
          });
    } catch (CopyException e) {
      throw new CheckCondition(e.sense());
    }
  }

  /** RECEIVE COPY STATUS(LID1): the copy this nexus started with LIST IDENTIFIER; none is INVALID FIELD IN CDB. */
  private CompletableFuture<ScsiResponse> copyStatusLid1(CommandContext ctx) {
    CopyOperation op = held(ctx, u8(ctx.cdb, LIST_IDENTIFIER_OFFSET));
    byte[] d = CopyResultsData.copyStatusLid1(op);
    return CommandContext.dataIn(d, d.length, u32(ctx.cdb, LENGTH_OFFSET));
  }

  /** RECEIVE COPY DATA(LID1): only for a copy started with LIST ID USAGE 00b (hold data); it holds none. */
  private CompletableFuture<ScsiResponse> copyDataLid1(CommandContext ctx) {
    CopyOperation op = held(ctx, u8(ctx.cdb, LIST_IDENTIFIER_OFFSET));
    if (op.listIdUsage() != CopyParameterList.LIST_ID_USAGE_HOLD) throw CheckCondition.invalidFieldInCdb(LIST_IDENTIFIER_OFFSET, 7);
    byte[] d = CopyResultsData.copyDataLid1();
    return CommandContext.dataIn(d, d.length, u32(ctx.cdb, LENGTH_OFFSET));
  }

  private CompletableFuture<ScsiResponse> operatingParameters(CommandContext ctx) {
    byte[] d = CopyResultsData.operatingParameters(manager.limits());
    return CommandContext.dataIn(d, d.length, u32(ctx.cdb, LENGTH_OFFSET));
  }

  /**
   * RECEIVE COPY FAILURE DETAILS(LID1): for a finished copy, its sense data (none if it succeeded);
   * the copy's status is then discarded. A copy still running: INVALID FIELD IN CDB.
   */
  private CompletableFuture<ScsiResponse> failureDetailsLid1(CommandContext ctx) {
    CopyOperation op = held(ctx, u8(ctx.cdb, LIST_IDENTIFIER_OFFSET));
    if (op.state() == CopyOperation.State.IN_PROGRESS) throw CheckCondition.invalidFieldInCdb(LIST_IDENTIFIER_OFFSET, 7);
    byte[] d = CopyResultsData.failureDetailsLid1(op);
    ctx.unit.copyResults.discard(ctx.nexus, op);
    return CommandContext.dataIn(d, d.length, u32(ctx.cdb, LENGTH_OFFSET));
  }

  /** RECEIVE COPY STATUS(LID4): as LID1, with a 4-byte LIST IDENTIFIER and the sense data of a failed copy. */
  private CompletableFuture<ScsiResponse> copyStatusLid4(CommandContext ctx) {
    CopyOperation op = held(ctx, u32(ctx.cdb, LIST_IDENTIFIER_OFFSET));
    byte[] d = CopyResultsData.copyStatusLid4(op);
    return CommandContext.dataIn(d, d.length, u32(ctx.cdb, LENGTH_OFFSET));
  }

  private static CopyOperation held(CommandContext ctx, long listIdentifier) {
    CopyOperation op = ctx.unit.copyResults.find(ctx.nexus, listIdentifier);
    if (op == null) throw CheckCondition.invalidFieldInCdb(LIST_IDENTIFIER_OFFSET, 7);
    return op;
  }

  /**
   * Whether {@code designator} (with its code set and type) is one of the logical unit designators
   * (ASSOCIATION 00b) of the LUN's Device Identification VPD page.
   */
  static boolean hasDesignator(LunInfo info, int codeSet, int designatorType, byte[] designator) {
    byte[] page = InquiryData.deviceIdentification(info);
    int end = 4 + u16(page, 2);
    for (int p = 4; p + 4 <= end; p += 4 + u8(page, p + 3)) {
      int length = u8(page, p + 3);
      boolean logicalUnit = ((page[p + 1] >> 4) & 0x03) == 0;
      if (logicalUnit && (page[p] & 0x0F) == codeSet && (page[p + 1] & 0x0F) == designatorType && length == designator.length
          && Arrays.equals(page, p + 4, p + 4 + length, designator, 0, length)) {
        return true;
      }
    }
    return false;
  }

  /** CSCD descriptors to LUNs of the command's target; FFFFh to the addressed LUN. */
  private final class Resolver implements CopyTargetResolver {

    private final CommandContext ctx;

    Resolver(CommandContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public CopyTarget resolve(Cscd cscd) {
      if (cscd.association() != 0 || ctx.target == null) return null;
      for (LunEntry e : ctx.target.luns()) {
        if (hasDesignator(e.info(), cscd.codeSet(), cscd.designatorType(), cscd.designator())) return target(e);
      }
      LOG.debug("{}: EXTENDED COPY names a designator no LUN of {} has", ctx.nexus, ctx.target.iqn());
      return null;
    }

    @Override
    public CopyTarget addressed() {
      return target(ctx.lun);
    }

    private CopyTarget target(LunEntry e) {
      SenseCode protection = null;
      if (e.info().readOnly()) {
        protection = SenseCode.WRITE_PROTECTED;
      } else if (units.apply(ctx.target, e).softwareWriteProtect()) {
        protection = SenseCode.SOFTWARE_WRITE_PROTECTED;
      }
      return new CopyTarget(e.lun(), e.info(), e.io(), protection);
    }
  }
}
