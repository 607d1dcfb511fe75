package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.Bytes.put16;
import static io.cairn.datapath.scsi.Bytes.put32;
import static io.cairn.datapath.scsi.Bytes.put64;
import static io.cairn.datapath.scsi.Bytes.u16;
import static io.cairn.datapath.scsi.Bytes.u32;
import static io.cairn.datapath.scsi.Bytes.u8;
import static io.cairn.datapath.scsi.CommandEntry.ANY_LUN;
import static io.cairn.datapath.scsi.CommandEntry.NO_UNIT_ATTENTION;
import static io.cairn.datapath.scsi.CommandEntry.usage;

import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.LunInfo;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * SPC-4 primary commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, MODE SELECT/SENSE (6)/(10),
 * REPORT LUNS. Each handler checks its CDB fields (beyond the reserved bits the table's usage masks
 * reject), then answers from the logical unit's description; none does I/O.
 */
final class SpcCommands {

  static final int TEST_UNIT_READY = 0x00;
  static final int REQUEST_SENSE = 0x03;
  static final int INQUIRY = 0x12;
  static final int MODE_SELECT_6 = 0x15;
  static final int MODE_SENSE_6 = 0x1A;
  static final int MODE_SELECT_10 = 0x55;
  static final int MODE_SENSE_10 = 0x5A;
  static final int REPORT_LUNS = 0xA0;
  static final int MAINTENANCE_IN = 0xA3;
  static final int MI_REPORT_SUPPORTED_OPERATION_CODES = 0x0C;

  private SpcCommands() {}

  static void register(CommandTable t, ScsiSettings settings) {
    t.register(new CommandEntry(TEST_UNIT_READY, -1, "TEST UNIT READY",
        usage(0xFF, 0x00, 0x00, 0x00, 0x00, 0x00), 0, ctx -> CommandContext.good()));
    // byte 1 bit 0 DESC is rejected: only fixed-format sense data is supported
    t.register(new CommandEntry(REQUEST_SENSE, -1, "REQUEST SENSE",
        usage(0xFF, 0x00, 0x00, 0x00, 0xFF, 0x00), ANY_LUN | NO_UNIT_ATTENTION, SpcCommands::requestSense));
    // byte 1 bit 1 CMDDT (obsolete) is rejected
    t.register(new CommandEntry(INQUIRY, -1, "INQUIRY",
        usage(0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0x00), ANY_LUN | NO_UNIT_ATTENTION, ctx -> inquiry(ctx, settings)));
    t.register(new CommandEntry(MODE_SELECT_6, -1, "MODE SELECT(6)",
        usage(0xFF, 0x11, 0x00, 0x00, 0xFF, 0x00), 0, ctx -> modeSelect(ctx, false)));
    t.register(new CommandEntry(MODE_SENSE_6, -1, "MODE SENSE(6)",
        usage(0xFF, 0x08, 0xFF, 0xFF, 0xFF, 0x00), 0, ctx -> modeSense(ctx, false)));
    t.register(new CommandEntry(MODE_SELECT_10, -1, "MODE SELECT(10)",
        usage(0xFF, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00), 0, ctx -> modeSelect(ctx, true)));
    t.register(new CommandEntry(MODE_SENSE_10, -1, "MODE SENSE(10)",
        usage(0xFF, 0x18, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00), 0, ctx -> modeSense(ctx, true)));
    t.register(new CommandEntry(REPORT_LUNS, -1, "REPORT LUNS",
        usage(0xFF, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00),
        ANY_LUN | NO_UNIT_ATTENTION, SpcCommands::reportLuns));
    // byte 2: RCTD (7), REPORTING OPTIONS (2..0)
    t.register(new CommandEntry(MAINTENANCE_IN, MI_REPORT_SUPPORTED_OPERATION_CODES, "REPORT SUPPORTED OPERATION CODES",
        usage(0xFF, 0x1F, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00), 0,
        ctx -> reportSupportedOperationCodes(ctx, t, settings)));
  }

