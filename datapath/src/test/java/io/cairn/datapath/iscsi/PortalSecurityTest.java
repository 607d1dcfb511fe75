package io.cairn.datapath.iscsi;

import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.read10;
import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cairn.config.IscsiSettings;
import io.cairn.datapath.iscsi.fixture.LeakCollector;
import io.cairn.datapath.iscsi.fixture.RamLunScsiService;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.iscsi.fixture.WarningCollector;
import io.cairn.datapath.iscsi.login.ChapAuthentication;
import io.cairn.datapath.scsi.ItNexus;
import io.cairn.datapath.scsi.TaskManagementFunction;
import io.cairn.datapath.target.ChapCredentials;
import io.cairn.datapath.target.TargetAccess;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The portal's security and multipath over TCP, with the byte-level test initiator: CHAP and
 * mutual CHAP logins, refused logins that leave nothing behind, allow-lists in SendTargets, two
 * portals (two target portal groups) to the same targets, and TARGET COLD RESET ending every
 * session of its target on every portal.
 */
@Timeout(60)
class PortalSecurityTest {

  static final String OPEN = "iqn.2026-11.io.cairn:open";
  static final String GUARDED = "iqn.2026-11.io.cairn:guarded";
  static final String MUTUAL = "iqn.2026-11.io.cairn:mutual";
  static final String HOST = "iqn.1994-05.com.example:host1";
  static final String STRANGER = "iqn.1994-05.com.example:stranger";
  static final String SECRET = "host1-chap-secret";
  static final String TARGET_SECRET = "target-chap-secret";

  private RamLunScsiService scsi;
  private IscsiPortal portal;
  private ListAppender<ILoggingEvent> logs;
  private Level previousLevel;
  private final java.util.List<RawIscsiClient> clients = new java.util.ArrayList<>();

  @BeforeEach
  void start() {
    // Every log event of the data path, down to TRACE, so no secret may hide in a debug line.
    Logger cairn = (Logger) LoggerFactory.getLogger("io.cairn");
    previousLevel = cairn.getLevel();
    cairn.setLevel(Level.TRACE);
    logs = new ListAppender<>();
    logs.start();
    cairn.addAppender(logs);

    scsi = new RamLunScsiService(2048);
    TargetCatalog catalog = new TargetCatalog();
    ChapCredentials chap = ChapCredentials.of("host1", SECRET);
    catalog.put(new TargetInfo(OPEN, "open", List.of()));
    catalog.put(new TargetInfo(GUARDED, "guarded", List.of(), new TargetAccess(Set.of(HOST), chap, null)));
    catalog.put(new TargetInfo(MUTUAL, "mutual", List.of(),
        new TargetAccess(Set.of(), chap, ChapCredentials.of("cairn", TARGET_SECRET))));
    IscsiSettings settings = PortalHarness.settings(Duration.ofSeconds(5), Duration.ZERO)
        .withAdditionalPortals(List.of(new IscsiSettings.Portal("127.0.0.1", 0, 2)));
    portal = new IscsiPortal(settings, catalog, scsi, 1, PortalLimits.DEFAULTS,
        ChapAuthentication.factory(TargetAccess.OPEN, new SecureRandom()));
    portal.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (RawIscsiClient c : clients) c.close();
    portal.close();
    scsi.close();
    Logger cairn = (Logger) LoggerFactory.getLogger("io.cairn");
    cairn.detachAppender(logs);
    cairn.setLevel(previousLevel);
    for (ILoggingEvent e : logs.list) {
      String line = e.getFormattedMessage() + " " + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
      assertFalse(line.contains(SECRET) || line.contains(TARGET_SECRET), "a secret was logged: " + line);
    }
    assertEquals(List.of(), LeakCollector.drain(), "Netty reported leaked buffers");
    WarningCollector.drain();
  }

  private RawIscsiClient connect(int portalIndex, String initiator) throws IOException {
    RawIscsiClient c = RawIscsiClient.connect(portal.boundPorts().get(portalIndex));
    c.initiatorName = initiator;
    clients.add(c);
    return c;
  }

