package io.cairn.datapath.scsi.copy;

/**
 * The parameter data of RECEIVE COPY RESULTS (SPC-4 6.18) and the Third-party Copy VPD page
 * (SPC-4 7.8.17), built from a {@link CopyOperation} or the {@link CopyLimits}. Every method
 * returns a new array the caller owns; the caller truncates it to the ALLOCATION LENGTH.
 */
public final class CopyResultsData {

  /** RECEIVE COPY RESULTS service actions (CDB byte 1, bits 4..0). */
  public static final int RECEIVE_COPY_STATUS_LID1 = 0x00;
  public static final int RECEIVE_COPY_DATA_LID1 = 0x01;
  public static final int RECEIVE_COPY_OPERATING_PARAMETERS = 0x03;
  public static final int RECEIVE_COPY_FAILURE_DETAILS_LID1 = 0x04;
  public static final int RECEIVE_COPY_STATUS_LID4 = 0x05;

  /** COPY MANAGER STATUS (LID1) values. */
  static final int LID1_IN_PROGRESS = 0x00;
  static final int LID1_COMPLETED = 0x01;
  static final int LID1_FAILED = 0x02;
  /** COPY OPERATION STATUS (LID4) values. */
  static final int LID4_COMPLETED = 0x01;
  static final int LID4_FAILED = 0x02;
  static final int LID4_IN_PROGRESS_FOREGROUND = 0x11;
  static final int LID4_ABORTED = 0x60;

  /** TRANSFER COUNT UNITS 00h (bytes) through 06h (exbibytes): each is 2^10 of the one before. */
  static final int UNITS_BYTES = 0x00;

  /** Third-party Copy VPD page code and its descriptor types. */
  public static final int VPD_THIRD_PARTY_COPY = 0x8F;
  static final int TPC_SUPPORTED_COMMANDS = 0x0001;
  static final int TPC_PARAMETER_DATA = 0x0004;
  static final int TPC_SUPPORTED_DESCRIPTORS = 0x0008;
  static final int TPC_SUPPORTED_CSCD_IDS = 0x000C;
  static final int TPC_GENERAL_COPY_OPERATIONS = 0x8001;

  static final int EXTENDED_COPY = 0x83;
  static final int RECEIVE_COPY_RESULTS = 0x84;
  /** The descriptor type codes this copy manager implements, ascending. */
  static final int[] IMPLEMENTED_DESCRIPTORS = {CopyParameterList.SEGMENT_BLOCK_TO_BLOCK, CopyParameterList.CSCD_IDENTIFICATION};
  /** Service actions of RECEIVE COPY RESULTS implemented, ascending. */
  static final int[] RECEIVE_COPY_RESULTS_SERVICE_ACTIONS = {
    RECEIVE_COPY_STATUS_LID1, RECEIVE_COPY_DATA_LID1, RECEIVE_COPY_OPERATING_PARAMETERS,
    RECEIVE_COPY_FAILURE_DETAILS_LID1, RECEIVE_COPY_STATUS_LID4
  };
  static final int[] EXTENDED_COPY_SERVICE_ACTIONS = {CopyParameterList.LID1, CopyParameterList.LID4};

  private CopyResultsData() {}

  /**
   * RECEIVE COPY STATUS(LID1), 12 bytes.
   *
   * <pre>
   *   0-3  AVAILABLE DATA = 8
   *   4    HDD = 0 (no held data discarded) | COPY MANAGER STATUS (00h running, 01h done, 02h done with errors)
   *   5-6  SEGMENTS PROCESSED
   *   7    TRANSFER COUNT UNITS (the smallest that fits)   8-11 TRANSFER COUNT
   * </pre>
   */
  public static byte[] copyStatusLid1(CopyOperation op) {
    CopyOperation.State state = op.state();
    byte[] d = new byte[12];
    put32(d, 0, 8);
    d[4] = (byte) switch (state) {
      case IN_PROGRESS -> LID1_IN_PROGRESS;
      case COMPLETED -> LID1_COMPLETED;
      case FAILED, ABORTED -> LID1_FAILED;
    };
    put16(d, 5, Math.min(op.segmentsProcessed(), 0xFFFF));
    long count = op.bytesTransferred();
    int units = UNITS_BYTES;
    while (count > 0xFFFF_FFFFL) {
      count >>>= 10;
      units++;
    }
    d[7] = (byte) units;
    put32(d, 8, count);
    return d;
  }

  /** RECEIVE COPY DATA(LID1): no segment type Cairn runs holds data, so AVAILABLE DATA is 0. */
  public static byte[] copyDataLid1() {
    return new byte[4];
  }

