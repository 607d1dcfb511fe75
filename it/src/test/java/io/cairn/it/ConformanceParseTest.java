package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The conformance scoring reads CUnit's verdicts, not libiscsi helpers' log lines. */
class ConformanceParseTest {

  private static final String OUTPUT = """
      Suite: iSCSIcmdsn
        Test: iSCSICmdSnTooHigh ...passed
        Test: iSCSICmdSnTooLow ...passed    [SKIPPED] PERSISTENT RESERVE IN is not implemented.
      Suite: iSCSIdatasn
        Test: iSCSIDataSnInvalid ...    [FAILED] WRITE10 command failed with status 2 / sense key COMMAND ABORTED(0x0b)
          [FAILED] WRITE10 command failed with status 2 / sense key COMMAND ABORTED(0x0b)
      passed
      Suite: iSCSITMF
        Test: AbortTaskSimpleAsync ...FAILED
          1. test_async_abort_simple.c:194  - CU_ASSERT_EQUAL(state.wr_good,0)
        Test: LUNResetSimpleAsync ...passed
      Suite: MultipathIO
        Test: Simple ...    [SKIPPED] Multipath unavailable. Skipping test
      passed
        Test: Reset ...    [FAILED] something
      FAILED
      """;

  @Test
  void shouldScoreByCUnitVerdictAndKeepSkipsAndTeardownMessagesApart() {
    Map<String, String> r = ConformanceIT.parse(OUTPUT);
    assertEquals(Map.of(
        "iSCSIcmdsn.iSCSICmdSnTooHigh", "pass",
        "iSCSIcmdsn.iSCSICmdSnTooLow", "pass",
        "iSCSIdatasn.iSCSIDataSnInvalid", "pass",
        "iSCSITMF.AbortTaskSimpleAsync", "fail",
        "iSCSITMF.LUNResetSimpleAsync", "pass",
        "MultipathIO.Simple", "skip",
        "MultipathIO.Reset", "fail"), r);
  }
}
