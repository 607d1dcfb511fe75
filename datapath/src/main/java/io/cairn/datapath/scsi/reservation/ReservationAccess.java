package io.cairn.datapath.scsi.reservation;

import io.cairn.datapath.scsi.ItNexus;

/**
 * How a command meets reservations: which class of the SPC-4 / SBC-3 tables of "commands that are
 * allowed in the presence of various reservations" (SPC-4 5.12.1, SBC-3 4.17) it belongs to, and
 * whether it passes an SPC-2 RESERVE held by another I_T nexus (SPC-2 5.5.1).
 *
 * <p>The classes, for an I_T nexus that does not hold the persistent reservation and is not a
 * registrant of a registrants-only or all-registrants one:
 *
 * <pre>
 *   class        Write Exclusive types    Exclusive Access types
 *   ALWAYS       allowed                  allowed      INQUIRY, TEST UNIT READY, REPORT LUNS, ...
 *   READ         allowed                  conflict     reads of the medium, and the commands that
 *                                                      REPORT CAPABILITIES' ALLOW COMMANDS = 011b
 *                                                      lets through Write Exclusive (MODE SENSE,
 *                                                      READ BUFFER, REPORT SUPPORTED OPERATION
 *                                                      CODES, READ DEFECT DATA, ...)
 *   WRITE        conflict                 conflict     writes, and every command not listed here
 *   PERSISTENT   (PERSISTENT RESERVE IN/OUT: never conflict with a persistent reservation; PR OUT
 *                 runs its own checks; both conflict with any SPC-2 reservation)
 *   SPC2         (RESERVE and RELEASE (6)/(10): their handlers decide)
 * </pre>
 *
 * Opcodes Cairn does not implement are classified too (by what they do), so a command added later
 * is checked correctly without touching this table; unknown ones are WRITE, the safe side.
 */
final class ReservationAccess {

  enum Kind { ALWAYS, READ, WRITE, PERSISTENT, SPC2 }

  private ReservationAccess() {}

  static Kind of(byte[] cdb) {
    int op = cdb[0] & 0xFF;
    int sa = cdb.length > 1 ? cdb[1] & 0x1F : 0;
    return switch (op) {
      // TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY(10), LOG SENSE, REPORT LUNS
      case 0x00, 0x03, 0x12, 0x25, 0x4D, 0xA0 -> Kind.ALWAYS;
      // SERVICE ACTION IN(16): READ CAPACITY(16) 10h, REPORT REFERRALS 13h; GET LBA STATUS 12h and
      // READ LONG(16) 11h read the medium
      case 0x9E -> sa == 0x10 || sa == 0x13 ? Kind.ALWAYS : sa == 0x11 || sa == 0x12 ? Kind.READ : Kind.WRITE;
      // MAINTENANCE IN: REPORT IDENTIFYING INFORMATION 05h, REPORT TARGET PORT GROUPS 0Ah, REPORT
      // ALIASES 0Bh, REPORT PRIORITY 0Eh, REPORT TIMESTAMP 0Fh; REPORT SUPPORTED OPERATION CODES 0Ch
      // and REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS 0Dh pass Write Exclusive only
      case 0xA3 -> switch (sa) {
        case 0x05, 0x0A, 0x0B, 0x0E, 0x0F -> Kind.ALWAYS;
        case 0x0C, 0x0D -> Kind.READ;
        default -> Kind.WRITE;
      };
      // READ MEDIA SERIAL NUMBER (SERVICE ACTION IN(12) 01h)
      case 0xAB -> sa == 0x01 ? Kind.ALWAYS : Kind.WRITE;
      // START STOP UNIT with START = 1 and POWER CONDITION = 0 only spins up: allowed (SBC-3)
      case 0x1B -> cdb.length > 4 && (cdb[4] & 0xF1) == 0x01 ? Kind.ALWAYS : Kind.WRITE;
      // READ(6)/(10)/(12)/(16), VERIFY(10)/(12)/(16), PRE-FETCH(10)/(16), READ LONG(10), READ
      // DEFECT DATA(10)/(12), MODE SENSE(6)/(10), READ BUFFER, RECEIVE DIAGNOSTIC RESULTS, READ
      // ATTRIBUTE, RECEIVE COPY RESULTS
      case 0x08, 0x28, 0xA8, 0x88, 0x2F, 0xAF, 0x8F, 0x34, 0x90, 0x3E, 0x37, 0xB7,
           0x1A, 0x5A, 0x3C, 0x1C, 0x8C, 0x84 -> Kind.READ;
      case 0x5E, 0x5F -> Kind.PERSISTENT;
      // RESERVE(6), RELEASE(6), RESERVE(10), RELEASE(10)
      case 0x16, 0x17, 0x56, 0x57 -> Kind.SPC2;
      default -> Kind.WRITE;
    };
  }

  /**
   * Whether the command runs although another I_T nexus holds an SPC-2 reservation: INQUIRY,
   * REQUEST SENSE, REPORT LUNS, LOG SENSE, REPORT TARGET PORT GROUPS and RELEASE (which then does
   * nothing). Every other command conflicts, PERSISTENT RESERVE IN/OUT even for the holder.
   */
  static boolean passesSpc2Reservation(byte[] cdb) {
    int op = cdb[0] & 0xFF;
    return switch (op) {
      case 0x03, 0x12, 0x4D, 0xA0, 0x17, 0x57 -> true;
      case 0xA3 -> cdb.length > 1 && (cdb[1] & 0x1F) == 0x0A;
      default -> false;
    };
  }

  /**
   * Whether {@code kind} conflicts with persistent reservation state {@code s} for {@code n}
   * (no SPC-2 reservation involved).
   */
  static boolean conflicts(PersistentReservations s, ItNexus n, Kind kind) {
    Reservation r = s.reservation();
    if (r == null || kind == Kind.ALWAYS || kind == Kind.PERSISTENT || kind == Kind.SPC2) return false;
    if (s.isHolder(n)) return false;
    if (r.type().registrantsHaveAccess() && s.registrationOf(n) != null) return false;
    return kind == Kind.WRITE || r.type().exclusiveAccess();
  }
}