  /**
   * REQUEST SENSE (SPC-4 6.39): the pending unit attention of this nexus (which it clears), LOGICAL
   * UNIT NOT SUPPORTED for a LUN the target does not have, else NO SENSE. Sense data of failed
   * commands is not kept: iSCSI delivers it with the status (autosense).
   */
  static CompletableFuture<ScsiResponse> requestSense(CommandContext ctx) {
    int allocation = u8(ctx.cdb, 4);
    byte[] sense;
    if (ctx.lun == null) {
      sense = SenseData.of(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
    } else {
      byte[] ua = ctx.unit.takeUnitAttention(ctx.nexus);
      sense = ua != null ? ua
          : ctx.unit.sanitizeInProgress() ? SenseData.of(SenseCode.SANITIZE_IN_PROGRESS)
          : SenseData.of(SenseCode.NO_ADDITIONAL_SENSE);
    }
    return CommandContext.dataIn(sense, sense.length, allocation);
  }

  /**
   * INQUIRY (SPC-4 6.6): standard data (peripheral qualifier 011b, type 1Fh for a LUN the target
   * does not have), or with EVPD = 1 a vital product data page. PAGE CODE other than 0 with
   * EVPD = 0, or a page not supported: INVALID FIELD IN CDB at PAGE CODE.
   */
  static CompletableFuture<ScsiResponse> inquiry(CommandContext ctx, ScsiSettings settings) {
    byte[] cdb = ctx.cdb;
    boolean evpd = (cdb[1] & 0x01) != 0;
    int pageCode = u8(cdb, 2);
    int allocation = u16(cdb, 3);
    byte[] data;
    if (!evpd) {
      if (pageCode != 0) throw CheckCondition.invalidFieldInCdb(2, 7);
      data = InquiryData.standard(ctx.lun == null ? null : ctx.info(), settings);
    } else {
      if (ctx.lun == null) throw CheckCondition.of(SenseCode.LOGICAL_UNIT_NOT_SUPPORTED);
      if (!InquiryData.supported(pageCode)) throw CheckCondition.invalidFieldInCdb(2, 7);
      // 83h also describes the target port the command came through (ALUA): per nexus.
      data = pageCode == InquiryData.VPD_DEVICE_IDENTIFICATION
          ? InquiryData.deviceIdentification(ctx.info(), ctx.nexus)
          : InquiryData.page(pageCode, ctx.info(), settings);
    }
    return CommandContext.dataIn(data, data.length, allocation);
  }

  /**
   * REPORT LUNS (SPC-4 6.33): SELECT REPORT 00h and 02h list every LUN of the target, 01h (well
   * known logical units) none, since Cairn has none. ALLOCATION LENGTH below 16: INVALID FIELD IN CDB.
   *
   * <pre>
   *   0-3 LUN LIST LENGTH (n * 8)   4-7 reserved   8.. one 8-byte LUN per logical unit:
   *   LUN < 256: peripheral device addressing (00b), byte 1 = LUN;
   *   LUN < 16384: flat space addressing (01b), bytes 0-1 = 4000h | LUN
   * </pre>
   */
  static CompletableFuture<ScsiResponse> reportLuns(CommandContext ctx) {
    byte[] cdb = ctx.cdb;
    int select = u8(cdb, 2);
    long allocation = u32(cdb, 6);
    if (allocation < 16) throw CheckCondition.invalidFieldInCdb(6, 7);
    if (select > 0x02) throw CheckCondition.invalidFieldInCdb(2, 7);
    List<Integer> luns = new ArrayList<>();
    if (select != 0x01 && ctx.target != null) {
      for (LunEntry e : ctx.target.luns()) {
        if (e.lun() >= 0 && e.lun() < 0x4000) luns.add(e.lun());
      }
    }
    byte[] d = new byte[8 + 8 * luns.size()];
    put32(d, 0, 8L * luns.size());
    for (int i = 0; i < luns.size(); i++) {
      int lun = luns.get(i);
      put16(d, 8 + 8 * i, lun < 0x100 ? lun : 0x4000 | lun);
    }
    return CommandContext.dataIn(d, d.length, allocation);
  }

  /**
   * MODE SENSE(6)/(10) (SPC-4 6.11, 6.12): mode parameter header, a block descriptor unless DBD
   * (the long LBA form for MODE SENSE(10) with LLBAA), then the requested page, or with PAGE CODE
   * 3Fh every page. SUBPAGE CODE 00h and FFh are accepted (no page has subpages).
   *
   * <pre>
   * header(6):  0 MODE DATA LENGTH (n - 1), 1 MEDIUM TYPE = 0, 2 DEVICE-SPECIFIC PARAMETER
   *             (WP, DPOFUA), 3 BLOCK DESCRIPTOR LENGTH (0 or 8)
   * header(10): 0-1 MODE DATA LENGTH (n - 2), 2 MEDIUM TYPE, 3 DEVICE-SPECIFIC PARAMETER,
   *             4 LONGLBA, 6-7 BLOCK DESCRIPTOR LENGTH (0, 8 or 16)
   * short block descriptor: 0-3 NUMBER OF LOGICAL BLOCKS (FFFFFFFFh when more), 5-7 LOGICAL BLOCK LENGTH
   * long LBA block descriptor: 0-7 NUMBER OF LOGICAL BLOCKS, 12-15 LOGICAL BLOCK LENGTH
   * </pre>
   */
  static CompletableFuture<ScsiResponse> modeSense(CommandContext ctx, boolean ten) {
    byte[] cdb = ctx.cdb;
    boolean dbd = (cdb[1] & 0x08) != 0;
    boolean llbaa = ten && (cdb[1] & 0x10) != 0;
    int pc = (cdb[2] >> 6) & 0x03;
    int pageCode = cdb[2] & 0x3F;
    int subpage = u8(cdb, 3);
    int allocation = ten ? u16(cdb, 7) : u8(cdb, 4);
    if (pc == ModePages.PC_SAVED) throw CheckCondition.of(SenseCode.SAVING_PARAMETERS_NOT_SUPPORTED);
    if (pageCode != ModePages.ALL_PAGES && !ModePages.supported(pageCode)) throw CheckCondition.invalidFieldInCdb(2, 5);
    if (subpage != 0x00 && subpage != ModePages.ALL_SUBPAGES) throw CheckCondition.invalidFieldInCdb(3, 7);

    LunInfo info = ctx.info();
    boolean swp = ctx.unit.softwareWriteProtect();
    List<byte[]> pages = new ArrayList<>();
    for (int code : ModePages.PAGES) {
      if (pageCode == ModePages.ALL_PAGES || pageCode == code) pages.add(ModePages.page(code, pc, swp));
    }
    int headerLength = ten ? 8 : 4;
    int descriptorLength = dbd ? 0 : llbaa ? 16 : 8;
    int length = headerLength + descriptorLength;
    for (byte[] p : pages) length += p.length;

    byte[] d = new byte[length];
    int dsp = ModePages.deviceSpecificParameter(info, swp);
    if (ten) {
      put16(d, 0, length - 2);
      d[3] = (byte) dsp;
      d[4] = (byte) (llbaa && !dbd ? 0x01 : 0x00);
      put16(d, 6, descriptorLength);
    } else {
      d[0] = (byte) (length - 1);
      d[2] = (byte) dsp;
      d[3] = (byte) descriptorLength;
    }
    int p = headerLength;
    if (descriptorLength > 0 && pc != ModePages.PC_CHANGEABLE) {
      long blocks = info.blockCount();
      if (descriptorLength == 16) {
        put64(d, p, blocks);
        put32(d, p + 12, info.logicalBlockSize());
      } else {
        put32(d, p, Math.min(blocks, 0xFFFF_FFFFL));
        put32(d, p + 4, info.logicalBlockSize());
      }
    }
    p += descriptorLength;
    for (byte[] page : pages) {
      System.arraycopy(page, 0, d, p, page.length);
      p += page.length;
    }
    return CommandContext.dataIn(d, d.length, allocation);
  }

  /**
   * MODE SELECT(6)/(10) (SPC-4 6.9, 6.10). Accepts a parameter list whose every value equals the
   * current one except changeable bits (only SWP); anything else is INVALID FIELD IN PARAMETER LIST
   * at the byte in error, and nothing is applied. SP = 1: INVALID FIELD IN CDB (no saved pages).
   * The header's MODE DATA LENGTH and DEVICE-SPECIFIC PARAMETER are ignored (SBC-3: reserved and
   * ignored in MODE SELECT), so an initiator may send back what MODE SENSE returned. A change of
   * SWP establishes MODE PARAMETERS CHANGED for the other nexuses.
   */
  static CompletableFuture<ScsiResponse> modeSelect(CommandContext ctx, boolean ten) {
    byte[] cdb = ctx.cdb;
    boolean pf = (cdb[1] & 0x10) != 0;
    boolean sp = (cdb[1] & 0x01) != 0;
    int length = ten ? u16(cdb, 7) : u8(cdb, 4);
    if (sp) throw CheckCondition.invalidFieldInCdb(1, 0);
    if (length == 0) return CommandContext.good();
    if (!pf) throw CheckCondition.invalidFieldInCdb(1, 4);

    byte[] list = new byte[length];
    ByteBuf data = ctx.takeDataOut(length);
    try {
      data.getBytes(data.readerIndex(), list);
    } finally {
      data.release();
    }

    int headerLength = ten ? 8 : 4;
    if (length < headerLength) throw CheckCondition.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
    int mediumTypeOffset = ten ? 2 : 1;
    if (list[mediumTypeOffset] != 0) throw CheckCondition.invalidFieldInParameterList(mediumTypeOffset, 7);
    boolean longLba = ten && (list[4] & 0x01) != 0;
    if (ten && (list[4] & 0xFE) != 0) throw CheckCondition.invalidFieldInParameterList(4, 7);
    int descriptorLengthOffset = ten ? 6 : 3;
    int descriptorLength = ten ? u16(list, 6) : u8(list, 3);
    int expectedDescriptor = longLba ? 16 : 8;
    if (descriptorLength != 0 && descriptorLength != expectedDescriptor) {
      throw CheckCondition.invalidFieldInParameterList(descriptorLengthOffset, 7);
    }
    if (headerLength + descriptorLength > length) throw CheckCondition.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
    LunInfo info = ctx.info();
    if (descriptorLength > 0) checkBlockDescriptor(list, headerLength, longLba, info);

    boolean swp = ctx.unit.softwareWriteProtect();
    boolean newSwp = swp;
    int p = headerLength + descriptorLength;
    while (p < length) {
      if (length - p < 2) throw CheckCondition.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
      int code = list[p] & 0x3F;
      if ((list[p] & 0x80) != 0) throw CheckCondition.invalidFieldInParameterList(p, 7);
      if ((list[p] & 0x40) != 0) throw CheckCondition.invalidFieldInParameterList(p, 6);
      if (!ModePages.supported(code)) throw CheckCondition.invalidFieldInParameterList(p, 5);
      byte[] current = ModePages.page(code, ModePages.PC_CURRENT, swp);
      byte[] changeable = ModePages.page(code, ModePages.PC_CHANGEABLE, swp);
      if (u8(list, p + 1) != current.length - 2) throw CheckCondition.invalidFieldInParameterList(p + 1, 7);
      if (p + current.length > length) throw CheckCondition.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
      for (int i = 2; i < current.length; i++) {
        int differs = (list[p + i] ^ current[i]) & ~changeable[i] & 0xFF;
        if (differs != 0) throw CheckCondition.invalidFieldInParameterList(p + i, 31 - Integer.numberOfLeadingZeros(differs));
      }
      if (code == ModePages.CONTROL) {
        newSwp = (list[p + ModePages.CONTROL_SWP_OFFSET] & ModePages.CONTROL_SWP) != 0;
      }
      p += current.length;
    }
    if (newSwp != swp) {
      ctx.unit.softwareWriteProtect(newSwp);
      ctx.unit.establishUnitAttentionForOthers(ctx.nexus, SenseCode.MODE_PARAMETERS_CHANGED);
    }
    return CommandContext.good();
  }

  /** A block descriptor may only restate the capacity (or give 0) and the logical block length. */
  private static void checkBlockDescriptor(byte[] list, int p, boolean longLba, LunInfo info) {
    long blocks = longLba ? Bytes.u64(list, p) : u32(list, p);
    long reported = longLba ? info.blockCount() : Math.min(info.blockCount(), 0xFFFF_FFFFL);
    if (blocks != 0 && blocks != reported) throw CheckCondition.invalidFieldInParameterList(p, 7);
    int lengthOffset = longLba ? p + 12 : p + 5;
    long blockLength = longLba ? u32(list, lengthOffset) : Bytes.u24(list, lengthOffset);
    if (blockLength != info.logicalBlockSize()) throw CheckCondition.invalidFieldInParameterList(lengthOffset, 7);
    if (longLba ? u32(list, p + 8) != 0 : list[p + 4] != 0) {
      throw CheckCondition.invalidFieldInParameterList(longLba ? p + 8 : p + 4, 7);
    }
  }

  /**
   * REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), from the command table itself. REPORTING
   * OPTIONS 000b: every command, one 8-byte descriptor each (OPERATION CODE, SERVICE ACTION,
   * SERVACTV, CDB LENGTH). 001b: one command by opcode (INVALID FIELD IN CDB if it has service
   * actions); 010b: one command by opcode and service action (INVALID FIELD IN CDB if it has none);
   * the answer is SUPPORT (011b supported, 001b not) with the CDB USAGE DATA, which are the table's
   * usage masks with the opcode in byte 0 and the service action in its field. RCTD = 1 appends a
   * command timeouts descriptor (recommended timeout = the I/O timeout for medium commands).
   */
  static CompletableFuture<ScsiResponse> reportSupportedOperationCodes(CommandContext ctx, CommandTable table, ScsiSettings settings) {
    byte[] cdb = ctx.cdb;
    boolean rctd = (cdb[2] & 0x80) != 0;
    int options = cdb[2] & 0x07;
    int opcode = u8(cdb, 3);
    int serviceAction = u16(cdb, 4);
    long allocation = u32(cdb, 6);
    int timeouts = rctd ? 12 : 0;
    byte[] d;
    switch (options) {
      case 0b000 -> {
        List<CommandEntry> all = table.entries();
        int each = 8 + timeouts;
        d = new byte[4 + each * all.size()];
        put32(d, 0, (long) each * all.size());
        int p = 4;
        for (CommandEntry e : all) {
          d[p] = (byte) e.opcode();
          put16(d, p + 2, Math.max(e.serviceAction(), 0));
          d[p + 5] = (byte) ((rctd ? 0x02 : 0) | (e.serviceAction() >= 0 ? 0x01 : 0));
          put16(d, p + 6, e.cdbLength());
          if (rctd) commandTimeouts(d, p + 8, e, settings);
          p += each;
        }
      }
      case 0b001, 0b010 -> {
        boolean hasServiceActions = table.hasServiceActions(opcode);
        if (options == 0b001 && hasServiceActions) throw CheckCondition.invalidFieldInCdb(3, 7);
        if (options == 0b010 && !hasServiceActions) throw CheckCondition.invalidFieldInCdb(3, 7);
        CommandEntry e = table.registered(opcode, options == 0b010 ? serviceAction : -1);
        if (e == null) {
          d = new byte[4];
          d[1] = 0b001;
        } else {
          byte[] usage = e.usage().clone();
          usage[0] = (byte) e.opcode();
          if (e.serviceAction() >= 0) usage[1] = (byte) ((usage[1] & ~0x1F) | e.serviceAction());
          d = new byte[4 + usage.length + timeouts];
          d[1] = (byte) ((rctd ? 0x80 : 0) | 0b011);
          put16(d, 2, usage.length);
          System.arraycopy(usage, 0, d, 4, usage.length);
          if (rctd) commandTimeouts(d, 4 + usage.length, e, settings);
        }
      }
      default -> throw CheckCondition.invalidFieldInCdb(2, 2);
    }
    return CommandContext.dataIn(d, d.length, allocation);
  }

  /** Command timeouts descriptor: length 0Ah, nominal time 0 (not specified), recommended timeout in seconds. */
  private static void commandTimeouts(byte[] d, int p, CommandEntry e, ScsiSettings settings) {
    put16(d, p, 0x0A);
    long recommended = e.has(CommandEntry.MEDIUM_ACCESS) ? settings.ioTimeout().toSeconds() : 0;
    put32(d, p + 8, Math.min(recommended, 0xFFFF_FFFFL));
  }
}