  /**
   * RECEIVE COPY FAILURE DETAILS(LID1): the sense data a failed copy ended with; a copy that did not
   * fail has none (AVAILABLE DATA = 0, the 4-byte header only).
   *
   * <pre>
   *   0-3  AVAILABLE DATA (n - 3)    4-55 reserved
   *   56   COPY COMMAND STATUS (the EXTENDED COPY's status: 02h CHECK CONDITION)
   *   57   reserved                  58-59 SENSE DATA LENGTH    60.. SENSE DATA
   * </pre>
   */
  public static byte[] failureDetailsLid1(CopyOperation op) {
    byte[] sense = op.sense();
    if (sense == null) return new byte[4];
    byte[] d = new byte[60 + sense.length];
    put32(d, 0, d.length - 4);
    d[56] = 0x02;
    put16(d, 58, sense.length);
    System.arraycopy(sense, 0, d, 60, sense.length);
    return d;
  }

  /**
   * RECEIVE COPY STATUS(LID4), 32 bytes plus the sense data of a failed copy.
   *
   * <pre>
   *   0-3   AVAILABLE DATA (n - 3)
   *   4     RESPONSE TO SERVICE ACTION (the EXTENDED COPY's: 00h LID1, 01h LID4)
   *   5     COPY OPERATION STATUS (01h done, 02h done with errors, 11h running in the foreground, 60h aborted)
   *   6-7   OPERATION COUNTER (read-then-write steps done)
   *   8-11  ESTIMATED STATUS UPDATE DELAY (ms; FFFFFFFFh while running: no estimate, 0 when done)
   *   12    EXTENDED COPY COMPLETION STATUS (00h GOOD, 02h CHECK CONDITION; 0 while running)
   *   13    LENGTH OF THE SENSE DATA FIELD    14 SENSE DATA LENGTH
   *   15    TRANSFER COUNT UNITS = 00h (bytes) 16-23 TRANSFER COUNT
   *   24-25 SEGMENTS PROCESSED                 26-31 reserved      32.. SENSE DATA
   * </pre>
   */
  public static byte[] copyStatusLid4(CopyOperation op) {
    CopyOperation.State state = op.state();
    byte[] sense = op.sense();
    int senseLength = sense == null ? 0 : sense.length;
    byte[] d = new byte[32 + senseLength];
    put32(d, 0, d.length - 4);
    d[4] = (byte) op.serviceAction();
    d[5] = (byte) switch (state) {
      case IN_PROGRESS -> LID4_IN_PROGRESS_FOREGROUND;
      case COMPLETED -> LID4_COMPLETED;
      case FAILED -> LID4_FAILED;
      case ABORTED -> LID4_ABORTED;
    };
    put16(d, 6, Math.min(op.operations(), 0xFFFF));
    put32(d, 8, state == CopyOperation.State.IN_PROGRESS ? 0xFFFF_FFFFL : 0);
    d[12] = (byte) (state == CopyOperation.State.FAILED || state == CopyOperation.State.ABORTED ? 0x02 : 0x00);
    d[13] = (byte) senseLength;
    d[14] = (byte) senseLength;
    d[15] = UNITS_BYTES;
    put32(d, 16, op.bytesTransferred() >>> 32);
    put32(d, 20, op.bytesTransferred());
    put16(d, 24, Math.min(op.segmentsProcessed(), 0xFFFF));
    if (sense != null) System.arraycopy(sense, 0, d, 32, senseLength);
    return d;
  }

  /**
   * RECEIVE COPY OPERATING PARAMETERS, 44 bytes plus the implemented descriptor type codes.
   *
   * <pre>
   *   0-3   AVAILABLE DATA (n - 3)             4 SNLID = 1 (LIST ID USAGE 11b accepted)
   *   8-9   MAXIMUM CSCD DESCRIPTOR COUNT      10-11 MAXIMUM SEGMENT DESCRIPTOR COUNT
   *   12-15 MAXIMUM DESCRIPTOR LIST LENGTH     16-19 MAXIMUM SEGMENT LENGTH
   *   20-23 MAXIMUM INLINE DATA LENGTH = 0     24-27 HELD DATA LIMIT = 0 (no data is held)
   *   28-31 MAXIMUM STREAM DEVICE TRANSFER SIZE = 0 (no stream devices)
   *   34-35 TOTAL CONCURRENT COPIES            36 MAXIMUM CONCURRENT COPIES
   *   37    DATA SEGMENT GRANULARITY = 0       38 INLINE DATA GRANULARITY = 0   39 HELD DATA GRANULARITY = 0
   *   43    IMPLEMENTED DESCRIPTOR LIST LENGTH 44.. the type codes (02h, E4h)
   * </pre>
   */
  public static byte[] operatingParameters(CopyLimits limits) {
    byte[] d = new byte[44 + IMPLEMENTED_DESCRIPTORS.length];
    put32(d, 0, d.length - 4);
    d[4] = 0x01;
    put16(d, 8, limits.maxCscdDescriptors());
    put16(d, 10, limits.maxSegmentDescriptors());
    put32(d, 12, limits.maxDescriptorListLengthBytes());
    put32(d, 16, limits.maxSegmentLengthBytes());
    put16(d, 34, limits.maxConcurrentCopies());
    d[36] = (byte) limits.maxConcurrentCopies();
    d[43] = (byte) IMPLEMENTED_DESCRIPTORS.length;
    for (int i = 0; i < IMPLEMENTED_DESCRIPTORS.length; i++) d[44 + i] = (byte) IMPLEMENTED_DESCRIPTORS[i];
    return d;
  }

