package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * libiscsi's conformance suite (iscsi-test-cu, every test once) against a freshly started node,
 * scored per test and compared with Linux tgt's result on the same suite
 * (src/test/resources/conformance/tgt-1.0.85-rdwr.json). Three passes: the whole suite on a
 * writable scratch LUN reached through two portals of the node (the multipath tests use the second
 * URL), the read-only tests on a write-protected LUN, the SANITIZE tests (which
 * erase the LUN) with --allow-sanitize. The per-test result is written to
 * {@code target/conformance/cairn.json}, the comparison to {@code target/conformance/report.txt},
 * the suite's own output of each pass to {@code target/conformance/*.log}.
 *
 * <p>Fails when any test fails (by CUnit's verdict, see {@link #parse}), when a test that tgt
 * passes does not pass here, or when fewer than {@link #MIN_PASSED} pass.
 */
@Timeout(value = 40, unit = java.util.concurrent.TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConformanceIT {

  /** The pass count below which the build fails (the goal of the conformance work). */
  static final int MIN_PASSED = 205;


  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(25);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern SUITE = Pattern.compile("^Suite: (\\S+)");
  private static final Pattern TEST = Pattern.compile("^\\s+Test: (\\S+) \\.\\.\\.(.*)$");

  @RegisterExtension
  static final CairnNodes NODES = new CairnNodes();

  @Test
  void shouldPassLibiscsiConformanceWithNoFailure() throws IOException {
    int secondPort = CairnProcess.freePort();
    CairnProcess node = NODES.start("node", "--iscsi-portal", "127.0.0.1:" + secondPort + ",2");
    // A 512n LUN (physical block = logical block): GetLBAStatus.UnmapSingle asks for the status of
    // LBA i + 1 after unmapping i blocks and expects the first descriptor to start at i + LBPPB,
    // which SBC-3 5.8.2 allows only when LBPPB = 1 (the first descriptor describes the requested LBA).
    CairnProcess.ApiResponse created = node.api("POST", "/api/vdisks",
        "{\"name\":\"conformance\",\"size\":\"2G\",\"logicalBlockSize\":512,\"physicalBlockSize\":512}");
    assertTrue(created.status() == 201, created.body());
    String url = created.json().get("url").asText();
    // The same LUN through the node's second portal (portal group 2): the multipath tests use both.
    String secondPath = url.replaceFirst(":" + node.iscsiPort + "/", ":" + secondPort + "/");
    assertTrue(!secondPath.equals(url), url);
    CairnProcess.ApiResponse ro = node.api("POST", "/api/vdisks",
        "{\"name\":\"conformance-ro\",\"size\":\"1G\",\"readOnly\":true}");
    assertTrue(ro.status() == 201, ro.body());

    Path out = Path.of("target", "conformance");
    Files.createDirectories(out);
    Map<String, String> results = run(List.of(url, secondPath), "ALL", false, out.resolve("all.log"));
    results.putAll(only(run(List.of(ro.json().get("url").asText()), "ALL.ReadOnly", false, out.resolve("readonly.log")),
        "ReadOnly."));
    results.putAll(only(run(List.of(url), "ALL.Sanitize", true, out.resolve("sanitize.log")), "Sanitize."));

    // The default 512e LUN (4 KiB physical blocks): the suites whose tests need LBPPB >= 2 and that
    // the 512n LUN skips for that reason. Scored apart, as "512e:SUITE.TEST".
    JsonNode e512 = node.createVDisk("conformance-512e", "1G");
    Map<String, String> results512e = new TreeMap<>();
    for (String suite : List.of("CompareAndWrite", "WriteSame10", "WriteSame16", "Unmap", "GetLBAStatus")) {
      run(List.of(e512.get("url").asText()), "ALL." + suite, false, out.resolve("512e-" + suite + ".log"))
          .forEach((k, v) -> results512e.put("512e:" + k, v));
    }
    Files.writeString(out.resolve("cairn-512e.json"), JSON.writeValueAsString(results512e));

    Files.writeString(out.resolve("cairn.json"), JSON.writeValueAsString(results));
    Map<String, String> tgt = baseline();
    List<String> failed = new ArrayList<>();
    List<String> belowTgt = new ArrayList<>();
    int passed = 0;
    int skipped = 0;
    for (Map.Entry<String, String> e : results.entrySet()) {
      switch (e.getValue()) {
        case "pass" -> passed++;
        case "skip" -> skipped++;
        default -> failed.add(e.getKey());
      }
      if ("pass".equals(tgt.get(e.getKey())) && !"pass".equals(e.getValue())) belowTgt.add(e.getKey() + " (" + e.getValue() + ")");
    }
    List<String> failed512e = new ArrayList<>();
    List<String> lbppbTests = new ArrayList<>();
    results512e.forEach((k, v) -> {
      if ("fail".equals(v)) failed512e.add(k);
      String plain = k.substring("512e:".length());
      if ("skip".equals(results.get(plain)) && "pass".equals(v)) lbppbTests.add(plain);
    });
    long tgtPassed = tgt.values().stream().filter("pass"::equals).count();
    long tgtFailed = tgt.values().stream().filter("fail"::equals).count();
    String report = String.format("cairn: %d passed, %d failed, %d skipped%ntgt 1.0.85: %d passed, %d failed, %d skipped%n"
            + "failed: %s%nbelow tgt: %s%n512e LUN: %d tests, failed: %s, passed there and skipped above: %s%n",
        passed, failed.size(), skipped, tgtPassed, tgtFailed, tgt.size() - tgtPassed - tgtFailed, failed, belowTgt,
        results512e.size(), failed512e, lbppbTests);
    Files.writeString(out.resolve("report.txt"), report);
    System.out.println(report);

    assertTrue(failed.isEmpty(), "conformance tests failed: " + failed + "\n" + report);
    // GetLBAStatus.UnmapSingle cannot pass with LBPPB > 1 (see above): the one expected failure there.
    assertTrue(failed512e.equals(List.of("512e:GetLBAStatus.UnmapSingle")), "on the 512e LUN: " + failed512e + "\n" + report);
    assertTrue(lbppbTests.size() == 5, "the LBPPB >= 2 tests on the 512e LUN: " + lbppbTests + "\n" + report);
    assertTrue(belowTgt.isEmpty(), "tests tgt passes do not pass here: " + belowTgt + "\n" + report);
    assertTrue(passed >= MIN_PASSED, "only " + passed + " tests passed (at least " + MIN_PASSED + " required)\n" + report);
  }

  /** Runs iscsi-test-cu and scores every test: pass, fail, or skip (the target lacks the feature). */
  private static Map<String, String> run(List<String> urls, String tests, boolean sanitize, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("iscsi-test-cu", "-d", "-v", "-t", tests));
    if (sanitize) cmd.add("-S");
    cmd.addAll(urls);
    Exec.Result r = Exec.run(RUN_TIMEOUT, cmd);
    Files.writeString(log, r.stdout() + "\n" + r.stderr());
    Map<String, String> res = parse(r.stdout() + "\n" + r.stderr());
    if (res.isEmpty()) throw new AssertionError("iscsi-test-cu produced no results:\n" + Exec.tail(r.stdout() + r.stderr()));
    return res;
  }

  /**
   * Scores the suite's verbose output by CUnit's own verdict. Each test starts with
   * "  Test: NAME ..." and ends with CUnit's "passed" or "FAILED" (on that line or on a line of its
   * own after the test's messages). A passed test that printed "[SKIPPED]" lacked the feature. Lines
   * like "[FAILED] WRITE10 command failed ..." are libiscsi helpers' log lines, not verdicts: a test
   * that expects a command to fail logs them and passes (iSCSIdatasn.iSCSIDataSnInvalid does).
   */
  static Map<String, String> parse(String output) {
    Map<String, String> res = new TreeMap<>();
    String suite = null;
    String current = null;
    boolean skipped = false;
    for (String line : output.split("\n")) {
      Matcher m = SUITE.matcher(line);
      if (m.find()) {
        suite = m.group(1);
        current = null;
        continue;
      }
      m = TEST.matcher(line);
      if (m.find() && suite != null) {
        current = suite + "." + m.group(1);
        skipped = false;
        line = m.group(2);
      }
      if (current == null) continue;
      String t = line.strip();
      if (t.startsWith("passed")) {
        res.put(current, skipped ? "skip" : "pass");
        current = null; // what follows on the line belongs to the suite's clean-up
      } else if (t.startsWith("FAILED")) {
        res.put(current, "fail");
        current = null;
      } else if (t.contains("[SKIPPED]")) {
        skipped = true;
      }
    }
    return res;
  }

  private static Map<String, String> only(Map<String, String> results, String suitePrefix) {
    Map<String, String> out = new TreeMap<>();
    results.forEach((k, v) -> {
      if (k.startsWith(suitePrefix)) out.put(k, v);
    });
    return out;
  }

  private static Map<String, String> baseline() throws IOException {
    try (InputStream in = ConformanceIT.class.getResourceAsStream("/conformance/tgt-1.0.85-rdwr.json")) {
      Map<String, String> out = new TreeMap<>();
      JSON.readTree(in).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
      return out;
    }
  }
}
