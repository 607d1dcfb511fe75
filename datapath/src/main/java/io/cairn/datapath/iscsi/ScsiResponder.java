package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.negotiation.SessionParameters;
import io.cairn.datapath.iscsi.pdu.Bhs;
import io.cairn.datapath.iscsi.pdu.DataPdu;
import io.cairn.datapath.iscsi.pdu.ScsiResponsePdu;
import io.cairn.datapath.scsi.ScsiResponse;
import io.netty.buffer.ByteBuf;

/**
 * Turns a command's outcome into PDUs (RFC 7143 sections 11.4 and 11.7): Data-In split to the
 * initiator's MaxRecvDataSegmentLength, with the F bit at the end of every MaxBurstLength sequence,
 * never more than the Expected Data Transfer Length; status collapsed into the last Data-In (S bit)
 * when it is GOOD without sense data, else a SCSI Response carrying the sense data; residual counts
 * with the O/U flags (section 11.4.5).
 *
 * <p>Event loop only. Callers give the task's window slot back before calling, so the PDUs carry
 * the widened MaxCmdSN.
 */
final class ScsiResponder {

  /** Fixed-format sense (SPC-4 4.5.3): ABORTED COMMAND, PROTOCOL SERVICE CRC ERROR (47h/05h), RFC 7143 sections 7.8 and 11.4.7.2. */
  static final byte[] CRC_ERROR_SENSE = {
      0x70, 0, 0x0b, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x47, 0x05, 0, 0, 0, 0};

  private final ConnectionWriter out;
  private final SessionParameters params;

  ScsiResponder(ConnectionWriter out, SessionParameters params) {
    this.out = out;
    this.params = params;
  }

  /** Sends the response of an executed command; releases {@code response.dataIn()}. */
  void respond(ScsiTask task, ScsiResponse response) {
    ByteBuf data = response.dataIn();
    try {
      int available = data == null ? 0 : data.readableBytes();
      int send = task.read ? (int) Math.min(available, task.edtl) : 0;
      long expected;
      if (response.transferLength() >= 0) {
        expected = response.transferLength();
      } else if (task.read) {
        expected = available;
      } else {
        expected = task.write ? task.edtl : 0;
      }
      int residualFlags = 0;
      long residual = 0;
      if (expected > task.edtl) {
        residualFlags = ScsiResponsePdu.OVERFLOW_BIT;
        residual = expected - task.edtl;
      } else if (expected < task.edtl) {
        residualFlags = ScsiResponsePdu.UNDERFLOW_BIT;
        residual = task.edtl - expected;
      }
      int residualCount = (int) Math.min(residual, 0xffffffffL);
      boolean collapse = send > 0 && response.status() == ScsiResponse.GOOD && response.sense() == null;
      sendDataIn(task, data, send, collapse, residualFlags, residualCount);
      if (!collapse) {
        sendResponse(task, ScsiResponsePdu.RESPONSE_COMPLETED, response.status(), residualFlags, residualCount, response.sense());
      }
    } finally {
      if (data != null) data.release();
    }
  }

  /** A SCSI Response decided by the transport itself (no Data-In). */
  void respondLocal(ScsiTask task, int response, int status, byte[] sense) {
    int residualFlags = 0;
    int residual = 0;
    if (task.edtl > 0) {
      residualFlags = ScsiResponsePdu.UNDERFLOW_BIT;
      residual = (int) Math.min(task.edtl, 0xffffffffL);
    }
    sendResponse(task, response, status, residualFlags, residual, sense);
  }

  private void sendDataIn(ScsiTask task, ByteBuf data, int send, boolean collapse, int residualFlags, int residualCount) {
    int mrdsl = params.initiatorMaxRecvDataSegmentLength();
    int burst = params.maxBurstLength();
    int offset = 0;
    int burstLeft = burst;
    while (offset < send) {
      int len = Math.min(Math.min(send - offset, mrdsl), burstLeft);
      boolean last = offset + len == send;
      burstLeft -= len;
      int flags = 0;
      if (last || burstLeft == 0) {
        flags = Bhs.FINAL_BIT;
        burstLeft = burst;
      }
      int statSn = 0;
      int status = 0;
      int residual = 0;
      if (last && collapse) {
        flags |= DataPdu.STATUS_BIT | residualFlags;
        statSn = out.takeStatSn();
        status = ScsiResponse.GOOD;
        residual = residualCount;
      }
      ByteBuf header = DataPdu.dataInHeader(out.alloc(), flags, status, task.lunField, task.itt, statSn,
          out.expCmdSn(), out.maxCmdSn(), task.dataInCount++, offset, residual);
      out.write(header, data.retainedSlice(data.readerIndex() + offset, len));
      offset += len;
    }
  }

  private void sendResponse(ScsiTask task, int response, int status, int residualFlags, int residual, byte[] sense) {
    ByteBuf header = ScsiResponsePdu.header(out.alloc(), task.itt, response, status, residualFlags, residual,
        out.takeStatSn(), out.expCmdSn(), out.maxCmdSn(), task.dataInCount + task.r2tCount());
    ByteBuf segment = sense != null && sense.length > 0 ? ScsiResponsePdu.senseSegment(out.alloc(), sense) : null;
    out.write(header, segment);
  }
}
