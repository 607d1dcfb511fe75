package io.cairn.datapath.iscsi.negotiation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The target's side of operational parameter negotiation for one login (RFC 7143 sections 6.2
 * and 13): answers each key the initiator offers with the result of the key's negotiation
 * function, records the initiator's declarations, and, where the RFC default would exceed what the
 * target offers, proposes the key itself before the login may leave the operational stage.
 *
 * <p>Keys and functions: HeaderDigest and DataDigest (list), MaxConnections (min, always 1),
 * InitialR2T (OR), ImmediateData (AND), MaxRecvDataSegmentLength (declarative, per direction),
 * MaxBurstLength and FirstBurstLength (min), DefaultTime2Wait (max), DefaultTime2Retain (min),
 * MaxOutstandingR2T (min), DataPDUInOrder and DataSequenceInOrder (OR), ErrorRecoveryLevel (min,
 * always 0). The obsolete marker keys are answered as section 13.25 allows: IFMarker and OFMarker
 * with No, IFMarkInt and OFMarkInt with Reject. In discovery sessions the keys that concern only
 * SCSI data transfer are Irrelevant.
 *
 * <p>Not thread-safe: owned by one connection's login.
 */
public final class OperationalNegotiator {

  public static final String HEADER_DIGEST = "HeaderDigest";
  public static final String DATA_DIGEST = "DataDigest";
  public static final String MAX_CONNECTIONS = "MaxConnections";
  public static final String INITIAL_R2T = "InitialR2T";
  public static final String IMMEDIATE_DATA = "ImmediateData";
  public static final String MAX_RECV_DATA_SEGMENT_LENGTH = "MaxRecvDataSegmentLength";
  public static final String MAX_BURST_LENGTH = "MaxBurstLength";
  public static final String FIRST_BURST_LENGTH = "FirstBurstLength";
  public static final String DEFAULT_TIME2WAIT = "DefaultTime2Wait";
  public static final String DEFAULT_TIME2RETAIN = "DefaultTime2Retain";
  public static final String MAX_OUTSTANDING_R2T = "MaxOutstandingR2T";
  public static final String DATA_PDU_IN_ORDER = "DataPDUInOrder";
  public static final String DATA_SEQUENCE_IN_ORDER = "DataSequenceInOrder";
  public static final String ERROR_RECOVERY_LEVEL = "ErrorRecoveryLevel";
  public static final String IF_MARKER = "IFMarker";
  public static final String OF_MARKER = "OFMarker";
  public static final String IF_MARK_INT = "IFMarkInt";
  public static final String OF_MARK_INT = "OFMarkInt";

  private static final Set<String> KEYS = Set.of(
      HEADER_DIGEST, DATA_DIGEST, MAX_CONNECTIONS, INITIAL_R2T, IMMEDIATE_DATA,
      MAX_RECV_DATA_SEGMENT_LENGTH, MAX_BURST_LENGTH, FIRST_BURST_LENGTH, DEFAULT_TIME2WAIT,
      DEFAULT_TIME2RETAIN, MAX_OUTSTANDING_R2T, DATA_PDU_IN_ORDER, DATA_SEQUENCE_IN_ORDER,
      ERROR_RECOVERY_LEVEL, IF_MARKER, OF_MARKER, IF_MARK_INT, OF_MARK_INT);

  /** Keys that only concern Normal sessions (Irrelevant when SessionType=Discovery). */
  private static final Set<String> NORMAL_ONLY = Set.of(
      MAX_CONNECTIONS, INITIAL_R2T, IMMEDIATE_DATA, MAX_BURST_LENGTH, FIRST_BURST_LENGTH,
      MAX_OUTSTANDING_R2T, DATA_PDU_IN_ORDER, DATA_SEQUENCE_IN_ORDER);

  private static final long MIN_LENGTH = 512;
  private static final long MAX_LENGTH = (1 << 24) - 1;
  private static final String NONE = "None";
  private static final String CRC32C = "CRC32C";

  private final TargetOffer offer;
  private boolean discovery;

  private Boolean headerDigest;
  private Boolean dataDigest;
  private Boolean initialR2t;
  private Boolean immediateData;
  private Integer initiatorMrdsl;
  private Integer maxBurstLength;
  private Integer firstBurstLength;
  private Integer time2Wait;
  private Integer time2Retain;
  private Integer maxOutstandingR2t;
  private Integer errorRecoveryLevel;
  private boolean mrdslDeclared;
  private boolean proposed;
  /** Keys the target proposed, awaiting the initiator's answer, with the value offered. */
  private final Map<String, String> proposals = new LinkedHashMap<>();

  public OperationalNegotiator(TargetOffer offer) {
    this.offer = offer;
  }

  /** Sets the session type; call before {@link #respond} (SessionType comes in the first request). */
  public void sessionType(boolean discovery) {
    this.discovery = discovery;
  }

  /** Whether this negotiator owns the key. */
  public static boolean handles(String key) {
    return KEYS.contains(key);
  }

