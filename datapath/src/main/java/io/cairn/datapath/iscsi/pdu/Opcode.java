package io.cairn.datapath.iscsi.pdu;

/**
 * iSCSI opcodes (RFC 7143 section 11.2): the low six bits of BHS byte 0. Initiator opcodes
 * are 0x00-0x1f, target opcodes 0x20-0x3f.
 */
public final class Opcode {

  public static final int NOP_OUT = 0x00;
  public static final int SCSI_COMMAND = 0x01;
  public static final int TASK_MGMT_REQUEST = 0x02;
  public static final int LOGIN_REQUEST = 0x03;
  public static final int TEXT_REQUEST = 0x04;
  public static final int DATA_OUT = 0x05;
  public static final int LOGOUT_REQUEST = 0x06;
  public static final int SNACK_REQUEST = 0x10;

  public static final int NOP_IN = 0x20;
  public static final int SCSI_RESPONSE = 0x21;
  public static final int TASK_MGMT_RESPONSE = 0x22;
  public static final int LOGIN_RESPONSE = 0x23;
  public static final int TEXT_RESPONSE = 0x24;
  public static final int DATA_IN = 0x25;
  public static final int LOGOUT_RESPONSE = 0x26;
  public static final int R2T = 0x31;
  public static final int ASYNC_MESSAGE = 0x32;
  public static final int REJECT = 0x3f;

  private static final String[] NAMES = new String[64];

  static {
    NAMES[NOP_OUT] = "NOP-Out";
    NAMES[SCSI_COMMAND] = "SCSI Command";
    NAMES[TASK_MGMT_REQUEST] = "Task Management Function Request";
    NAMES[LOGIN_REQUEST] = "Login Request";
    NAMES[TEXT_REQUEST] = "Text Request";
    NAMES[DATA_OUT] = "SCSI Data-Out";
    NAMES[LOGOUT_REQUEST] = "Logout Request";
    NAMES[SNACK_REQUEST] = "SNACK Request";
    NAMES[NOP_IN] = "NOP-In";
    NAMES[SCSI_RESPONSE] = "SCSI Response";
    NAMES[TASK_MGMT_RESPONSE] = "Task Management Function Response";
    NAMES[LOGIN_RESPONSE] = "Login Response";
    NAMES[TEXT_RESPONSE] = "Text Response";
    NAMES[DATA_IN] = "SCSI Data-In";
    NAMES[LOGOUT_RESPONSE] = "Logout Response";
    NAMES[R2T] = "Ready To Transfer";
    NAMES[ASYNC_MESSAGE] = "Asynchronous Message";
    NAMES[REJECT] = "Reject";
  }

  private Opcode() {}

  /** A readable name for log lines, e.g. {@code "SCSI Command (0x01)"}. */
  public static String name(int opcode) {
    String n = opcode >= 0 && opcode < NAMES.length ? NAMES[opcode] : null;
    return (n == null ? "unknown" : n) + String.format(" (0x%02x)", opcode);
  }
}
