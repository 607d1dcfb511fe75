package io.cairn.datapath.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cairn.config.IscsiSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real initiator against the portal: libiscsi's command-line tools (package libiscsi-bin), run
 * as child processes against the RAM LUN fixture on an ephemeral port. Skipped, with a message,
 * where the tools are not installed.
 */
@Timeout(120)
class LibiscsiInitiatorTest {

  private static final Path ISCSI_LS = Path.of("/usr/bin/iscsi-ls");
  private static final Path ISCSI_INQ = Path.of("/usr/bin/iscsi-inq");
  private static final Path ISCSI_READCAPACITY16 = Path.of("/usr/bin/iscsi-readcapacity16");

  private PortalHarness h;

  private record Run(int exit, String out) {}

  @BeforeEach
  void start() {
    h = new PortalHarness();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private static void assumeInstalled(Path tool) {
    assumeTrue(Files.isExecutable(tool), tool + " not installed (apt-get install libiscsi-bin); skipping the real-initiator test");
  }

  /** Runs a tool with a deadline; a tool that hangs is destroyed (by its own process handle). */
  private static Run run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError(String.join(" ", command) + " did not finish in 30 s");
      }
      return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }

  private String portal() {
    return "127.0.0.1:" + h.portal.boundPort();
  }

  @Test
  void shouldListTargetsAndLunsWithIscsiLs() throws Exception {
    assumeInstalled(ISCSI_LS);
    Run r = run(ISCSI_LS.toString(), "-s", "iscsi://" + portal() + "/");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("Target:" + PortalHarness.TARGET + " Portal:" + portal() + ",3"), r.out());
    assertTrue(r.out().contains("Target:" + PortalHarness.OTHER_TARGET + " Portal:" + portal() + ",3"), r.out());
    assertTrue(r.out().contains("Lun:0    Type:DIRECT_ACCESS (Size:1023k)"), r.out());
    // Discovery plus one normal session per target; the SCSI layer hears of both normal ones ending.
    assertEquals(3, h.portal.stats().sessionsOpened());
    for (int i = 0; i < 300 && h.scsi.lostNexuses.size() < 2; i++) Thread.sleep(10);
    assertEquals(2, h.scsi.lostNexuses.size());
  }

  @Test
  void shouldAnswerInquiryFromIscsiInq() throws Exception {
    assumeInstalled(ISCSI_INQ);
    Run r = run(ISCSI_INQ.toString(), "iscsi://" + portal() + "/" + PortalHarness.TARGET + "/0");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("CAIRN"), r.out());
    assertTrue(r.out().contains("RAMLUN FIXTURE"), r.out());
    assertTrue(r.out().contains("0001"), r.out());
  }

  @Test
  void shouldServeIscsiInqWithHeaderDigests() throws Exception {
    assumeInstalled(ISCSI_INQ);
    // iscsi-inq offers HeaderDigest=None,CRC32C; a portal that accepts only CRC32C makes it use digests
    // (had it kept None, the login would have failed).
    h.close();
    IscsiSettings crcOnly = PortalHarness.settings(Duration.ofSeconds(5), Duration.ZERO);
    crcOnly = new IscsiSettings(crcOnly.host(), 0, crcOnly.iqnPrefix(), 1, crcOnly.maxRecvDataSegmentLength(),
        crcOnly.maxBurstLength(), crcOnly.firstBurstLength(), crcOnly.maxOutstandingR2t(), true, false,
        List.of("CRC32C"), List.of("None"), crcOnly.loginTimeout(), crcOnly.maxCmdWindow(), Duration.ZERO);
    h = new PortalHarness(crcOnly, PortalLimits.DEFAULTS);
    Run r = run(ISCSI_INQ.toString(), "iscsi://" + portal() + "/" + PortalHarness.TARGET + "/0");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("RAMLUN FIXTURE"), r.out());
    assertEquals(0, h.portal.stats().digestErrors());
    assertEquals(0, h.portal.stats().loginFailures());
  }

  @Test
  void shouldRefuseAnUnknownTargetToIscsiInq() throws Exception {
    assumeInstalled(ISCSI_INQ);
    Run r = run(ISCSI_INQ.toString(), "iscsi://" + portal() + "/iqn.2026-11.io.cairn:absent/0");
    assertTrue(r.exit() != 0, r.out());
    assertTrue(r.out().toLowerCase().contains("not found"), r.out());
  }

  @Test
  void shouldReportCapacityToIscsiReadcapacity16() throws Exception {
    assumeInstalled(ISCSI_READCAPACITY16);
    Run r = run(ISCSI_READCAPACITY16.toString(), "iscsi://" + portal() + "/" + PortalHarness.TARGET + "/0");
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("1048576"), r.out());
  }
}