  @Test
  void shouldServeIoAfterAChapLogin() throws Exception {
    RawIscsiClient c = connect(0, HOST);
    c.loginChap(GUARDED, PortalHarness.keys(), "host1", SECRET, null, null);

    byte[] data = new byte[4096];
    new Random(7).nextBytes(data);
    assertEquals(0, c.write(0, write10(8, 8), data).status());
    assertArrayEquals(data, c.read(0, read10(8, 8), data.length).dataIn());
  }

  @Test
  void shouldRefuseAWrongSecretAndLeaveNoSessionOrNexusBehind() throws Exception {
    long failuresBefore = portal.stats().loginFailures();
    RawIscsiClient c = connect(0, HOST);

    RawIscsiClient.LoginFailed e = assertThrows(RawIscsiClient.LoginFailed.class,
        () -> c.loginChap(GUARDED, PortalHarness.keys(), "host1", "a-wrong-secret", null, null));

    assertEquals(0x0201, e.status);
    assertTrue(c.closedByTarget(2000), "the target closes a refused login's connection");
    awaitNoConnections();
    assertEquals(0, portal.stats().sessionsActive());
    assertEquals(failuresBefore + 1, portal.stats().loginFailures());
    assertEquals(List.of(), scsi.executed);
    assertEquals(List.of(), scsi.lostNexuses, "no nexus ever existed");
  }

  @Test
  void shouldRefuseAnInitiatorNotOnTheAllowListWithAuthorizationFailure() throws Exception {
    RawIscsiClient c = connect(0, STRANGER);

    RawIscsiClient.LoginFailed e = assertThrows(RawIscsiClient.LoginFailed.class,
        () -> c.loginChap(GUARDED, PortalHarness.keys(), "host1", SECRET, null, null));

    assertEquals(0x0202, e.status);
    awaitNoConnections();
    assertEquals(0, portal.stats().sessionsActive());
  }

  @Test
  void shouldRefuseALoginWithoutChapToATargetThatRequiresIt() throws Exception {
    RawIscsiClient c = connect(0, HOST);

    RawIscsiClient.LoginFailed e = assertThrows(RawIscsiClient.LoginFailed.class,
        () -> c.login(GUARDED, PortalHarness.keys()));

    assertEquals(0x0201, e.status);
  }

  @Test
  void shouldHideTargetsFromInitiatorsTheirAllowListDoesNotAdmit() throws Exception {
    RawIscsiClient stranger = connect(0, STRANGER);
    stranger.login(null, PortalHarness.keys());
    RawIscsiClient host = connect(0, HOST);
    host.login(null, PortalHarness.keys());

    assertEquals(List.of(MUTUAL, OPEN), stranger.sendTargets("All").get("TargetName"));
    assertEquals(List.of(GUARDED, MUTUAL, OPEN), host.sendTargets("All").get("TargetName"));
    assertEquals(null, stranger.sendTargets(GUARDED).get("TargetName"));
  }

  @Test
  void shouldAuthenticateTheTargetWithMutualChap() throws Exception {
    RawIscsiClient c = connect(0, STRANGER);
    c.loginChap(MUTUAL, PortalHarness.keys(), "host1", SECRET, "cairn", TARGET_SECRET);

    assertEquals(0, c.read(0, read10(0, 1), 512).status());
  }

  @Test
  void shouldLetTheInitiatorDetectATargetWithAnotherSecret() throws Exception {
    RawIscsiClient c = connect(0, STRANGER);

    IOException e = assertThrows(IOException.class,
        () -> c.loginChap(MUTUAL, PortalHarness.keys(), "host1", SECRET, "cairn", "not-what-the-target-has"));

    assertEquals("the target failed mutual CHAP", e.getMessage());
  }

