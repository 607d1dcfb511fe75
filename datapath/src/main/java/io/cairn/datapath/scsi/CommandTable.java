package io.cairn.datapath.scsi;

import io.cairn.datapath.scsi.sense.SenseCode;
import java.util.ArrayList;
import java.util.List;

/**
 * The opcode-indexed command table of a direct-access device (SPC-4 primary commands plus SBC-3
 * block commands), in the manner of Linux tgt's spc/sbc tables. Unregistered opcodes resolve to an
 * entry that answers INVALID COMMAND OPERATION CODE (20h/00h); an unregistered service action of a
 * registered opcode to one that answers INVALID FIELD IN CDB at the SERVICE ACTION field.
 *
 * <p>Filled once at start-up, read-only afterwards: safe to share between threads.
 */
final class CommandTable {

  private static final int SERVICE_ACTIONS = 32;

  /** Accepts any CDB bits (its handler rejects the command as a whole). */
  private static final CommandEntry INVALID_OPCODE = new CommandEntry(
      -1, -1, "invalid operation code", CommandEntry.usage(0xFF), 0,
      ctx -> { throw CheckCondition.of(SenseCode.INVALID_COMMAND_OPERATION_CODE); });

  private final CommandEntry[] byOpcode = new CommandEntry[256];
  private final CommandEntry[][] byServiceAction = new CommandEntry[256][];

  /** The table with every command Cairn implements. */
  static CommandTable standard(ScsiSettings settings) {
    CommandTable t = new CommandTable();
    SpcCommands.register(t, settings);
    SbcCommands.register(t, settings);
    SbcDataCommands.register(t, settings);
    ReservationCommands.register(t, settings);
    return t;
  }

  CommandTable register(CommandEntry e) {
    int op = e.opcode();
    if (e.serviceAction() < 0) {
      if (byOpcode[op] != null) throw new IllegalStateException("opcode registered twice: " + e.name());
      byOpcode[op] = e;
      return this;
    }
    CommandEntry[] sas = byServiceAction[op];
    if (sas == null) {
      if (byOpcode[op] != null) throw new IllegalStateException("opcode without service actions: " + e.name());
      sas = new CommandEntry[SERVICE_ACTIONS];
      byServiceAction[op] = sas;
      byOpcode[op] = invalidServiceAction(op);
    }
    if (sas[e.serviceAction()] != null) throw new IllegalStateException("service action registered twice: " + e.name());
    sas[e.serviceAction()] = e;
    return this;
  }

  /** The entry that handles this CDB; never null. */
  CommandEntry lookup(byte[] cdb) {
    int op = cdb[0] & 0xFF;
    CommandEntry[] sas = byServiceAction[op];
    if (sas != null && cdb.length > 1) {
      CommandEntry e = sas[cdb[1] & 0x1F];
      if (e != null) return e;
    }
    CommandEntry e = byOpcode[op];
    return e != null ? e : INVALID_OPCODE;
  }

  /** Whether {@code e} is a registered command (not the answer to an unknown opcode or service action). */
  boolean implemented(CommandEntry e) {
    return e.opcode() >= 0 && registered(e.opcode(), e.serviceAction()) == e;
  }

  /** Whether the opcode is one with service actions. */
  boolean hasServiceActions(int opcode) {
    return byServiceAction[opcode] != null;
  }

  /** The registered entry for an opcode (and service action, -1 for none), or null. */
  CommandEntry registered(int opcode, int serviceAction) {
    if (serviceAction < 0) return byServiceAction[opcode] == null ? byOpcode[opcode] : null;
    CommandEntry[] sas = byServiceAction[opcode];
    return sas == null || serviceAction >= SERVICE_ACTIONS ? null : sas[serviceAction];
  }

  /** Every registered command, by opcode then service action. */
  List<CommandEntry> entries() {
    List<CommandEntry> all = new ArrayList<>();
    for (int op = 0; op < 256; op++) {
      if (byServiceAction[op] != null) {
        for (CommandEntry e : byServiceAction[op]) if (e != null) all.add(e);
      } else if (byOpcode[op] != null) {
        all.add(byOpcode[op]);
      }
    }
    return all;
  }

  /**
   * Checks a CDB against its entry's usage masks: INVALID FIELD IN CDB at the first byte holding a
   * bit the device server does not accept, the bit pointer at the leftmost bit of the field that
   * holds the highest such bit (fields as the entry's continuation masks delimit them).
   */
  static void checkCdb(CommandEntry e, byte[] cdb) {
    byte[] usage = e.usage();
    byte[] continuation = e.continuation();
    if (cdb.length < usage.length) throw CheckCondition.invalidFieldInCdb(0, -1);
    for (int i = 1; i < usage.length; i++) {
      int bad = cdb[i] & ~usage[i] & 0xFF;
      if (bad != 0) {
        int bit = 31 - Integer.numberOfLeadingZeros(bad);
        while (bit < 7 && (continuation[i] & (1 << bit)) != 0) bit++;
        throw CheckCondition.invalidFieldInCdb(i, bit);
      }
    }
  }

  private static CommandEntry invalidServiceAction(int opcode) {
    return new CommandEntry(opcode, -1, "invalid service action", CommandEntry.usage(0xFF, 0xFF), 0,
        ctx -> { throw CheckCondition.invalidFieldInCdb(1, 4); });
  }
}
