package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.pdu.Bhs;
import io.cairn.datapath.iscsi.session.CommandSequencer;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One SCSI command on the transport side: its CDB and flags, the Data-Out it still collects, and
 * its progress towards a response.
 *
 * <p>Data-Out collection (RFC 7143 sections 11.3, 11.7 and 11.8): immediate data arrives with the
 * command at offset 0; unsolicited Data-Out (TTT 0xffffffff) continues it up to
 * min(FirstBurstLength, EDTL) and ends with the F bit; the rest is solicited by R2Ts, each one
 * sequence of at most MaxBurstLength with its own TTT and DataSN starting at 0. Every Data-Out is
 * checked (TTT, DataSN, Buffer Offset, length, F bit) and copied into one buffer at its offset.
 *
 * <p>Owned by one connection; event loop only. The Data-Out buffer belongs to the task until it is
 * handed to the SCSI layer ({@link #takeBuffer()}) or released ({@link #releaseBuffer()}).
 */
final class ScsiTask implements CommandSequencer.Command {

  enum State { COLLECTING, READY, EXECUTING, DONE }

  /** A transport-level outcome that replaces handing the command to the SCSI layer. */
  enum Outcome {
    /** Execute normally. */
    NONE,
    /** Not enough Data-Out buffer space now: answer TASK SET FULL. */
    TASK_SET_FULL,
    /** EDTL larger than a connection may ever buffer: answer with an iSCSI target failure. */
    TARGET_FAILURE,
    /** Some Data-Out failed its data digest: answer CHECK CONDITION, protocol service CRC error. */
    CRC_ERROR,
    /** A Data-Out broke the sequencing rules: answer CHECK CONDITION with {@link #failureSense()}. */
    DATA_ERROR,
    /** Aborted by task management or logout before reaching the SCSI layer: no response. */
    DROPPED
  }

  /** One R2T and the Data-Out sequence answering it. */
  static final class R2tSequence {
    final int ttt;
    final int r2tSn;
    final int offset;
    final int length;
    int received;
    int nextDataSn;

    R2tSequence(int ttt, int r2tSn, int offset, int length) {
      this.ttt = ttt;
      this.r2tSn = r2tSn;
      this.offset = offset;
      this.length = length;
    }
  }

  /** Sense (SPC-4 fixed format) for RFC 7143 section 11.4.7.2 "Unexpected unsolicited data": ABORTED COMMAND, 0Ch/0Ch. */
  static final byte[] UNEXPECTED_UNSOLICITED_DATA = sense(0x0c, 0x0c);
  /** Sense for RFC 7143 section 11.4.7.2 "Incorrect amount of data": ABORTED COMMAND, 0Ch/0Dh. */
  static final byte[] INCORRECT_AMOUNT_OF_DATA = sense(0x0c, 0x0d);
  /** Sense for a DataSN out of sequence (RFC 7143 section 11.7.5): ABORTED COMMAND, DATA PHASE ERROR 4Bh/00h. */
  static final byte[] DATA_PHASE_ERROR = sense(0x4b, 0x00);
  /** Sense for a Target Transfer Tag no R2T of the task opened: ABORTED COMMAND, INVALID TARGET PORT TRANSFER TAG RECEIVED 4Bh/01h. */
  static final byte[] INVALID_TRANSFER_TAG = sense(0x4b, 0x01);
  /** Sense for a Buffer Offset other than the next expected one: ABORTED COMMAND, DATA OFFSET ERROR 4Bh/05h. */
  static final byte[] DATA_OFFSET_ERROR = sense(0x4b, 0x05);

  final int itt;
  final int cmdSn;
  final boolean immediate;
  final long lunField;
  final int lun;
  final byte[] cdb;
  /** Expected Data Transfer Length (unsigned 32-bit). */
  final long edtl;
  final boolean read;
  final boolean write;
  final int attribute;

  State state = State.COLLECTING;
  Outcome outcome = Outcome.NONE;
  /** Whether the task's window slot (or immediate slot) was given back. */
  boolean finished;
  /** Data-In PDUs sent so far (their DataSN). */
  int dataInCount;

  private final Consumer<ScsiTask> deliverer;
  private byte[] failureSense;
  private ByteBuf buffer;
  private int expected;
  private boolean unsolicitedOpen;
  private int unsolicitedNext;
  private int unsolicitedDataSn;
  private int unsolicitedLimit;
  private int nextR2tOffset;
  private int r2tCount;
  private final List<R2tSequence> open = new ArrayList<>(1);

  ScsiTask(int itt, int cmdSn, boolean immediate, long lunField, int lun, byte[] cdb, long edtl,
      boolean read, boolean write, int attribute, Consumer<ScsiTask> deliverer) {
    this.itt = itt;
    this.cmdSn = cmdSn;
    this.immediate = immediate;
    this.lunField = lunField;
    this.lun = lun;
    this.cdb = cdb;
    this.edtl = edtl;
    this.read = read;
    this.write = write;
    this.attribute = attribute;
    this.deliverer = deliverer;
  }

  /**
   * Starts Data-Out collection.
   *
   * @param buffer where the data goes ({@code edtl} bytes of capacity), or null to discard it
   * @param expected bytes of Data-Out expected (the EDTL)
   * @param unsolicited whether unsolicited Data-Out PDUs follow (InitialR2T=No and F=0)
   * @param unsolicitedLimit min(FirstBurstLength, EDTL)
   * @param solicit whether the rest is solicited by R2Ts (false when the data is only drained)
   */
  void startCollecting(ByteBuf buffer, int expected, boolean unsolicited, int unsolicitedLimit, boolean solicit) {
    this.buffer = buffer;
    this.expected = expected;
    this.unsolicitedLimit = unsolicitedLimit;
    this.unsolicitedOpen = unsolicited && unsolicitedLimit > 0;
    this.nextR2tOffset = solicit ? 0 : expected;
  }

  /** Immediate data at offset 0 (already checked against FirstBurstLength and EDTL). */
  void immediateData(ByteBuf data) {
    int len = data.readableBytes();
    copy(0, data, len);
    unsolicitedNext = len;
    if (unsolicitedNext >= unsolicitedLimit) unsolicitedOpen = false;
    closeUnsolicitedIfDone();
  }

  /**
   * Applies one Data-Out PDU.
   *
   * <p>A PDU that breaks the sequencing rules (TTT, DataSN, Buffer Offset, length, F bit) fails the
   * task, not the connection: the task stops soliciting, accounts for the rest of its data by F bits
   * alone until every open sequence has ended, and is then answered with CHECK CONDITION and the
   * sense data of the violation (RFC 7143 section 11.4.7.2 conditions where one applies).
   *
   * @param corrupt the PDU's data failed its digest: account for it, do not copy it
   * @return null when accepted, else what was wrong with it (for the log)
   */
  String dataOut(int ttt, int dataSn, long offset, boolean fin, ByteBuf data, boolean corrupt) {
    if (outcome == Outcome.DATA_ERROR) {
      endSequenceOnFinal(ttt, fin);
      return null;
    }
    if (corrupt && outcome == Outcome.NONE) outcome = Outcome.CRC_ERROR;
    String violation = check(ttt, dataSn, offset, fin, data, corrupt);
    if (violation != null) {
      outcome = Outcome.DATA_ERROR;
      nextR2tOffset = expected; // solicit nothing more
      endSequenceOnFinal(ttt, fin);
    }
    return violation;
  }

  private String check(int ttt, int dataSn, long offset, boolean fin, ByteBuf data, boolean corrupt) {
    int len = data.readableBytes();
    if (ttt == Bhs.RESERVED_TAG) {
      if (!unsolicitedOpen) return fail(UNEXPECTED_UNSOLICITED_DATA, "unsolicited Data-Out not expected");
      if (dataSn != unsolicitedDataSn) return fail(DATA_PHASE_ERROR, "DataSN " + dataSn + ", expected " + unsolicitedDataSn);
      if (offset != unsolicitedNext) return fail(DATA_OFFSET_ERROR, "Buffer Offset " + offset + ", expected " + unsolicitedNext);
      if (len > unsolicitedLimit - unsolicitedNext) {
        return fail(UNEXPECTED_UNSOLICITED_DATA, "unsolicited data beyond FirstBurstLength");
      }
      if (!corrupt) copy(unsolicitedNext, data, len);
      unsolicitedNext += len;
      unsolicitedDataSn++;
      boolean reached = unsolicitedNext == unsolicitedLimit;
      if (fin) {
        unsolicitedOpen = false;
        closeUnsolicitedIfDone();
      }
      if (reached && !fin) {
        unsolicitedOpen = false; // no more unsolicited data can come
        return fail(INCORRECT_AMOUNT_OF_DATA, "F bit missing on the last unsolicited Data-Out");
      }
      return null;
    }
    R2tSequence seq = null;
    for (R2tSequence s : open) {
      if (s.ttt == ttt) {
        seq = s;
        break;
      }
    }
    if (seq == null) {
      return fail(INVALID_TRANSFER_TAG, "Target Transfer Tag 0x" + Integer.toHexString(ttt) + " not open for this task");
    }
    if (dataSn != seq.nextDataSn) return fail(DATA_PHASE_ERROR, "DataSN " + dataSn + ", expected " + seq.nextDataSn);
    long expectedOffset = (long) seq.offset + seq.received;
    if (offset != expectedOffset) return fail(DATA_OFFSET_ERROR, "Buffer Offset " + offset + ", expected " + expectedOffset);
    if (len > seq.length - seq.received) {
      return fail(INCORRECT_AMOUNT_OF_DATA, "Data-Out beyond the R2T's Desired Data Transfer Length");
    }
    if (!corrupt) copy(seq.offset + seq.received, data, len);
    seq.received += len;
    seq.nextDataSn++;
    boolean done = seq.received == seq.length;
    if (done) open.remove(seq);
    if (done != fin) {
      return fail(INCORRECT_AMOUNT_OF_DATA,
          done ? "F bit missing on the last Data-Out of an R2T" : "F bit before the R2T's data is complete");
    }
    return null;
  }

  /** The sense data the task is answered with after a Data-Out violation. */
  byte[] failureSense() {
    return failureSense;
  }

  private String fail(byte[] sense, String why) {
    failureSense = sense;
    return why;
  }

  /** After a violation only F bits count: they end the unsolicited sequence or an open R2T's. */
  private void endSequenceOnFinal(int ttt, boolean fin) {
    if (!fin) return;
    if (ttt == Bhs.RESERVED_TAG) unsolicitedOpen = false;
    else open.removeIf(s -> s.ttt == ttt);
  }

  /** Whether another R2T may be sent now. */
  boolean canSolicit(int maxOutstandingR2t) {
    return state == State.COLLECTING && !unsolicitedOpen && nextR2tOffset < expected && open.size() < maxOutstandingR2t;
  }

  /** Opens the next R2T sequence. */
  R2tSequence solicit(int ttt, int maxBurstLength) {
    int length = Math.min(maxBurstLength, expected - nextR2tOffset);
    R2tSequence seq = new R2tSequence(ttt, r2tCount++, nextR2tOffset, length);
    nextR2tOffset += length;
    open.add(seq);
    return seq;
  }

  /** Whether every expected Data-Out byte has arrived (or been accounted for). */
  boolean dataComplete() {
    return !unsolicitedOpen && nextR2tOffset >= expected && open.isEmpty();
  }

  /** R2Ts sent (the R2T part of ExpDataSN). */
  int r2tCount() {
    return r2tCount;
  }

  /** Bytes of Data-Out buffered (0 when discarding). */
  int bufferedBytes() {
    return buffer == null ? 0 : expected;
  }

  /** Hands the assembled Data-Out over (writer index at its end); the task no longer owns it. */
  ByteBuf takeBuffer() {
    ByteBuf b = buffer;
    buffer = null;
    if (b != null) b.writerIndex(expected);
    return b;
  }

  /** Releases the Data-Out buffer if still held; returns the bytes freed. */
  int releaseBuffer() {
    if (buffer == null) return 0;
    int freed = expected;
    buffer.release();
    buffer = null;
    open.clear();
    return freed;
  }

  @Override
  public boolean ready() {
    return state != State.COLLECTING;
  }

  @Override
  public void deliver() {
    deliverer.accept(this);
  }

  private static byte[] sense(int asc, int ascq) {
    byte[] s = new byte[18];
    s[0] = 0x70;
    s[2] = 0x0b; // ABORTED COMMAND
    s[7] = 10;
    s[12] = (byte) asc;
    s[13] = (byte) ascq;
    return s;
  }

  private void copy(int offset, ByteBuf data, int len) {
    if (buffer != null && len > 0) buffer.setBytes(offset, data, data.readerIndex(), len);
  }

  /** After the unsolicited phase the R2Ts start where it ended. */
  private void closeUnsolicitedIfDone() {
    if (!unsolicitedOpen && nextR2tOffset < unsolicitedNext) nextR2tOffset = unsolicitedNext;
  }
}
