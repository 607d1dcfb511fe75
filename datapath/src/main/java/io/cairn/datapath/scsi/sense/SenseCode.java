package io.cairn.datapath.scsi.sense;

/**
 * One (sense key, additional sense code, additional sense code qualifier) triple, SPC-4 section
 * 4.5.6 (sense keys) and Annex D (ASC/ASCQ assignments). The constants are the conditions the
 * Cairn SCSI layer reports; each maps one-to-one to a cause.
 *
 * @param key sense key, 0h..Fh
 * @param asc additional sense code
 * @param ascq additional sense code qualifier
 */
public record SenseCode(int key, int asc, int ascq) {

  public static final int KEY_NO_SENSE = 0x0;
  public static final int KEY_NOT_READY = 0x2;
  public static final int KEY_MEDIUM_ERROR = 0x3;
  public static final int KEY_HARDWARE_ERROR = 0x4;
  public static final int KEY_ILLEGAL_REQUEST = 0x5;
  public static final int KEY_UNIT_ATTENTION = 0x6;
  public static final int KEY_DATA_PROTECT = 0x7;
  public static final int KEY_COPY_ABORTED = 0xA;
  public static final int KEY_ABORTED_COMMAND = 0xB;
  public static final int KEY_MISCOMPARE = 0xE;

  /** NO SENSE, NO ADDITIONAL SENSE INFORMATION: REQUEST SENSE with nothing pending. */
  public static final SenseCode NO_ADDITIONAL_SENSE = new SenseCode(KEY_NO_SENSE, 0x00, 0x00);

  /** NOT READY, LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE (04h/00h). */
  public static final SenseCode LOGICAL_UNIT_NOT_READY = new SenseCode(KEY_NOT_READY, 0x04, 0x00);

  /** NOT READY, LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS (04h/1Bh). */
  public static final SenseCode SANITIZE_IN_PROGRESS = new SenseCode(KEY_NOT_READY, 0x04, 0x1B);

  /** MEDIUM ERROR, SANITIZE COMMAND FAILED (31h/03h): the last sanitize failed; the medium is in failure mode. */
  public static final SenseCode SANITIZE_COMMAND_FAILED = new SenseCode(KEY_MEDIUM_ERROR, 0x31, 0x03);

  /** MEDIUM ERROR, WRITE ERROR (0Ch/00h). */
  public static final SenseCode WRITE_ERROR = new SenseCode(KEY_MEDIUM_ERROR, 0x0C, 0x00);
  /** MEDIUM ERROR, UNRECOVERED READ ERROR (11h/00h). */
  public static final SenseCode UNRECOVERED_READ_ERROR = new SenseCode(KEY_MEDIUM_ERROR, 0x11, 0x00);

  /** HARDWARE ERROR, INTERNAL TARGET FAILURE (44h/00h). */
  public static final SenseCode INTERNAL_TARGET_FAILURE = new SenseCode(KEY_HARDWARE_ERROR, 0x44, 0x00);

  /** ILLEGAL REQUEST, INVALID FIELD IN COMMAND INFORMATION UNIT (0Eh/03h): Data-Out shorter than the CDB asks. */
  public static final SenseCode INVALID_FIELD_IN_INFORMATION_UNIT = new SenseCode(KEY_ILLEGAL_REQUEST, 0x0E, 0x03);
  /** ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR (1Ah/00h). */
  public static final SenseCode PARAMETER_LIST_LENGTH_ERROR = new SenseCode(KEY_ILLEGAL_REQUEST, 0x1A, 0x00);
  /** ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20h/00h). */
  public static final SenseCode INVALID_COMMAND_OPERATION_CODE = new SenseCode(KEY_ILLEGAL_REQUEST, 0x20, 0x00);
  /** ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (21h/00h). */
  public static final SenseCode LBA_OUT_OF_RANGE = new SenseCode(KEY_ILLEGAL_REQUEST, 0x21, 0x00);
  /** ILLEGAL REQUEST, INVALID FIELD IN CDB (24h/00h). */
  public static final SenseCode INVALID_FIELD_IN_CDB = new SenseCode(KEY_ILLEGAL_REQUEST, 0x24, 0x00);
  /** ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED (25h/00h). */
  public static final SenseCode LOGICAL_UNIT_NOT_SUPPORTED = new SenseCode(KEY_ILLEGAL_REQUEST, 0x25, 0x00);
  /** ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (26h/00h). */
  public static final SenseCode INVALID_FIELD_IN_PARAMETER_LIST = new SenseCode(KEY_ILLEGAL_REQUEST, 0x26, 0x00);
  /** ILLEGAL REQUEST, INVALID RELEASE OF PERSISTENT RESERVATION (26h/04h): RELEASE by the holder with another type or scope. */
  public static final SenseCode INVALID_RELEASE_OF_PERSISTENT_RESERVATION = new SenseCode(KEY_ILLEGAL_REQUEST, 0x26, 0x04);
  /** ILLEGAL REQUEST, SAVING PARAMETERS NOT SUPPORTED (39h/00h). */
  public static final SenseCode SAVING_PARAMETERS_NOT_SUPPORTED = new SenseCode(KEY_ILLEGAL_REQUEST, 0x39, 0x00);

