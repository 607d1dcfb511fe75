package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.iscsi.negotiation.KeyValueText;
import io.cairn.datapath.iscsi.negotiation.TextFormatException;
import io.cairn.datapath.iscsi.pdu.Bhs;
import io.cairn.datapath.iscsi.pdu.RejectPdu;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * One connection's Text Request / Text Response exchange in full feature phase (RFC 7143
 * sections 6.1, 11.10, 11.11): request text continued over several PDUs (C bit) is reassembled,
 * each continuation answered with an empty response carrying a Target Transfer Tag; a response
 * longer than the initiator's MaxRecvDataSegmentLength goes out in pieces with the C bit, each
 * fetched by an empty request echoing the tag. A request with TTT 0xffffffff starts a new exchange
 * and abandons any unfinished one.
 *
 * <p>Event loop only.
 */
final class TextExchange {

  /** One Text Response to send. */
  record Reply(int ttt, boolean fin, boolean cont, byte[] data) {}

  /** A request that must be answered with a Reject of the given reason. */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    final int reason;

    Rejected(int reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }
  }

  private static final byte[] EMPTY = new byte[0];

  private final Function<List<KeyValue>, List<KeyValue>> responder;
  private final int maxTextBytes;
  private final IntSupplier newTtt;
  private final ByteArrayOutputStream request = new ByteArrayOutputStream();
  private boolean active;
  private int itt;
  private int ttt = Bhs.RESERVED_TAG;
  private byte[] response;
  private int responseOffset;

  /**
   * @param responder answers a complete request's keys
   * @param maxTextBytes bound on a reassembled request
   * @param newTtt allocates Target Transfer Tags
   */
  TextExchange(Function<List<KeyValue>, List<KeyValue>> responder, int maxTextBytes, IntSupplier newTtt) {
    this.responder = responder;
    this.maxTextBytes = maxTextBytes;
    this.newTtt = newTtt;
  }

  /**
   * Handles one Text Request.
   *
   * @param maxSegment the initiator's MaxRecvDataSegmentLength
   */
  Reply onRequest(int requestItt, int requestTtt, boolean cont, byte[] data, int maxSegment) throws Rejected {
    if (requestTtt == Bhs.RESERVED_TAG) {
      reset();
      active = true;
      itt = requestItt;
    } else if (!active || requestTtt != ttt || requestItt != itt) {
      throw new Rejected(RejectPdu.INVALID_PDU_FIELD, "Text Request continues no open exchange");
    }
    if (response != null) return nextPiece(maxSegment);
    if (request.size() + data.length > maxTextBytes) {
      reset();
      throw new Rejected(RejectPdu.OUT_OF_RESOURCES, "text request longer than " + maxTextBytes + " bytes");
    }
    request.writeBytes(data);
    if (cont) {
      ttt = newTtt.getAsInt();
      return new Reply(ttt, false, false, EMPTY);
    }
    List<KeyValue> keys;
    try {
      keys = KeyValueText.parse(request.toByteArray());
    } catch (TextFormatException e) {
      reset();
      throw new Rejected(RejectPdu.INVALID_PDU_FIELD, e.getMessage());
    }
    request.reset();
    response = KeyValueText.format(responder.apply(keys));
    responseOffset = 0;
    return nextPiece(maxSegment);
  }

  void reset() {
    active = false;
    request.reset();
    response = null;
    responseOffset = 0;
    ttt = Bhs.RESERVED_TAG;
  }

  private Reply nextPiece(int maxSegment) {
    int len = Math.min(maxSegment, response.length - responseOffset);
    byte[] piece = Arrays.copyOfRange(response, responseOffset, responseOffset + len);
    responseOffset += len;
    if (responseOffset < response.length) {
      if (ttt == Bhs.RESERVED_TAG) ttt = newTtt.getAsInt();
      return new Reply(ttt, false, true, piece);
    }
    reset();
    return new Reply(Bhs.RESERVED_TAG, true, false, piece);
  }
}
