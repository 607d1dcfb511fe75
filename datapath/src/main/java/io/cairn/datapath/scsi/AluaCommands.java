package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.Bytes.put16;
import static io.cairn.datapath.scsi.Bytes.put32;
import static io.cairn.datapath.scsi.Bytes.u32;
import static io.cairn.datapath.scsi.CommandEntry.usage;

import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Asymmetric logical unit access (SPC-4 5.16), implicit only (INQUIRY TPGS = 01b): REPORT TARGET
 * PORT GROUPS. Each portal group of the node is one target port group holding one target port (the
 * iSCSI target port is the target name plus the portal group tag, RFC 7143 section 4.4.1), and
 * every path of a node is local, so every group is active/optimized. Target port groups and
 * relative target port identifiers both equal the portal group tag, as in VPD page 83h.
 */
final class AluaCommands {

  static final int MI_REPORT_TARGET_PORT_GROUPS = 0x0A;

  /** ASYMMETRIC ACCESS STATE 0h: active/optimized. */
  static final int ACTIVE_OPTIMIZED = 0x0;
  /** Byte 1 of a descriptor: AO_SUP, the only state Cairn reports. */
  static final int SUPPORTED_STATES = 0x01;

  private AluaCommands() {}

  /**
   * @param portalGroupTags the node's portal groups; when empty, only the group of the nexus the
   *     command came through is reported
   */
  static void register(CommandTable t, List<Integer> portalGroupTags) {
    // byte 1: PARAMETER DATA FORMAT (7..5, 000b or 001b) | SERVICE ACTION; 6-9 ALLOCATION LENGTH
    t.register(new CommandEntry(SpcCommands.MAINTENANCE_IN, MI_REPORT_TARGET_PORT_GROUPS, "REPORT TARGET PORT GROUPS",
        usage(0xFF, 0x3F, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00),
        CommandEntry.controlContinuation(12, 1, 0x60), 0, ctx -> reportTargetPortGroups(ctx, portalGroupTags)));
  }

  /**
   * REPORT TARGET PORT GROUPS (SPC-4 6.36), one 12-byte descriptor per group, ascending:
   *
   * <pre>
   *   0-3  RETURN DATA LENGTH (n - 3)
   *   [extended header, PARAMETER DATA FORMAT 001b: 4 FORMAT TYPE 001b | 5 IMPLICIT TRANSITION TIME 0 | 6-7 reserved]
   *   per group: 0 PREF 0 | ASYMMETRIC ACCESS STATE 0h   1 AO_SUP = 1   2-3 TARGET PORT GROUP
   *              4 reserved   5 STATUS CODE 00h   6 vendor specific   7 TARGET PORT COUNT = 1
   *              8-9 obsolete   10-11 RELATIVE TARGET PORT IDENTIFIER
   * </pre>
   */
  static CompletableFuture<ScsiResponse> reportTargetPortGroups(CommandContext ctx, List<Integer> portalGroupTags) {
    boolean extended = (ctx.cdb[1] & 0xE0) == 0x20;
    long allocation = u32(ctx.cdb, 6);
    TreeSet<Integer> groups = new TreeSet<>(portalGroupTags);
    groups.add(ctx.nexus.portalGroupTag());
    int header = extended ? 8 : 4;
    byte[] d = new byte[header + 12 * groups.size()];
    put32(d, 0, d.length - 4);
    if (extended) d[4] = 0x10;
    int p = header;
    for (int g : groups) {
      d[p] = ACTIVE_OPTIMIZED;
      d[p + 1] = SUPPORTED_STATES;
      put16(d, p + 2, g);
      d[p + 7] = 1;
      put16(d, p + 10, g);
      p += 12;
    }
    return CommandContext.dataIn(d, d.length, allocation);
  }
}