  /** UNIT ATTENTION, POWER ON, RESET, OR BUS DEVICE RESET OCCURRED (29h/00h): after TARGET WARM RESET. */
  public static final SenseCode POWER_ON_RESET_OCCURRED = new SenseCode(KEY_UNIT_ATTENTION, 0x29, 0x00);
  /** UNIT ATTENTION, POWER ON OCCURRED (29h/01h): after TARGET COLD RESET. */
  public static final SenseCode POWER_ON_OCCURRED = new SenseCode(KEY_UNIT_ATTENTION, 0x29, 0x01);
  /** UNIT ATTENTION, BUS DEVICE RESET FUNCTION OCCURRED (29h/03h): after LOGICAL UNIT RESET. */
  public static final SenseCode BUS_DEVICE_RESET_FUNCTION_OCCURRED = new SenseCode(KEY_UNIT_ATTENTION, 0x29, 0x03);
  /** UNIT ATTENTION, MODE PARAMETERS CHANGED (2Ah/01h). */
  public static final SenseCode MODE_PARAMETERS_CHANGED = new SenseCode(KEY_UNIT_ATTENTION, 0x2A, 0x01);
  /** UNIT ATTENTION, RESERVATIONS PREEMPTED (2Ah/03h): a PERSISTENT RESERVE OUT CLEAR by another I_T nexus. */
  public static final SenseCode RESERVATIONS_PREEMPTED = new SenseCode(KEY_UNIT_ATTENTION, 0x2A, 0x03);
  /** UNIT ATTENTION, RESERVATIONS RELEASED (2Ah/04h): a registrants-only or all-registrants reservation was released. */
  public static final SenseCode RESERVATIONS_RELEASED = new SenseCode(KEY_UNIT_ATTENTION, 0x2A, 0x04);
  /** UNIT ATTENTION, REGISTRATIONS PREEMPTED (2Ah/05h): this I_T nexus's registration was removed by a PREEMPT. */
  public static final SenseCode REGISTRATIONS_PREEMPTED = new SenseCode(KEY_UNIT_ATTENTION, 0x2A, 0x05);
  /** UNIT ATTENTION, COMMANDS CLEARED BY ANOTHER INITIATOR (2Fh/00h): CLEAR TASK SET on another nexus. */
  public static final SenseCode COMMANDS_CLEARED_BY_ANOTHER_INITIATOR = new SenseCode(KEY_UNIT_ATTENTION, 0x2F, 0x00);

  /** DATA PROTECT, WRITE PROTECTED (27h/00h): the LUN is exported read-only. */
  public static final SenseCode WRITE_PROTECTED = new SenseCode(KEY_DATA_PROTECT, 0x27, 0x00);
  /** DATA PROTECT, LOGICAL UNIT SOFTWARE WRITE PROTECTED (27h/02h): SWP set in the Control mode page. */
  public static final SenseCode SOFTWARE_WRITE_PROTECTED = new SenseCode(KEY_DATA_PROTECT, 0x27, 0x02);
  /** DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT (27h/07h). */
  public static final SenseCode SPACE_ALLOCATION_FAILED_WRITE_PROTECT = new SenseCode(KEY_DATA_PROTECT, 0x27, 0x07);

