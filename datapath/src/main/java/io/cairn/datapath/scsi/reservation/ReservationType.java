package io.cairn.datapath.scsi.reservation;

/**
 * The persistent reservation types of SPC-4 (Table 190), with the TYPE codes of the PERSISTENT
 * RESERVE OUT CDB and of READ RESERVATION / READ FULL STATUS data. The codes are stored in the
 * journal: never change one.
 */
public enum ReservationType {
  WRITE_EXCLUSIVE(0x1),
  EXCLUSIVE_ACCESS(0x3),
  WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5),
  EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6),
  WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7),
  EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8);

  /** The TYPE field value. */
  public final int code;

  ReservationType(int code) {
    this.code = code;
  }

  /** The type with this TYPE code, or null when the code is reserved or obsolete. */
  public static ReservationType of(int code) {
    for (ReservationType t : values()) {
      if (t.code == code) return t;
    }
    return null;
  }

  /** Every registered I_T nexus is a reservation holder (SPC-4 5.12.10). */
  public boolean allRegistrants() {
    return this == WRITE_EXCLUSIVE_ALL_REGISTRANTS || this == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
  }

  /** Registrants only or all registrants: registered I_T nexuses have full access. */
  public boolean registrantsHaveAccess() {
    return this != WRITE_EXCLUSIVE && this != EXCLUSIVE_ACCESS;
  }

  /** Reads (and the other commands SPC-4 lets through Write Exclusive) conflict too. */
  public boolean exclusiveAccess() {
    return this == EXCLUSIVE_ACCESS || this == EXCLUSIVE_ACCESS_REGISTRANTS_ONLY || this == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
  }

  /**
   * The bit of this type in REPORT CAPABILITIES' PERSISTENT RESERVATION TYPE MASK (bytes 4-5 read
   * as one big-endian 16-bit value, SPC-4 6.16.4).
   */
  int typeMaskBit() {
    return switch (this) {
      case WRITE_EXCLUSIVE_ALL_REGISTRANTS -> 0x8000;
      case EXCLUSIVE_ACCESS_REGISTRANTS_ONLY -> 0x4000;
      case WRITE_EXCLUSIVE_REGISTRANTS_ONLY -> 0x2000;
      case EXCLUSIVE_ACCESS -> 0x0800;
      case WRITE_EXCLUSIVE -> 0x0200;
      case EXCLUSIVE_ACCESS_ALL_REGISTRANTS -> 0x0001;
    };
  }
}
