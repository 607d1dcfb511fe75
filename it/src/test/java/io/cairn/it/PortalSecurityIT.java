package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Portal security and multipath against a real node with two portals, through libiscsi's tools
 * and qemu-io: a volume group with an allow-list and mutual CHAP made through the HTTP API;
 * one-way and mutual CHAP logins (libiscsi URLs {@code iscsi://user%secret@host/...?target_user=
 * &target_password=}); wrong secrets, strangers and CHAP-less logins refused with the RFC's
 * statuses; the group hidden from strangers in discovery; secrets in no API response and no log
 * line; changes of the policy taking effect and surviving a restart; the same LUN written through
 * one portal and read through the other, with the same logical unit designators on both.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PortalSecurityIT {

  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GROUP = "secure";
  private static final String IQN = "iqn.2026-11.io.cairn:" + GROUP;
  private static final String CLIENT = "iqn.2026-01.io.cairn.it:client";
  private static final String STRANGER = "iqn.2026-01.io.cairn.it:stranger";
  private static final String SECRET = "it-client-secret";
  private static final String TARGET_SECRET = "it-target-secret";

  @RegisterExtension
  static final CairnNodes NODES = new CairnNodes();

  private static CairnProcess node;
  private static int secondPort;

  @BeforeAll
  static void startNodeWithTwoPortalsAndASecureGroup() {
    secondPort = CairnProcess.freePort();
    node = NODES.start("node", "--iscsi-portal", "127.0.0.1:" + secondPort + ",2");
    String body = "{\"name\":\"" + GROUP + "\",\"initiators\":[\"" + CLIENT.toUpperCase() + "\"],"
        + "\"chap\":{\"user\":\"client\",\"secret\":\"" + SECRET + "\",\"mutualUser\":\"cairn\",\"mutualSecret\":\""
        + TARGET_SECRET + "\"}}";
    CairnProcess.ApiResponse r = node.api("POST", "/api/volume-groups", body);
    assertEquals(201, r.status(), r.body());
    r = node.api("POST", "/api/vdisks", "{\"name\":\"sv\",\"size\":\"1G\",\"volumeGroup\":\"" + GROUP + "\"}");
    assertEquals(201, r.status(), r.body());
    awaitLogin(url(node.iscsiPort, "client%" + SECRET + "@", ""));
  }

  private static String url(int port, String credentials, String query) {
    return "iscsi://" + credentials + "127.0.0.1:" + port + "/" + IQN + "/0" + query;
  }

  private static Exec.Result inq(String initiator, String url) {
    return Exec.run(TOOL_TIMEOUT, "iscsi-inq", "-i", initiator, url);
  }

  /** The catalog follows the configuration asynchronously: wait until a login works. */
  private static void awaitLogin(String url) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Exec.Result r;
    do {
      r = inq(CLIENT, url);
      if (r.exitCode() == 0) return;
      CairnProcess.sleep(250);
    } while (System.nanoTime() - deadline < 0);
    throw new AssertionError("no login to " + IQN + ": " + r.stdout() + r.stderr());
  }

  @Test
  @Order(1)
  void shouldLogInWithOneWayChapOnEitherPortal() {
    inq(CLIENT, url(node.iscsiPort, "client%" + SECRET + "@", "")).assertOk("one-way CHAP, portal 1");
    inq(CLIENT, url(secondPort, "client%" + SECRET + "@", "")).assertOk("one-way CHAP, portal 2");
  }

  @Test
  @Order(2)
  void shouldAuthenticateTheTargetWithMutualChap() {
    inq(CLIENT, url(node.iscsiPort, "client%" + SECRET + "@", "?target_user=cairn&target_password=" + TARGET_SECRET))
        .assertOk("mutual CHAP");

    Exec.Result r = inq(CLIENT, url(node.iscsiPort, "client%" + SECRET + "@",
        "?target_user=cairn&target_password=not-the-target-secret"));
    assertNotEquals(0, r.exitCode());
    assertTrue((r.stdout() + r.stderr()).contains("Invalid CHAP_R response from the target"), r.stdout() + r.stderr());
  }

  @Test
  @Order(3)
  void shouldRefuseWrongSecretsStrangersAndChaplessLoginsWithTheirStatuses() {
    assertRefused(inq(CLIENT, url(node.iscsiPort, "client%not-the-secret@", "")), "Authentication failure");
    assertRefused(inq(CLIENT, url(node.iscsiPort, "someone%" + SECRET + "@", "")), "Authentication failure");
    assertRefused(inq(CLIENT, url(node.iscsiPort, "", "")), "Authentication failure");
    assertRefused(inq(STRANGER, url(node.iscsiPort, "client%" + SECRET + "@", "")), "Authorization failure");
  }

  private static void assertRefused(Exec.Result r, String status) {
    assertNotEquals(0, r.exitCode(), r.stdout());
    assertTrue((r.stdout() + r.stderr()).contains(status), r.stdout() + r.stderr());
  }

  @Test
  @Order(4)
  void shouldHideTheGroupFromInitiatorsItsAllowListDoesNotAdmit() {
    String stranger = Exec.run(TOOL_TIMEOUT, "iscsi-ls", "-i", STRANGER, "iscsi://" + node.portal() + "/")
        .assertOk("iscsi-ls as a stranger").stdout();
    String client = Exec.run(TOOL_TIMEOUT, "iscsi-ls", "-i", CLIENT, "iscsi://" + node.portal() + "/")
        .assertOk("iscsi-ls as the client").stdout();

    assertFalse(stranger.contains(IQN), stranger);
    assertTrue(stranger.contains(CairnProcess.DEMO_IQN), stranger);
    assertTrue(client.contains("Target:" + IQN + " Portal:127.0.0.1:" + node.iscsiPort + ",1"), client);
    assertTrue(client.contains("Target:" + IQN + " Portal:127.0.0.1:" + secondPort + ",2"), client);
  }

  @Test
  @Order(5)
  void shouldNeverReturnOrLogASecret() throws Exception {
    JsonNode g = node.get("/api/volume-groups/" + GROUP);
    assertEquals(List.of(CLIENT), List.of(JSON.convertValue(g.get("initiators"), String[].class)));
    assertTrue(g.get("chap").get("enabled").asBoolean());
    assertTrue(g.get("chap").get("mutual").asBoolean());
    for (String path : List.of("/api/volume-groups", "/api/volume-groups/" + GROUP, "/api/status", "/api/vdisks")) {
      String body = node.api("GET", path, null).body();
      assertFalse(body.contains(SECRET) || body.contains(TARGET_SECRET), path + " returned a secret");
    }
    String bad = node.api("PUT", "/api/volume-groups/" + GROUP + "/chap", "{\"user\":\"x\",\"secret\":oops-" + SECRET + "}").body();
    assertFalse(bad.contains(SECRET), "a parse error echoed the body: " + bad);
    String log = Files.readString(node.log);
    assertFalse(log.contains(SECRET) || log.contains(TARGET_SECRET), "the node log holds a secret");
  }

  @Test
  @Order(5)
  void shouldAnswerBadAccessRequestsWithJsonErrors() {
    assertError(node.api("PUT", "/api/volume-groups/" + GROUP + "/initiators", "{\"initiators\":[\"host-a\"]}"), 400, "INVALID");
    assertError(node.api("PUT", "/api/volume-groups/" + GROUP + "/initiators", "{}"), 400, "INVALID");
    assertError(node.api("GET", "/api/volume-groups/ghost", null), 404, "NOT_FOUND");
    assertError(node.api("PUT", "/api/volume-groups/ghost/chap", "{\"user\":\"u\",\"secret\":\"long-enough-secret\"}"), 404, "NOT_FOUND");
    assertError(node.api("DELETE", "/api/volume-groups/" + GROUP + "/initiators/iqn.2026-01.io.cairn.it:nobody", null), 404, "NOT_FOUND");
    CairnProcess.ApiResponse shortSecret = node.api("PUT", "/api/volume-groups/" + GROUP + "/chap",
        "{\"user\":\"u\",\"secret\":\"tiny-pass\"}");
    assertError(shortSecret, 400, "INVALID");
    assertFalse(shortSecret.body().contains("tiny-pass"), shortSecret.body());
    assertError(node.api("PUT", "/api/volume-groups/" + GROUP + "/chap",
        "{\"user\":\"u\",\"secret\":\"long-enough-secret\",\"mutualUser\":\"t\"}"), 400, "INVALID");
    assertTrue(node.get("/api/volume-groups/" + GROUP).get("chap").get("mutual").asBoolean(), "nothing changed");
  }

  private static void assertError(CairnProcess.ApiResponse r, int status, String code) {
    assertEquals(status, r.status(), r.body());
    assertEquals(code, r.json().get("error").asText(), r.body());
  }

  @Test
  @Order(6)
  void shouldWriteThroughOnePortalAndReadThroughTheOtherWithOneIdentity() {
    QemuIo.parse(Exec.run(TOOL_TIMEOUT, qemuIo(node.iscsiPort, "write -P 0x5c 1M 64k")))
        .assertClean("write through portal 1", 1, 0);
    QemuIo.parse(Exec.run(TOOL_TIMEOUT, qemuIo(secondPort, "read -P 0x5c 1M 64k")))
        .assertClean("read through portal 2 (-P checks every byte)", 0, 1);

    String vpd1 = inq(CLIENT, url(node.iscsiPort, "client%" + SECRET + "@", "")).stdout();
    String page1 = deviceIdentification(node.iscsiPort);
    String page2 = deviceIdentification(secondPort);
    assertTrue(vpd1.contains("DIRECT_ACCESS"), vpd1);
    assertEquals(vendorDesignator(page1), vendorDesignator(page2), "the same logical unit on both paths");
    assertTrue(page1.contains("Designator:[" + IQN + ",t,0x0001]"), page1);
    assertTrue(page2.contains("Designator:[" + IQN + ",t,0x0002]"), page2);
  }

  /** qemu-io on the group's LUN 0 through one portal, with CHAP and the allowed initiator name. */
  private static List<String> qemuIo(int port, String command) {
    return List.of("qemu-io", "--image-opts", "-c", command, "driver=iscsi,transport=tcp,portal=127.0.0.1:" + port
        + ",target=" + IQN + ",lun=0,user=client,password=" + SECRET + ",initiator-name=" + CLIENT);
  }

  /** VPD page 83h as iscsi-inq prints it, binary designators (NAA) made printable. */
  private static String deviceIdentification(int port) {
    return Exec.run(TOOL_TIMEOUT, "bash", "-o", "pipefail", "-c", "iscsi-inq -i " + CLIENT + " -e 1 -c 131 '"
        + url(port, "client%" + SECRET + "@", "") + "' | LC_ALL=C tr -c '[:print:]\\n' '?'")
        .assertOk("VPD 83h through port " + port).stdout();
  }

  private static String vendorDesignator(String page) {
    Matcher m = Pattern.compile("Designator:\\[(CAIRN {3}[0-9a-f]{32})\\]").matcher(page);
    assertTrue(m.find(), page);
    return m.group(1);
  }

  @Test
  @Order(7)
  void shouldApplyPolicyChangesAndKeepThemAcrossARestart() {
    CairnProcess.ApiResponse r = node.api("PUT", "/api/volume-groups/" + GROUP + "/chap",
        "{\"user\":\"client\",\"secret\":\"a-new-client-secret\"}");
    assertEquals(200, r.status(), r.body());
    assertFalse(r.body().contains("a-new-client-secret"));
    awaitLogin(url(node.iscsiPort, "client%a-new-client-secret@", ""));
    assertRefused(inq(CLIENT, url(node.iscsiPort, "client%" + SECRET + "@", "")), "Authentication failure");

    r = node.api("POST", "/api/volume-groups/" + GROUP + "/initiators", "{\"name\":\"" + STRANGER + "\"}");
    assertEquals(200, r.status(), r.body());

    node.stop();
    node.restart();
    awaitLogin(url(node.iscsiPort, "client%a-new-client-secret@", ""));
    assertRefused(inq(CLIENT, url(node.iscsiPort, "", "")), "Authentication failure");
    inq(STRANGER, url(secondPort, "client%a-new-client-secret@", "")).assertOk("the stranger was added");

    r = node.api("DELETE", "/api/volume-groups/" + GROUP + "/chap", null);
    assertEquals(200, r.status(), r.body());
    assertFalse(node.get("/api/volume-groups/" + GROUP).get("chap").get("enabled").asBoolean());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (inq(CLIENT, url(node.iscsiPort, "", "")).exitCode() != 0 && System.nanoTime() - deadline < 0) {
      CairnProcess.sleep(250);
    }
    inq(CLIENT, url(node.iscsiPort, "", "")).assertOk("no CHAP any more");
    assertRefused(inq("iqn.2026-01.io.cairn.it:third", url(node.iscsiPort, "", "")), "Authorization failure");
  }
}
