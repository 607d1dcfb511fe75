package io.cairn.datapath.iscsi.negotiation;

import io.cairn.config.IscsiSettings;
import java.util.List;

/**
 * What the target offers in operational negotiation (RFC 7143 section 13). The configurable part
 * comes from {@link IscsiSettings}; the rest is fixed by what this transport implements: one
 * connection per session, error recovery level 0, data PDUs and sequences in order.
 *
 * @param headerDigests header digests accepted ("None", "CRC32C"), in preference order
 * @param dataDigests data digests accepted, in preference order
 * @param maxRecvDataSegmentLength the target's declared MaxRecvDataSegmentLength, bytes
 * @param maxBurstLength bytes
 * @param firstBurstLength bytes, not above {@code maxBurstLength}
 * @param maxOutstandingR2t R2Ts open per task
 * @param initialR2t whether the target wants an R2T before any unsolicited Data-Out
 * @param immediateData whether the target accepts immediate data
 */
public record TargetOffer(
    List<String> headerDigests,
    List<String> dataDigests,
    int maxRecvDataSegmentLength,
    int maxBurstLength,
    int firstBurstLength,
    int maxOutstandingR2t,
    boolean initialR2t,
    boolean immediateData) {

  /** MaxConnections: one connection per session. */
  public static final int MAX_CONNECTIONS = 1;
  /** DefaultTime2Wait offered, seconds (the RFC default). */
  public static final int DEFAULT_TIME2WAIT_SECONDS = 2;
  /** DefaultTime2Retain offered, seconds: no connection recovery, so nothing is retained. */
  public static final int DEFAULT_TIME2RETAIN_SECONDS = 0;
  /** ErrorRecoveryLevel: 0, session recovery only. */
  public static final int ERROR_RECOVERY_LEVEL = 0;
  /** DataPDUInOrder and DataSequenceInOrder: Yes. */
  public static final boolean IN_ORDER = true;

  public TargetOffer {
    headerDigests = List.copyOf(headerDigests);
    dataDigests = List.copyOf(dataDigests);
  }

  public static TargetOffer from(IscsiSettings s) {
    return new TargetOffer(
        s.headerDigests(), s.dataDigests(), s.maxRecvDataSegmentLength(), s.maxBurstLength(),
        Math.min(s.firstBurstLength(), s.maxBurstLength()), s.maxOutstandingR2t(), s.initialR2t(),
        s.immediateData());
  }
}