  @Test
  void shouldListEveryPortalWithItsGroupTagInSendTargets() throws Exception {
    RawIscsiClient c = connect(1, HOST);
    c.login(null, PortalHarness.keys());

    Map<String, List<String>> st = c.sendTargets(OPEN);

    List<Integer> ports = portal.boundPorts();
    assertEquals(List.of("127.0.0.1:" + ports.get(1) + ",2", "127.0.0.1:" + ports.get(0) + ",1"), st.get("TargetAddress"),
        "the portal the initiator came through first");
  }

  @Test
  void shouldReachTheSameLunThroughBothPortalsAsTwoNexuses() throws Exception {
    RawIscsiClient one = connect(0, HOST).isid(0x400000000042L);
    RawIscsiClient two = connect(1, HOST).isid(0x400000000042L);
    one.login(OPEN, PortalHarness.keys());
    two.login(OPEN, PortalHarness.keys());
    assertEquals("1", one.negotiated.get("TargetPortalGroupTag"));
    assertEquals("2", two.negotiated.get("TargetPortalGroupTag"));

    byte[] data = new byte[1024];
    new Random(3).nextBytes(data);
    assertEquals(0, one.write(0, write10(100, 2), data).status());
    assertArrayEquals(data, two.read(0, read10(100, 2), data.length).dataIn());
    assertEquals(0, one.read(0, read10(100, 2), data.length).status(), "the first path survived the second login");

    Set<ItNexus> nexuses = new java.util.HashSet<>();
    scsi.executed.forEach(x -> nexuses.add(x.nexus()));
    assertEquals(Set.of(new ItNexus(HOST, 0x400000000042L, OPEN, 1), new ItNexus(HOST, 0x400000000042L, OPEN, 2)), nexuses);
  }

  @Test
  void shouldEndEverySessionOfTheTargetOnEveryPortalOnColdReset() throws Exception {
    RawIscsiClient issuer = connect(0, HOST).isid(0x400000000001L);
    RawIscsiClient samePath = connect(0, STRANGER).isid(0x400000000002L);
    RawIscsiClient otherPath = connect(1, HOST).isid(0x400000000001L);
    RawIscsiClient otherTarget = connect(1, HOST).isid(0x400000000003L);
    issuer.login(OPEN, PortalHarness.keys());
    samePath.login(OPEN, PortalHarness.keys());
    otherPath.login(OPEN, PortalHarness.keys());
    otherTarget.loginChap(MUTUAL, PortalHarness.keys(), "host1", SECRET, null, null);

    RawIscsiClient.Pdu response = issuer.taskManagement(TaskManagementFunction.TARGET_COLD_RESET.code, 0, -1, true);

    assertEquals(0x22, response.opcode());
    assertEquals(0, response.byteAt(2), "function complete");
    assertTrue(issuer.closedByTarget(2000));
    assertTrue(samePath.closedByTarget(2000));
    assertTrue(otherPath.closedByTarget(2000));
    assertFalse(otherTarget.closedByTarget(200), "another target's session stays");
    assertEquals(0, otherTarget.read(0, read10(0, 1), 512).status());
  }

  private void awaitNoConnections() throws InterruptedException {
    for (int i = 0; i < 200 && portal.stats().connectionsActive() > 0; i++) Thread.sleep(10);
    assertEquals(0, portal.stats().connectionsActive());
  }

  @Test
  void shouldNotReinstateASessionOfTheSameInitiatorPortOnAnotherPortalGroup() throws Exception {
    RawIscsiClient one = connect(0, HOST).isid(0x400000000077L);
    one.login(OPEN, PortalHarness.keys());
    RawIscsiClient again = connect(0, HOST).isid(0x400000000077L);
    again.login(OPEN, PortalHarness.keys());

    assertTrue(one.closedByTarget(2000), "the same portal group: reinstatement ends the old session");
    RawIscsiClient two = connect(1, HOST).isid(0x400000000077L);
    two.login(OPEN, PortalHarness.keys());
    assertFalse(again.closedByTarget(200));
    assertNotEquals(again.tsih, two.tsih);
  }
}
