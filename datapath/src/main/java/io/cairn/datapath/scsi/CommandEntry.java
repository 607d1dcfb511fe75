package io.cairn.datapath.scsi;

/**
 * One row of the {@link CommandTable}: an operation code (and service action), the CDB bits the
 * device server accepts, how the dispatcher treats the command, and its handler.
 *
 * @param opcode operation code
 * @param serviceAction service action (bits 4..0 of CDB byte 1), or -1 when the opcode has none
 * @param name command name as the standards spell it, for logs
 * @param usage one mask per CDB byte, as long as the CDB: a bit set is a bit the device server
 *     accepts (it is used, or ignored by design); any other bit set in a received CDB is a reserved
 *     or unsupported field and ends the command with INVALID FIELD IN CDB before the handler runs.
 *     The same masks are the CDB USAGE DATA of REPORT SUPPORTED OPERATION CODES (SPC-4 6.35).
 * @param continuation one mask per CDB byte: a bit set continues a multi-bit field that starts at a
 *     higher bit (e.g. bits 6..5 of RDPROTECT), so INVALID FIELD IN CDB can point at the field's
 *     leftmost bit (SPC-4 4.5.2.4.2); every other bit is the start of its own field
 * @param flags {@link #ANY_LUN}, {@link #NO_UNIT_ATTENTION}, {@link #MEDIUM_ACCESS}
 * @param handler runs the command
 */
record CommandEntry(int opcode, int serviceAction, String name, byte[] usage, byte[] continuation, int flags, CommandHandler handler) {

  /** Runs for a LUN the target does not have (INQUIRY, REPORT LUNS, REQUEST SENSE; SPC-4 4.3). */
  static final int ANY_LUN = 1;
  /** Runs despite a pending unit attention, which it leaves in place (SPC-4 5.14, UA_INTLCK_CTRL = 00b). */
  static final int NO_UNIT_ATTENTION = 2;
  /** Reaches the vDisk: the I/O timeout applies. */
  static final int MEDIUM_ACCESS = 4;

  /** Bits 7..6 of the CONTROL byte (the last) form the vendor-specific field. */
  private static final int CONTROL_VENDOR_CONTINUATION = 0x40;

  CommandEntry {
    if (usage.length < 1 || (usage[0] & 0xFF) != 0xFF) {
      throw new IllegalArgumentException(name + ": usage must cover the whole CDB, opcode byte first");
    }
    if (continuation.length != usage.length) throw new IllegalArgumentException(name + ": continuation length");
  }

  /** An entry whose only multi-bit unaccepted field is the CONTROL byte's vendor-specific one. */
  CommandEntry(int opcode, int serviceAction, String name, byte[] usage, int flags, CommandHandler handler) {
    this(opcode, serviceAction, name, usage, controlContinuation(usage.length, 0, 0), flags, handler);
  }

  /** Continuation masks marking CONTROL's vendor bits and, in byte {@code at}, the bits {@code mask}. */
  static byte[] controlContinuation(int length, int at, int mask) {
    byte[] c = new byte[length];
    if (length >= 6) c[length - 1] = CONTROL_VENDOR_CONTINUATION;
    c[at] |= (byte) mask;
    return c;
  }

  int cdbLength() {
    return usage.length;
  }

  boolean has(int flag) {
    return (flags & flag) != 0;
  }

  /** Usage masks from int literals, for readable tables. */
  static byte[] usage(int... masks) {
    byte[] u = new byte[masks.length];
    for (int i = 0; i < masks.length; i++) u[i] = (byte) masks[i];
    return u;
  }
}