  /**
   * Handles one key the initiator sent. Returns the answer to put in the response, or {@code null}
   * when none is due (declarations, and answers to the target's own proposals).
   *
   * @throws NegotiationException when the value makes the login fail (an invalid declaration)
   */
  public KeyValue respond(String key, String value) throws NegotiationException {
    if (proposals.containsKey(key)) {
      acceptAnswer(key, proposals.remove(key), value);
      return null;
    }
    if (discovery && NORMAL_ONLY.contains(key)) return new KeyValue(key, Negotiation.IRRELEVANT);
    switch (key) {
      case HEADER_DIGEST: {
        String chosen = Negotiation.select(Negotiation.list(value), offer.headerDigests());
        if (chosen == null) return reject(key);
        headerDigest = CRC32C.equals(chosen);
        return new KeyValue(key, chosen);
      }
      case DATA_DIGEST: {
        String chosen = Negotiation.select(Negotiation.list(value), offer.dataDigests());
        if (chosen == null) return reject(key);
        dataDigest = CRC32C.equals(chosen);
        return new KeyValue(key, chosen);
      }
      case MAX_CONNECTIONS: {
        long v = number(value, 1, 65535);
        if (v < 0) return reject(key);
        return new KeyValue(key, Long.toString(Negotiation.min(v, TargetOffer.MAX_CONNECTIONS)));
      }
      case INITIAL_R2T: {
        Boolean b = Negotiation.parseBoolean(value);
        if (b == null) return reject(key);
        initialR2t = Negotiation.or(b, offer.initialR2t());
        return new KeyValue(key, Negotiation.bool(initialR2t));
      }
      case IMMEDIATE_DATA: {
        Boolean b = Negotiation.parseBoolean(value);
        if (b == null) return reject(key);
        immediateData = Negotiation.and(b, offer.immediateData());
        return new KeyValue(key, Negotiation.bool(immediateData));
      }
      case MAX_RECV_DATA_SEGMENT_LENGTH: {
        long v = number(value, MIN_LENGTH, MAX_LENGTH);
        if (v < 0) {
          throw new NegotiationException(0x0200, "invalid MaxRecvDataSegmentLength declaration '" + value + "'");
        }
        initiatorMrdsl = (int) v;
        return null;
      }
      case MAX_BURST_LENGTH: {
        long v = number(value, MIN_LENGTH, MAX_LENGTH);
        if (v < 0) return reject(key);
        maxBurstLength = (int) Negotiation.min(v, offer.maxBurstLength());
        return new KeyValue(key, Integer.toString(maxBurstLength));
      }
      case FIRST_BURST_LENGTH: {
        long v = number(value, MIN_LENGTH, MAX_LENGTH);
        if (v < 0) return reject(key);
        firstBurstLength = (int) Negotiation.min(v, offer.firstBurstLength());
        return new KeyValue(key, Integer.toString(firstBurstLength));
      }
      case DEFAULT_TIME2WAIT: {
        long v = number(value, 0, 3600);
        if (v < 0) return reject(key);
        time2Wait = (int) Negotiation.max(v, TargetOffer.DEFAULT_TIME2WAIT_SECONDS);
        return new KeyValue(key, Integer.toString(time2Wait));
      }
      case DEFAULT_TIME2RETAIN: {
        long v = number(value, 0, 3600);
        if (v < 0) return reject(key);
        time2Retain = (int) Negotiation.min(v, TargetOffer.DEFAULT_TIME2RETAIN_SECONDS);
        return new KeyValue(key, Integer.toString(time2Retain));
      }
      case MAX_OUTSTANDING_R2T: {
        long v = number(value, 1, 65535);
        if (v < 0) return reject(key);
        maxOutstandingR2t = (int) Negotiation.min(v, offer.maxOutstandingR2t());
        return new KeyValue(key, Integer.toString(maxOutstandingR2t));
      }
      case DATA_PDU_IN_ORDER:
      case DATA_SEQUENCE_IN_ORDER: {
        Boolean b = Negotiation.parseBoolean(value);
        if (b == null) return reject(key);
        return new KeyValue(key, Negotiation.bool(Negotiation.or(b, TargetOffer.IN_ORDER)));
      }
      case ERROR_RECOVERY_LEVEL: {
        long v = number(value, 0, 2);
        if (v < 0) return reject(key);
        errorRecoveryLevel = (int) Negotiation.min(v, TargetOffer.ERROR_RECOVERY_LEVEL);
        return new KeyValue(key, Integer.toString(errorRecoveryLevel));
      }
      case IF_MARKER:
      case OF_MARKER:
        return new KeyValue(key, Negotiation.NO);
      case IF_MARK_INT:
      case OF_MARK_INT:
        return reject(key);
      default:
        return new KeyValue(key, Negotiation.NOT_UNDERSTOOD);
    }
  }

