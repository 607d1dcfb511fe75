package io.cairn.datapath.iscsi.negotiation;

/**
 * The outcome of operational negotiation for one session (RFC 7143 section 13), defaults applied
 * for every key not negotiated.
 *
 * @param headerDigest CRC32C header digests in use
 * @param dataDigest CRC32C data digests in use
 * @param initialR2t the initiator waits for an R2T before sending unsolicited Data-Out
 * @param immediateData the initiator may send immediate data with a command
 * @param initiatorMaxRecvDataSegmentLength largest data segment the target may send, bytes
 *     (declared by the initiator)
 * @param targetMaxRecvDataSegmentLength largest data segment the target accepts, bytes (declared by
 *     the target; 8192 when it never declared)
 * @param maxBurstLength largest Data-In or solicited Data-Out sequence, bytes
 * @param firstBurstLength largest unsolicited data per command, bytes
 * @param defaultTime2Wait seconds
 * @param defaultTime2Retain seconds
 * @param maxOutstandingR2t R2Ts open per task
 * @param errorRecoveryLevel always 0 here
 */
public record SessionParameters(
    boolean headerDigest,
    boolean dataDigest,
    boolean initialR2t,
    boolean immediateData,
    int initiatorMaxRecvDataSegmentLength,
    int targetMaxRecvDataSegmentLength,
    int maxBurstLength,
    int firstBurstLength,
    int defaultTime2Wait,
    int defaultTime2Retain,
    int maxOutstandingR2t,
    int errorRecoveryLevel) {

  /** RFC 7143 defaults (section 13). */
  public static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;
  public static final int DEFAULT_MAX_BURST_LENGTH = 262144;
  public static final int DEFAULT_FIRST_BURST_LENGTH = 65536;
  public static final int DEFAULT_TIME2WAIT = 2;
  public static final int DEFAULT_TIME2RETAIN = 20;
  public static final int DEFAULT_MAX_OUTSTANDING_R2T = 1;
}
