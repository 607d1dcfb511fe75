package io.cairn.datapath.iscsi.negotiation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OperationalNegotiatorTest {

  /** MRDSL 262144, MBL 1 MiB, FBL 256 KiB, 4 R2Ts, InitialR2T=No, ImmediateData=Yes, both digests. */
  static final TargetOffer OFFER = new TargetOffer(List.of("None", "CRC32C"), List.of("None", "CRC32C"),
      262144, 1048576, 262144, 4, false, true);

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @CsvSource({
      "HeaderDigest, 'CRC32C,None', CRC32C",
      "HeaderDigest, None, None",
      "DataDigest, 'X-foo,CRC32C', CRC32C",
      "DataDigest, X-foo, Reject",
      "MaxConnections, 4, 1",
      "MaxConnections, 0, Reject",
      "InitialR2T, No, No",
      "InitialR2T, Yes, Yes",
      "InitialR2T, maybe, Reject",
      "ImmediateData, Yes, Yes",
      "ImmediateData, No, No",
      "MaxBurstLength, 262144, 262144",
      "MaxBurstLength, 16777215, 1048576",
      "MaxBurstLength, 511, Reject",
      "MaxBurstLength, 16777216, Reject",
      "FirstBurstLength, 65536, 65536",
      "FirstBurstLength, 0x100000, 262144",
      "DefaultTime2Wait, 0, 2",
      "DefaultTime2Wait, 10, 10",
      "DefaultTime2Wait, 3601, Reject",
      "DefaultTime2Retain, 20, 0",
      "MaxOutstandingR2T, 1, 1",
      "MaxOutstandingR2T, 16, 4",
      "DataPDUInOrder, No, Yes",
      "DataSequenceInOrder, Yes, Yes",
      "ErrorRecoveryLevel, 2, 0",
      "ErrorRecoveryLevel, 3, Reject",
      "IFMarker, Yes, No",
      "OFMarker, No, No",
      "OFMarkInt, 1~65535, Reject",
      "IFMarkInt, 2048, Reject"})
  void shouldAnswerEachKeyWithItsNegotiationResult(String key, String offered, String answer) throws Exception {
    OperationalNegotiator n = new OperationalNegotiator(OFFER);
    assertEquals(new KeyValue(key, answer), n.respond(key, offered));
  }

  @Test
  void shouldRecordTheInitiatorsDeclarationWithoutAnswering() throws Exception {
    OperationalNegotiator n = new OperationalNegotiator(OFFER);
    assertNull(n.respond("MaxRecvDataSegmentLength", "4096"));
    assertEquals(4096, n.result().initiatorMaxRecvDataSegmentLength());
    // Until the target declares its own, the RFC default applies to what it receives.
    assertEquals(8192, n.result().targetMaxRecvDataSegmentLength());
    assertEquals(List.of(new KeyValue("MaxRecvDataSegmentLength", "262144")), n.declarations());
    assertEquals(List.of(), n.declarations());
    assertEquals(262144, n.result().targetMaxRecvDataSegmentLength());
  }

  @Test
  void shouldFailTheLoginOnAnInvalidDeclaration() {
    OperationalNegotiator n = new OperationalNegotiator(OFFER);
    NegotiationException e = assertThrows(NegotiationException.class, () -> n.respond("MaxRecvDataSegmentLength", "100"));
    assertEquals(0x0200, e.loginStatus());
  }

  @Test
  void shouldApplyRfcDefaultsToKeysNotNegotiated() {
    SessionParameters p = new OperationalNegotiator(OFFER).result();
    assertFalse(p.headerDigest());
    assertFalse(p.dataDigest());
    assertTrue(p.initialR2t());
    assertTrue(p.immediateData());
    assertEquals(8192, p.initiatorMaxRecvDataSegmentLength());
    assertEquals(262144, p.maxBurstLength());
    assertEquals(65536, p.firstBurstLength());
    assertEquals(2, p.defaultTime2Wait());
    assertEquals(20, p.defaultTime2Retain());
    assertEquals(1, p.maxOutstandingR2t());
    assertEquals(0, p.errorRecoveryLevel());
  }

  @Test
  void shouldKeepFirstBurstLengthWithinMaxBurstLength() throws Exception {
    OperationalNegotiator n = new OperationalNegotiator(OFFER);
    n.respond("MaxBurstLength", "16384");
    n.respond("FirstBurstLength", "65536");
    assertEquals(16384, n.result().firstBurstLength());
  }

  @Test
  void shouldAnswerDataTransferKeysIrrelevantInDiscoverySessions() throws Exception {
    OperationalNegotiator n = new OperationalNegotiator(OFFER);
    n.sessionType(true);
    assertEquals(new KeyValue("MaxBurstLength", "Irrelevant"), n.respond("MaxBurstLength", "262144"));
    assertEquals(new KeyValue("InitialR2T", "Irrelevant"), n.respond("InitialR2T", "No"));
    assertEquals(new KeyValue("HeaderDigest", "None"), n.respond("HeaderDigest", "None"));
  }

  @Test
  void shouldProposeWhatTheInitiatorLeftAtAnUnacceptableDefault() throws Exception {
    TargetOffer strict = new TargetOffer(List.of("CRC32C"), List.of("None"), 8192, 16384, 4096, 1, true, false);
    OperationalNegotiator n = new OperationalNegotiator(strict);
    List<KeyValue> proposals = n.proposals();
    assertEquals(List.of(new KeyValue("HeaderDigest", "CRC32C"), new KeyValue("ImmediateData", "No")), proposals);
    assertTrue(n.awaitingAnswers());
    assertEquals(List.of(), n.proposals());
    assertNull(n.respond("HeaderDigest", "CRC32C"));
    assertNull(n.respond("ImmediateData", "Reject"));
    assertFalse(n.awaitingAnswers());
    SessionParameters p = n.result();
    assertTrue(p.headerDigest());
    assertTrue(p.immediateData()); // the initiator refused the proposal: the default stays
    assertEquals(16384, p.maxBurstLength()); // not negotiated: the smaller of default and offer
    assertEquals(16384, p.firstBurstLength()); // default 65536, bounded by MaxBurstLength
  }

  @Test
  void shouldTakeTheInitiatorsAnswerToAProposal() throws Exception {
    OperationalNegotiator n = new OperationalNegotiator(
        new TargetOffer(List.of("None"), List.of("None"), 8192, 262144, 65536, 1, true, false));
    assertEquals(List.of(new KeyValue("ImmediateData", "No")), n.proposals());
    assertNull(n.respond("ImmediateData", "No"));
    assertFalse(n.result().immediateData());
  }

  @Test
  void shouldRefuseAnAnswerOutsideWhatWasProposed() {
    OperationalNegotiator n = new OperationalNegotiator(
        new TargetOffer(List.of("CRC32C"), List.of("None"), 8192, 262144, 65536, 1, true, true));
    n.proposals();
    assertThrows(NegotiationException.class, () -> n.respond("HeaderDigest", "None"));
  }
}