  /** ABORTED COMMAND, TIMEOUT ON LOGICAL UNIT (3Eh/02h). */
  public static final SenseCode TIMEOUT_ON_LOGICAL_UNIT = new SenseCode(KEY_ABORTED_COMMAND, 0x3E, 0x02);
  /** ABORTED COMMAND, OVERLAPPED COMMANDS ATTEMPTED (4Eh/00h): a task tag reused while its task runs. */
  public static final SenseCode OVERLAPPED_COMMANDS_ATTEMPTED = new SenseCode(KEY_ABORTED_COMMAND, 0x4E, 0x00);

  /** MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION (1Dh/00h). */
  public static final SenseCode MISCOMPARE_DURING_VERIFY = new SenseCode(KEY_MISCOMPARE, 0x1D, 0x00);

  // ---- third-party copy (SPC-4 6.4, EXTENDED COPY; 6.18, RECEIVE COPY RESULTS) -------------------

  /** ILLEGAL REQUEST, OPERATION IN PROGRESS (00h/16h): an EXTENDED COPY reuses the list identifier of a running one. */
  public static final SenseCode OPERATION_IN_PROGRESS = new SenseCode(KEY_ILLEGAL_REQUEST, 0x00, 0x16);
  /** ILLEGAL REQUEST, TOO MANY TARGET DESCRIPTORS (26h/06h): more CSCD descriptors than the copy manager takes. */
  public static final SenseCode TOO_MANY_TARGET_DESCRIPTORS = new SenseCode(KEY_ILLEGAL_REQUEST, 0x26, 0x06);
  /** ILLEGAL REQUEST, UNSUPPORTED TARGET DESCRIPTOR TYPE CODE (26h/07h). */
  public static final SenseCode UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE = new SenseCode(KEY_ILLEGAL_REQUEST, 0x26, 0x07);
  /** ILLEGAL REQUEST, TOO MANY SEGMENT DESCRIPTORS (26h/08h). */
  public static final SenseCode TOO_MANY_SEGMENT_DESCRIPTORS = new SenseCode(KEY_ILLEGAL_REQUEST, 0x26, 0x08);
  /** ILLEGAL REQUEST, UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE (26h/09h). */
  public static final SenseCode UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE = new SenseCode(KEY_ILLEGAL_REQUEST, 0x26, 0x09);
  /** ILLEGAL REQUEST, INSUFFICIENT RESOURCES (55h/03h): as many copies run as the copy manager allows. */
  public static final SenseCode INSUFFICIENT_RESOURCES = new SenseCode(KEY_ILLEGAL_REQUEST, 0x55, 0x03);
  /** COPY ABORTED, NO ADDITIONAL SENSE INFORMATION (00h/00h): the segment pointer designates the field in error. */
  public static final SenseCode COPY_ABORTED = new SenseCode(KEY_COPY_ABORTED, 0x00, 0x00);
  /** COPY ABORTED, UNREACHABLE COPY TARGET (08h/04h): a CSCD descriptor ID that designates no descriptor. */
  public static final SenseCode UNREACHABLE_COPY_TARGET = new SenseCode(KEY_COPY_ABORTED, 0x08, 0x04);
  /** COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE (0Dh/02h): no logical unit has the CSCD's designator. */
  public static final SenseCode COPY_TARGET_DEVICE_NOT_REACHABLE = new SenseCode(KEY_COPY_ABORTED, 0x0D, 0x02);
  /** COPY ABORTED, INCORRECT COPY TARGET DEVICE TYPE (0Dh/03h): a CSCD whose peripheral device type is not 00h. */
  public static final SenseCode INCORRECT_COPY_TARGET_DEVICE_TYPE = new SenseCode(KEY_COPY_ABORTED, 0x0D, 0x03);
  /** COPY ABORTED, UNEXPECTED INEXACT SEGMENT (26h/0Ah): a segment that is not whole blocks of both devices. */
  public static final SenseCode UNEXPECTED_INEXACT_SEGMENT = new SenseCode(KEY_COPY_ABORTED, 0x26, 0x0A);

  public SenseCode {
    if (key < 0 || key > 0xF || asc < 0 || asc > 0xFF || ascq < 0 || ascq > 0xFF) {
      throw new IllegalArgumentException("sense code out of range: " + key + "/" + asc + "/" + ascq);
    }
  }

  @Override
  public String toString() {
    return String.format("%Xh %02Xh/%02Xh", key, asc, ascq);
  }
}