  /**
   * The target's declarations for its first operational-stage response: its
   * MaxRecvDataSegmentLength. Empty after the first call.
   */
  public List<KeyValue> declarations() {
    if (mrdslDeclared) return List.of();
    mrdslDeclared = true;
    return List.of(new KeyValue(MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(offer.maxRecvDataSegmentLength())));
  }

  /**
   * Keys the target must propose because the initiator left them at an RFC default the target
   * does not accept: a digest when None is not accepted, ImmediateData when the target refuses
   * immediate data. (Burst lengths need no proposal: the target sizes R2Ts and Data-In sequences
   * itself, and accepts unsolicited data up to whatever FirstBurstLength results.) Made once; the
   * login may leave the operational stage only when {@link #awaitingAnswers()} is false.
   */
  public List<KeyValue> proposals() {
    if (proposed) return List.of();
    proposed = true;
    List<KeyValue> out = new ArrayList<>();
    if (headerDigest == null && !offer.headerDigests().contains(NONE)) {
      out.add(new KeyValue(HEADER_DIGEST, String.join(",", offer.headerDigests())));
    }
    if (dataDigest == null && !offer.dataDigests().contains(NONE)) {
      out.add(new KeyValue(DATA_DIGEST, String.join(",", offer.dataDigests())));
    }
    if (!discovery) {
      if (immediateData == null && !offer.immediateData()) {
        out.add(new KeyValue(IMMEDIATE_DATA, Negotiation.NO));
      }
    }
    for (KeyValue kv : out) proposals.put(kv.key(), kv.value());
    return out;
  }

  public boolean awaitingAnswers() {
    return !proposals.isEmpty();
  }

  /** Whether the target declared its MaxRecvDataSegmentLength. */
  public boolean declaredMaxRecvDataSegmentLength() {
    return mrdslDeclared;
  }

  /** The negotiated parameters, RFC defaults for everything not negotiated. */
  public SessionParameters result() {
    // MaxBurstLength bounds only what the target controls (R2T lengths, Data-In sequences): when
    // not negotiated, the target keeps to the smaller of the default and its own offer.
    int mbl = maxBurstLength != null ? maxBurstLength
        : Math.min(SessionParameters.DEFAULT_MAX_BURST_LENGTH, offer.maxBurstLength());
    int fbl = firstBurstLength != null ? firstBurstLength : SessionParameters.DEFAULT_FIRST_BURST_LENGTH;
    return new SessionParameters(
        headerDigest != null && headerDigest,
        dataDigest != null && dataDigest,
        initialR2t == null || initialR2t,
        immediateData == null || immediateData,
        initiatorMrdsl != null ? initiatorMrdsl : SessionParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH,
        mrdslDeclared ? offer.maxRecvDataSegmentLength() : SessionParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH,
        mbl,
        Math.min(fbl, mbl),
        time2Wait != null ? time2Wait : SessionParameters.DEFAULT_TIME2WAIT,
        time2Retain != null ? time2Retain : SessionParameters.DEFAULT_TIME2RETAIN,
        maxOutstandingR2t != null ? maxOutstandingR2t : SessionParameters.DEFAULT_MAX_OUTSTANDING_R2T,
        errorRecoveryLevel != null ? errorRecoveryLevel : 0);
  }

  /** The initiator answered one of the target's proposals. */
  private void acceptAnswer(String key, String offered, String answer) throws NegotiationException {
    if (Negotiation.REJECT.equals(answer) || Negotiation.IRRELEVANT.equals(answer)
        || Negotiation.NOT_UNDERSTOOD.equals(answer)) {
      return; // the default stays in force
    }
    switch (key) {
      case HEADER_DIGEST:
      case DATA_DIGEST: {
        if (!Negotiation.list(offered).contains(answer)) {
          throw new NegotiationException(0x0200, key + " answer '" + answer + "' was not offered");
        }
        if (key.equals(HEADER_DIGEST)) headerDigest = CRC32C.equals(answer);
        else dataDigest = CRC32C.equals(answer);
        return;
      }
      case IMMEDIATE_DATA: {
        Boolean b = Negotiation.parseBoolean(answer);
        immediateData = b != null && Negotiation.and(b, offer.immediateData());
        return;
      }
      case MAX_BURST_LENGTH:
      case FIRST_BURST_LENGTH: {
        long v = number(answer, MIN_LENGTH, MAX_LENGTH);
        if (v < 0) throw new NegotiationException(0x0200, key + " answer '" + answer + "' is invalid");
        int result = (int) Negotiation.min(v, Long.parseLong(offered));
        if (key.equals(MAX_BURST_LENGTH)) maxBurstLength = result;
        else firstBurstLength = result;
        return;
      }
      default:
        throw new IllegalStateException("no proposal handling for " + key);
    }
  }

  private static KeyValue reject(String key) {
    return new KeyValue(key, Negotiation.REJECT);
  }

  private static long number(String value, long min, long max) {
    long v = Negotiation.parseNumber(value);
    return v < min || v > max ? -1 : v;
  }
}
