package io.cairn.datapath.scsi.reservation;

import java.util.ArrayList;
import java.util.List;

/**
 * PERSISTENT RESERVE IN parameter data (SPC-4 6.16), built from a state. The caller truncates it
 * to the ALLOCATION LENGTH; the length fields always describe the whole data (6.16.2: they are not
 * altered by the allocation length).
 */
final class PersistentReserveIn {

  static final int READ_KEYS = 0x00;
  static final int READ_RESERVATION = 0x01;
  static final int REPORT_CAPABILITIES = 0x02;
  static final int READ_FULL_STATUS = 0x03;

  static final int HEADER_LENGTH = 8;
  static final int FULL_STATUS_DESCRIPTOR_HEADER = 24;

  /** REPORT CAPABILITIES byte 2: CRH (4), SIP_C (3), ATP_C (2), PTPL_C (0). */
  static final int CRH = 0x10;
  static final int ATP_C = 0x04;
  static final int PTPL_C = 0x01;
  /** REPORT CAPABILITIES byte 3: TMV (7), ALLOW COMMANDS (6..4), PTPL_A (0). */
  static final int TMV = 0x80;
  /**
   * ALLOW COMMANDS 011b: TEST UNIT READY passes Write Exclusive and Exclusive Access reservations,
   * and MODE SENSE, READ ATTRIBUTE, READ BUFFER, RECEIVE COPY RESULTS, RECEIVE DIAGNOSTIC RESULTS,
   * REPORT SUPPORTED OPERATION CODES, REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS and READ DEFECT
   * DATA pass Write Exclusive ones ({@link ReservationAccess} class READ).
   */
  static final int ALLOW_COMMANDS_011 = 0x3 << 4;
  static final int PTPL_A = 0x01;

  private PersistentReserveIn() {}

  /**
   * READ KEYS (6.16.2).
   *
   * <pre>
   *   0-3 PRGENERATION   4-7 ADDITIONAL LENGTH (8 * keys)   8.. one 8-byte key per registration
   * </pre>
   */
  static byte[] readKeys(PersistentReservations s) {
    List<Registration> regs = s.registrations();
    byte[] d = new byte[HEADER_LENGTH + 8 * regs.size()];
    Be.put32(d, 0, s.generation());
    Be.put32(d, 4, 8L * regs.size());
    for (int i = 0; i < regs.size(); i++) Be.put64(d, HEADER_LENGTH + 8 * i, regs.get(i).key());
    return d;
  }

  /**
   * READ RESERVATION (6.16.3): the header alone (ADDITIONAL LENGTH 0) without a reservation, else
   *
   * <pre>
   *   8-15 RESERVATION KEY (the holder's; 0 for all-registrants types)   16-19 obsolete
   *   20 reserved   21 SCOPE (7..4) = 0 | TYPE (3..0)   22-23 obsolete
   * </pre>
   */
  static byte[] readReservation(PersistentReservations s) {
    Reservation r = s.reservation();
    byte[] d = new byte[HEADER_LENGTH + (r == null ? 0 : 16)];
    Be.put32(d, 0, s.generation());
    if (r != null) {
      Be.put32(d, 4, 16);
      Be.put64(d, 8, s.reservationKey());
      d[21] = (byte) r.type().code;
    }
    return d;
  }

  /**
   * REPORT CAPABILITIES (6.16.4), 8 bytes.
   *
   * <pre>
   *   0-1 LENGTH = 8
   *   2   RLR_C = 0 | CRH = 1 | SIP_C = 0 (no SPEC_I_PT) | ATP_C = 1 | PTPL_C = 1
   *   3   TMV = 1 | ALLOW COMMANDS = 011b | PTPL_A (the last APTPL received)
   *   4-5 PERSISTENT RESERVATION TYPE MASK: all six types (EAh 01h)
   *   6-7 reserved
   * </pre>
   */
  static byte[] reportCapabilities(PersistentReservations s) {
    byte[] d = new byte[8];
    Be.put16(d, 0, 8);
    d[2] = (byte) (CRH | ATP_C | PTPL_C);
    d[3] = (byte) (TMV | ALLOW_COMMANDS_011 | (s.aptpl() ? PTPL_A : 0));
    int mask = 0;
    for (ReservationType t : ReservationType.values()) mask |= t.typeMaskBit();
    Be.put16(d, 4, mask);
    return d;
  }

  /**
   * READ FULL STATUS (6.16.5): one descriptor per registration, oldest first.
   *
   * <pre>
   *   0-3 PRGENERATION   4-7 ADDITIONAL LENGTH (n - 7)
   *   descriptor: 0-7 RESERVATION KEY   8-11 reserved
   *               12 ALL_TG_PT (1) | R_HOLDER (0)   13 SCOPE (7..4) | TYPE (3..0), when R_HOLDER
   *               14-17 reserved   18-19 RELATIVE TARGET PORT IDENTIFIER (the portal group tag;
   *               0 with ALL_TG_PT, where it does not apply)
   *               20-23 ADDITIONAL DESCRIPTOR LENGTH (n - 23)   24-n TransportID (iSCSI, format 01b)
   * </pre>
   */
  static byte[] readFullStatus(PersistentReservations s) {
    List<byte[]> descriptors = new ArrayList<>();
    int total = HEADER_LENGTH;
    for (Registration r : s.registrations()) {
      byte[] tid = IscsiTransportId.encodePort(r.nexus().initiatorName(), r.nexus().isid());
      byte[] d = new byte[FULL_STATUS_DESCRIPTOR_HEADER + tid.length];
      Be.put64(d, 0, r.key());
      boolean holder = s.reservation() != null
          && (s.reservation().type().allRegistrants() || r.nexus().equals(s.reservation().holder()));
      d[12] = (byte) ((r.allTargetPorts() ? 0x02 : 0) | (holder ? 0x01 : 0));
      if (holder) d[13] = (byte) s.reservation().type().code;
      Be.put16(d, 18, r.allTargetPorts() ? 0 : r.nexus().portalGroupTag());
      Be.put32(d, 20, tid.length);
      System.arraycopy(tid, 0, d, FULL_STATUS_DESCRIPTOR_HEADER, tid.length);
      descriptors.add(d);
      total += d.length;
    }
    byte[] out = new byte[total];
    Be.put32(out, 0, s.generation());
    Be.put32(out, 4, total - HEADER_LENGTH);
    int p = HEADER_LENGTH;
    for (byte[] d : descriptors) {
      System.arraycopy(d, 0, out, p, d.length);
      p += d.length;
    }
    return out;
  }
}