  /**
   * The Third-party Copy VPD page (8Fh) of a direct-access logical unit whose copy manager runs
   * EXTENDED COPY and RECEIVE COPY RESULTS only (no ROD tokens). Each descriptor is 2 bytes of
   * type, 2 of length (n - 3), parameters, padded to a multiple of 4 bytes.
   *
   * <pre>
   *   0001h Supported Commands: COMMANDS SUPPORTED LIST LENGTH, then per command OPERATION CODE,
   *         SERVICE ACTION LENGTH, the service actions (83h: 00h 01h; 84h: 00h 01h 03h 04h 05h)
   *   0004h Parameter Data: 4 reserved, MAXIMUM CSCD DESCRIPTOR COUNT (2), MAXIMUM SEGMENT DESCRIPTOR
   *         COUNT (2), MAXIMUM DESCRIPTOR LIST LENGTH (4), MAXIMUM INLINE DATA LENGTH (4), 12 reserved
   *   0008h Supported Descriptors: LIST LENGTH, the descriptor type codes (02h, E4h)
   *   000Ch Supported CSCD Descriptor IDs: LIST LENGTH (2), the IDs beyond 0000h-07FFh (FFFFh)
   *   8001h General Copy Operations: TOTAL CONCURRENT COPIES (4), MAXIMUM IDENTIFIED CONCURRENT
   *         COPIES (4), MAXIMUM SEGMENT LENGTH (4), DATA SEGMENT GRANULARITY, INLINE DATA GRANULARITY,
   *         18 reserved
   * </pre>
   */
  public static byte[] thirdPartyCopyVpd(CopyLimits limits) {
    byte[] commands = new byte[1 + 2 + EXTENDED_COPY_SERVICE_ACTIONS.length + 2 + RECEIVE_COPY_RESULTS_SERVICE_ACTIONS.length];
    int c = 0;
    commands[c++] = (byte) (commands.length - 1);
    c = commandDescriptor(commands, c, EXTENDED_COPY, EXTENDED_COPY_SERVICE_ACTIONS);
    commandDescriptor(commands, c, RECEIVE_COPY_RESULTS, RECEIVE_COPY_RESULTS_SERVICE_ACTIONS);

    byte[] parameters = new byte[28];
    put16(parameters, 4, limits.maxCscdDescriptors());
    put16(parameters, 6, limits.maxSegmentDescriptors());
    put32(parameters, 8, limits.maxDescriptorListLengthBytes());

    byte[] descriptors = new byte[1 + IMPLEMENTED_DESCRIPTORS.length];
    descriptors[0] = (byte) IMPLEMENTED_DESCRIPTORS.length;
    for (int i = 0; i < IMPLEMENTED_DESCRIPTORS.length; i++) descriptors[1 + i] = (byte) IMPLEMENTED_DESCRIPTORS[i];

    byte[] cscdIds = new byte[4];
    put16(cscdIds, 0, 2);
    put16(cscdIds, 2, CopyManager.CSCD_ID_ADDRESSED_LOGICAL_UNIT);

    byte[] general = new byte[32];
    put32(general, 0, limits.maxConcurrentCopies());
    put32(general, 4, limits.maxConcurrentCopies());
    put32(general, 8, limits.maxSegmentLengthBytes());

    byte[][] bodies = {commands, parameters, descriptors, cscdIds, general};
    int[] types = {TPC_SUPPORTED_COMMANDS, TPC_PARAMETER_DATA, TPC_SUPPORTED_DESCRIPTORS, TPC_SUPPORTED_CSCD_IDS,
      TPC_GENERAL_COPY_OPERATIONS};
    int length = 0;
    for (byte[] b : bodies) length += 4 + padded(b.length);
    byte[] d = new byte[4 + length];
    d[1] = (byte) VPD_THIRD_PARTY_COPY;
    put16(d, 2, length);
    int p = 4;
    for (int i = 0; i < bodies.length; i++) {
      put16(d, p, types[i]);
      put16(d, p + 2, padded(bodies[i].length));
      System.arraycopy(bodies[i], 0, d, p + 4, bodies[i].length);
      p += 4 + padded(bodies[i].length);
    }
    return d;
  }

  private static int commandDescriptor(byte[] b, int at, int opcode, int[] serviceActions) {
    b[at++] = (byte) opcode;
    b[at++] = (byte) serviceActions.length;
    for (int sa : serviceActions) b[at++] = (byte) sa;
    return at;
  }

  private static int padded(int n) {
    return (n + 3) & ~3;
  }

  private static void put16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  private static void put32(byte[] b, int off, long v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }
}
