package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Persistent reservations survive the node: one initiator registers and reserves the demo LUN, a
 * second registers, the node restarts (cleanly, or with {@code kill -9} right after the last
 * PERSISTENT RESERVE OUT was answered), and afterwards the keys, the PR generation and the
 * reservation read back the same and are still enforced (RESERVATION CONFLICT) against the second
 * initiator and a stranger, while the holder reads and writes.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PersistentReservationIT {

  static final int STATUS_GOOD = 0x00;
  static final int STATUS_RESERVATION_CONFLICT = 0x18;
  static final long KEY_HOLDER = 0x0123456789ABCDEFL;
  static final long KEY_OTHER = 0x00000000CAFEF00DL;
  /** Exclusive Access, Registrants Only: registrants read and write, strangers do neither. */
  static final int EA_RO = 0x6;
  /** Exclusive Access: only the holder reads or writes. */
  static final int EA = 0x3;

  @RegisterExtension
  final CairnNodes nodes = new CairnNodes();

  /** A session as a fixed initiator port (name and ISID), so it is the same I_T nexus after the restart. */
  static RawIscsiClient login(CairnProcess node, String name, long isid) throws IOException {
    RawIscsiClient c = RawIscsiClient.connect(node.iscsiPort).isid(isid);
    c.initiatorName = "iqn.2026-01.io.cairn.it:" + name;
    c.login(CairnProcess.DEMO_IQN, Map.of());
    return c;
  }

  static ScsiResult prout(RawIscsiClient c, int serviceAction, int type, long key, long serviceActionKey) throws IOException {
    byte[] params = ByteBuffer.allocate(24).putLong(key).putLong(serviceActionKey).array();
    byte[] cdb = {0x5F, (byte) serviceAction, (byte) type, 0, 0, 0, 0, 0, 24, 0};
    return c.write(0, cdb, params);
  }

  static byte[] prin(RawIscsiClient c, int serviceAction) throws IOException {
    byte[] cdb = {0x5E, (byte) serviceAction, 0, 0, 0, 0, 0, 0x10, 0x00, 0};
    ScsiResult r = c.read(0, cdb, 4096);
    assertEquals(STATUS_GOOD, r.status(), "PERSISTENT RESERVE IN " + serviceAction + ": " + IscsiDisk.describe(r));
    return r.dataIn();
  }

  static int read(RawIscsiClient c) throws IOException {
    return c.read(0, RawIscsiClient.read10(8, 1), 512).status();
  }

  static int write(RawIscsiClient c) throws IOException {
    return c.write(0, RawIscsiClient.write10(8, 1), new byte[512]).status();
  }

  /** Clears what a fresh session may be told first (power on, reservations changed). */
  static void testUnitReadyUntilGood(RawIscsiClient c) throws IOException {
    for (int i = 0; i < 8; i++) {
      if (c.read(0, new byte[6], 0).status() == STATUS_GOOD) return;
    }
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private void registerAndReserve(CairnProcess node) throws IOException {
    try (RawIscsiClient holder = login(node, "pr-holder", 0x400001380001L);
        RawIscsiClient other = login(node, "pr-other", 0x400001380002L)) {
      testUnitReadyUntilGood(holder);
      testUnitReadyUntilGood(other);
      assertEquals(STATUS_GOOD, prout(holder, 0x06, 0, 0, KEY_HOLDER).status(), "REGISTER AND IGNORE EXISTING KEY");
      assertEquals(STATUS_GOOD, prout(other, 0x06, 0, 0, KEY_OTHER).status(), "REGISTER AND IGNORE EXISTING KEY");
      assertEquals(STATUS_GOOD, prout(holder, 0x01, EA, KEY_HOLDER, 0).status(), "RESERVE");
      assertEquals(STATUS_RESERVATION_CONFLICT, read(other), "enforced before the restart");
    }
  }

  private void assertStillReservedAndEnforced(CairnProcess node) throws IOException {
    try (RawIscsiClient holder = login(node, "pr-holder", 0x400001380001L);
        RawIscsiClient other = login(node, "pr-other", 0x400001380002L);
        RawIscsiClient stranger = login(node, "pr-stranger", 0x400001380003L)) {
      // Unit attentions first (TEST UNIT READY passes any reservation), then the very first
      // medium commands after the restart already conflict.
      testUnitReadyUntilGood(other);
      testUnitReadyUntilGood(stranger);
      assertEquals(STATUS_RESERVATION_CONFLICT, write(other), "WRITE by a registrant that does not hold EA");
      assertEquals(STATUS_RESERVATION_CONFLICT, read(other), "READ by a registrant that does not hold EA");
      assertEquals(STATUS_RESERVATION_CONFLICT, read(stranger), "READ by an unregistered initiator");
      assertEquals("00000002" + "00000010" + "0123456789abcdef" + "00000000cafef00d", hex(prin(other, 0x00)), "READ KEYS");
      assertEquals("00000002" + "00000010" + "0123456789abcdef" + "00000000" + "0003" + "0000", hex(prin(stranger, 0x01)),
          "READ RESERVATION");
      testUnitReadyUntilGood(holder);
      assertEquals(STATUS_GOOD, write(holder), "the holder writes");
      assertEquals(STATUS_GOOD, read(holder), "the holder reads");
      // The holder's registration is still its I_T nexus: it can change the reservation's type.
      assertEquals(STATUS_GOOD, prout(holder, 0x04, EA_RO, KEY_HOLDER, KEY_HOLDER).status(), "PREEMPT to EA_RO");
      testUnitReadyUntilGood(other);
      assertEquals(STATUS_GOOD, read(other), "a registrant reads under EA_RO");
      assertEquals(STATUS_RESERVATION_CONFLICT, write(stranger), "a stranger still cannot write");
      assertArrayEquals(new byte[] {0, 0, 0, 3}, java.util.Arrays.copyOf(prin(holder, 0x00), 4), "PREEMPT bumped PRGENERATION");
    }
  }

  @Test
  void shouldKeepAndEnforceReservationsAcrossACleanRestart() throws Exception {
    CairnProcess node = nodes.start("node");
    registerAndReserve(node);

    node.stop();
    node.restart();

    assertStillReservedAndEnforced(node);
  }

  @Test
  void shouldKeepAnAcknowledgedReservationAcrossKill9() throws Exception {
    CairnProcess node = nodes.start("node");
    registerAndReserve(node);

    node.kill9();
    node.restart();

    assertStillReservedAndEnforced(node);
  }
}
