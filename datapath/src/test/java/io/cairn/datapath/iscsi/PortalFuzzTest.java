package io.cairn.datapath.iscsi;

import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.read10;
import static io.cairn.datapath.iscsi.fixture.RawIscsiClient.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cairn.datapath.iscsi.fixture.LeakCollector;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.iscsi.fixture.WarningCollector;
import io.cairn.datapath.iscsi.fixture.RamLunScsiService;
import io.cairn.datapath.iscsi.login.ChapAuthentication;
import io.cairn.datapath.iscsi.login.LoginRequest;
import io.cairn.datapath.iscsi.login.LoginStateMachine;
import io.cairn.datapath.iscsi.login.LoginStep;
import io.cairn.datapath.iscsi.login.NoAuthentication;
import io.cairn.datapath.iscsi.negotiation.SessionParameters;
import io.cairn.datapath.iscsi.negotiation.TargetOffer;
import io.cairn.datapath.iscsi.pdu.Crc32c;
import io.cairn.datapath.iscsi.pdu.Pdu;
import io.cairn.datapath.iscsi.pdu.PduDecoder;
import io.cairn.datapath.iscsi.pdu.PduFramingException;
import io.cairn.datapath.iscsi.pdu.WireCounter;
import io.cairn.datapath.target.ChapCredentials;
import io.cairn.datapath.target.TargetAccess;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded random fuzzing of the framing layer, of login negotiation, and of a live portal: no
 * exception may escape (only {@link PduFramingException} from the decoder, which closes the
 * connection), no buffer may leak, and the portal must keep serving. The seed can be changed with
 * {@code -Dcairn.fuzz.seed=...}; a failure message names the seed and the input.
 */
@Timeout(120)
class PortalFuzzTest {

  private static final long SEED = Long.getLong("cairn.fuzz.seed", 0x15c51L);
  private static final int DECODER_INPUTS = 10_000;
  private static final int LOGIN_INPUTS = 10_000;
  private static final int CONNECTIONS = 300;

  private static final String CHAP_USER = "fuzz-user";
  private static final String CHAP_SECRET = "fuzz-chap-secret";
  private static final String[] KEYS = {
      "InitiatorName", "TargetName", "SessionType", "AuthMethod", "HeaderDigest", "DataDigest", "MaxConnections",
      "InitialR2T", "ImmediateData", "MaxRecvDataSegmentLength", "MaxBurstLength", "FirstBurstLength",
      "DefaultTime2Wait", "DefaultTime2Retain", "MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder",
      "ErrorRecoveryLevel", "IFMarker", "OFMarkInt", "TargetAlias", "SendTargets", "X-com.example.k", "CHAP_A",
      "InitiatorAlias", "TargetPortalGroupTag", "Unknown.Key", "CHAP_I", "CHAP_C", "CHAP_N", "CHAP_R"};
  private static final String[] VALUES = {
      "", "Yes", "No", "None", "CRC32C", "CRC32C,None", "None,CRC32C", "CHAP,None", "CHAP", "0", "1", "2", "3",
      "511", "512", "8192", "65536", "262144", "16777215", "16777216", "0x2000", "0x", "-1",
      "99999999999999999999999", "Normal", "Discovery", "Bogus", PortalHarness.TARGET, "iqn.2026-11.io.cairn:none",
      "Reject", "Irrelevant", "NotUnderstood", "a=b", "1~65535", "5", "7,5", "99,5", "256", "0x", "0X0",
      "0xzz", "0x00112233445566778899aabbccddeeff", "0b", "0bAAAA", "0b!!!!", "0B////", CHAP_USER, "5,6,7,8"};


  @Test
  void shouldFrameRandomInputWithoutEscapingExceptionsOrLeaks() {
    Random rnd = new Random(SEED);
    for (int i = 0; i < DECODER_INPUTS; i++) {
      boolean hd = rnd.nextBoolean();
      boolean dd = rnd.nextBoolean();
      int limit = 512 + rnd.nextInt(8192);
      byte[] input = rnd.nextInt(10) == 0 ? randomBytes(rnd, rnd.nextInt(300)) : mutatedStream(rnd, hd, dd);
      PduDecoder decoder = new PduDecoder(WireCounter.NONE);
      decoder.configure(hd, dd, limit);
      EmbeddedChannel ch = new EmbeddedChannel(decoder);
      int pos = 0;
      try {
        while (pos < input.length) {
          int chunk = 1 + rnd.nextInt(Math.max(1, input.length - pos));
          ch.writeInbound(Unpooled.wrappedBuffer(input, pos, chunk));
          pos += chunk;
          Object o;
          while ((o = ch.readInbound()) != null) {
            Pdu pdu = (Pdu) o;
            assertTrue(pdu.dataLength() <= limit);
            pdu.release();
          }
        }
      } catch (PduFramingException expected) {
        // the connection would be closed: fine
      } catch (RuntimeException e) {
        fail("seed " + SEED + " input " + i + ": " + e, e);
      } finally {
        ch.finishAndReleaseAll();
      }
    }
    assertEquals(List.of(), LeakCollector.drain());
  }

  @Test
  void shouldNegotiateRandomLoginsWithoutExceptions() {
    Random rnd = new Random(SEED + 1);
    TargetCatalog catalog = new TargetCatalog();
    catalog.put(new TargetInfo(PortalHarness.TARGET, "vg1", List.of()));
    LoginStateMachine.Config config = new LoginStateMachine.Config(
        new TargetOffer(List.of("None", "CRC32C"), List.of("CRC32C"), 65536, 262144, 65536, 4, false, false),
        catalog, 1, 16384, NoAuthentication.FACTORY, tsih -> tsih % 2 == 0);
    int completed = 0;
    for (int i = 0; i < LOGIN_INPUTS; i++) {
      LoginStateMachine m = new LoginStateMachine(config);
      int requests = 1 + rnd.nextInt(4);
      try {
        for (int r = 0; r < requests; r++) {
          LoginRequest req = new LoginRequest(rnd.nextInt(3) > 0, rnd.nextInt(5) == 0, rnd.nextInt(4), rnd.nextInt(4),
              0, rnd.nextInt(10) == 0 ? 1 : 0, rnd.nextLong() & 0xffffffffffffL, rnd.nextInt(8) == 0 ? rnd.nextInt(65536) : 0,
              rnd.nextInt(), 1, rnd.nextInt(), rnd.nextInt(), randomText(rnd, r == 0));
          LoginStep step = m.onRequest(req);
          assertNotNull(step);
          if (step.kind() == LoginStep.Kind.FAIL) break;
          if (step.kind() == LoginStep.Kind.COMPLETE) {
            completed++;
            SessionParameters p = m.parameters();
            assertTrue(p.firstBurstLength() <= p.maxBurstLength());
            assertTrue(p.initiatorMaxRecvDataSegmentLength() >= 512);
            assertEquals(0, p.errorRecoveryLevel());
            break;
          }
        }
      } catch (RuntimeException e) {
        fail("seed " + SEED + " login " + i + ": " + e, e);
      }
    }
    assertTrue(completed > 0, "some random logins should complete");
  }

  @Test
  void shouldNegotiateRandomChapLoginsWithoutExceptions() {
    Random rnd = new Random(SEED + 3);
    TargetCatalog catalog = new TargetCatalog();
    catalog.put(new TargetInfo(PortalHarness.TARGET, "vg1", List.of(), new TargetAccess(Set.of("iqn.2026-01.fuzz:i"),
        ChapCredentials.of(CHAP_USER, CHAP_SECRET), ChapCredentials.of("fuzz-target", "fuzz-target-secret"))));
    LoginStateMachine.Config config = new LoginStateMachine.Config(
        new TargetOffer(List.of("None", "CRC32C"), List.of("CRC32C"), 65536, 262144, 65536, 4, false, false),
        catalog, 1, 16384, ChapAuthentication.factory(TargetAccess.OPEN, new SecureRandom()), tsih -> false);
    int authenticated = 0;
    for (int i = 0; i < LOGIN_INPUTS; i++) {
      LoginStateMachine m = new LoginStateMachine(config);
      try {
        // A well-formed start most of the time, so the fuzzing reaches the later CHAP steps.
        LoginStep step = m.onRequest(loginRequest(rnd, true, 0, 1, rnd.nextInt(8) > 0
            ? "InitiatorName=iqn.2026-01.fuzz:i\0TargetName=" + PortalHarness.TARGET + "\0AuthMethod=CHAP,None\0"
            : new String(randomText(rnd, true), StandardCharsets.UTF_8)));
        if (step.kind() != LoginStep.Kind.CONTINUE) continue;
        step = m.onRequest(loginRequest(rnd, false, 0, 1, rnd.nextInt(4) > 0 ? "CHAP_A=5\0"
            : new String(randomText(rnd, false), StandardCharsets.UTF_8)));
        if (step.kind() != LoginStep.Kind.CONTINUE) continue;
        Map<String, String> challenge = RawIscsiClient.parse(step.text());
        String reply;
        if (challenge.containsKey("CHAP_C") && rnd.nextInt(3) > 0) {
          byte[] c = java.util.HexFormat.of().parseHex(challenge.get("CHAP_C").substring(2));
          byte[] r = RawIscsiClient.md5(Integer.parseInt(challenge.get("CHAP_I")), CHAP_SECRET, c);
          if (rnd.nextInt(3) == 0) r[rnd.nextInt(r.length)] ^= 1;
          reply = "CHAP_N=" + CHAP_USER + "\0CHAP_R=0x" + java.util.HexFormat.of().formatHex(r) + "\0";
          if (rnd.nextBoolean()) reply += "CHAP_I=" + rnd.nextInt(300) + "\0CHAP_C=" + VALUES[rnd.nextInt(VALUES.length)] + "\0";
        } else {
          reply = new String(randomText(rnd, false), StandardCharsets.UTF_8);
        }
        step = m.onRequest(loginRequest(rnd, true, 0, 1, reply));
        assertNotNull(step);
        if (step.kind() == LoginStep.Kind.FAIL) {
          assertTrue(step.status() == 0x0201 || step.status() == 0x0200 || step.status() == 0x0302,
              String.format("status 0x%04x", step.status()));
        } else if (step.transit()) {
          authenticated++;
        }
      } catch (RuntimeException e) {
        fail("seed " + SEED + " login " + i + ": " + e, e);
      }
    }
    assertTrue(authenticated > 0, "some random CHAP logins should authenticate");
  }

  private static LoginRequest loginRequest(Random rnd, boolean transit, int csg, int nsg, String text) {
    return new LoginRequest(transit, false, csg, nsg, 0, 0, 0x400001370000L, 0, rnd.nextInt(), 1, 1, 0,
        text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldKeepServingWhileChapLoginsGoWrong() throws Exception {
    Random rnd = new Random(SEED + 4);
    TargetCatalog catalog = new TargetCatalog();
    catalog.put(new TargetInfo(PortalHarness.TARGET, "vg1", List.of(),
        new TargetAccess(Set.of(), ChapCredentials.of(CHAP_USER, CHAP_SECRET), null)));
    try (RamLunScsiService scsi = new RamLunScsiService(2048)) {
      IscsiPortal portal = new IscsiPortal(PortalHarness.settings(Duration.ofSeconds(2), Duration.ZERO), catalog, scsi,
          1, new PortalLimits(16384, 1 << 20, 4), ChapAuthentication.factory(TargetAccess.OPEN, new SecureRandom()));
      portal.start();
      try {
        RawIscsiClient good = RawIscsiClient.connect(portal.boundPort());
        good.loginChap(PortalHarness.TARGET, PortalHarness.keys(), CHAP_USER, CHAP_SECRET, null, null);
        for (int i = 0; i < CONNECTIONS; i++) {
          try (RawIscsiClient c = RawIscsiClient.connect(portal.boundPort())) {
            c.isid(0x400000000000L | i);
            String first = "InitiatorName=" + c.initiatorName + "\0TargetName=" + PortalHarness.TARGET
                + "\0AuthMethod=CHAP\0";
            c.loginPduRaw(true, false, 0, 1, 0, first.getBytes(StandardCharsets.UTF_8));
            c.loginPduRaw(false, false, 0, 1, 0, mutate(rnd, "CHAP_A=5\0".getBytes(StandardCharsets.UTF_8)));
            c.loginPduRaw(true, rnd.nextInt(6) == 0, 0, 1, 0, mutate(rnd, randomText(rnd, false)));
            drainBriefly(c);
          } catch (IOException e) {
            // refused or closed under us: expected
          }
        }
        for (int i = 0; i < 500 && portal.stats().connectionsActive() > 1; i++) Thread.sleep(10);
        assertEquals(1, portal.stats().connectionsActive(), "only the good session is left");
        assertEquals(1, portal.stats().sessionsActive());
        byte[] data = randomBytes(rnd, 4096);
        assertEquals(0, good.write(0, write10(0, 8), data).status());
        assertArrayEquals(data, good.read(0, read10(0, 8), data.length).dataIn());
        good.close();
      } finally {
        portal.close();
      }
    }
    assertEquals(List.of(), LeakCollector.drain());
    assertEquals(List.of(), WarningCollector.drain(), "seed " + SEED);
  }

  @Test
  void shouldKeepServingWhileConnectionsSendRandomPdus() throws Exception {
    Random rnd = new Random(SEED + 2);
    try (PortalHarness h = new PortalHarness(PortalHarness.settings(Duration.ofSeconds(2), Duration.ZERO),
        new PortalLimits(16384, 1 << 20, 4))) {
      for (int i = 0; i < CONNECTIONS; i++) {
        try (RawIscsiClient c = RawIscsiClient.connect(h.portal.boundPort())) {
          c.isid(0x400000000000L | i);
          switch (rnd.nextInt(3)) {
            case 0 -> c.sendRaw(randomBytes(rnd, 1 + rnd.nextInt(200)));
            case 1 -> c.sendRaw(mutate(rnd, loginPdu(c.initiatorName)));
            default -> {
              c.login(PortalHarness.TARGET, PortalHarness.keys());
              for (int k = 0, n = 1 + rnd.nextInt(6); k < n; k++) {
                c.sendRaw(mutate(rnd, fullFeaturePdu(rnd, c)));
              }
            }
          }
          drainBriefly(c);
        } catch (IOException e) {
          // the portal closed a misbehaving connection under us: expected
        }
      }
      for (int i = 0; i < 500 && h.portal.stats().connectionsActive() > 0; i++) Thread.sleep(10);
      assertEquals(0, h.portal.stats().connectionsActive(), "every fuzzed connection ended");
      assertTrue(h.portal.stats().protocolErrors() > 0);
      RawIscsiClient good = h.login();
      byte[] data = randomBytes(rnd, 40960);
      assertEquals(0, good.write(0, write10(0, 80), data).status());
      assertArrayEquals(data, good.read(0, read10(0, 80), data.length).dataIn());
      assertEquals(List.of(), WarningCollector.drain(), "seed " + SEED);
    }
  }

  // ---------------------------------------------------------------- generators

  private static void drainBriefly(RawIscsiClient c) throws IOException {
    c.closedByTarget(5);
  }

  private static byte[] randomBytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  /** One to three plausible PDUs (right lengths and digests) with a few bytes flipped. */
  private static byte[] mutatedStream(Random rnd, boolean hd, boolean dd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
      byte[] bhs = randomBytes(rnd, 48);
      bhs[4] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(3) : 0);
      int ahs = (bhs[4] & 0xff) * 4;
      int dsl = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(700);
      RawIscsiClient.putMedium(bhs, 5, dsl);
      byte[] header = Arrays.copyOf(bhs, 48 + ahs);
      out.writeBytes(header);
      if (hd) out.writeBytes(le(Crc32c.of(header)));
      if (dsl > 0) {
        byte[] data = Arrays.copyOf(randomBytes(rnd, dsl), (dsl + 3) & ~3);
        out.writeBytes(data);
        if (dd) out.writeBytes(le(Crc32c.of(data)));
      }
    }
    return mutate(rnd, out.toByteArray());
  }

  private static byte[] mutate(Random rnd, byte[] in) {
    byte[] b = in.clone();
    int flips = rnd.nextInt(4);
    for (int i = 0; i < flips && b.length > 0; i++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
    if (rnd.nextInt(8) == 0 && b.length > 1) b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncated
    return b;
  }

  private static byte[] le(int v) {
    return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
  }

  private static byte[] randomText(Random rnd, boolean first) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (first && rnd.nextInt(4) > 0) out.writeBytes("InitiatorName=iqn.2026-01.fuzz:i\0".getBytes(StandardCharsets.UTF_8));
    if (first && rnd.nextInt(3) > 0) out.writeBytes(("TargetName=" + PortalHarness.TARGET + "\0").getBytes(StandardCharsets.UTF_8));
    for (int n = rnd.nextInt(8); n > 0; n--) {
      String kv = KEYS[rnd.nextInt(KEYS.length)] + "=" + VALUES[rnd.nextInt(VALUES.length)];
      out.writeBytes(kv.getBytes(StandardCharsets.UTF_8));
      if (rnd.nextInt(20) > 0) out.write(0);
    }
    byte[] b = out.toByteArray();
    return rnd.nextInt(10) == 0 ? mutate(rnd, b) : b;
  }

  /** A leading Login Request as the raw client would send it. */
  private static byte[] loginPdu(String initiator) {
    byte[] text = ("InitiatorName=" + initiator + "\0TargetName=" + PortalHarness.TARGET
        + "\0AuthMethod=None\0").getBytes(StandardCharsets.UTF_8);
    byte[] bhs = new byte[48];
    bhs[0] = 0x43;
    bhs[1] = (byte) 0x81;
    RawIscsiClient.putMedium(bhs, 5, text.length);
    RawIscsiClient.putShort(bhs, 20, 1);
    return concat(bhs, Arrays.copyOf(text, (text.length + 3) & ~3));
  }

  /** A plausible full-feature PDU of a random kind. */
  private static byte[] fullFeaturePdu(Random rnd, RawIscsiClient c) {
    byte[] bhs;
    byte[] data = new byte[0];
    switch (rnd.nextInt(7)) {
      case 0 -> {
        bhs = c.scsiCommandBhs(0, read10(rnd.nextInt(4096), rnd.nextInt(64)), rnd.nextInt(65536), true, false,
            c.newItt(), rnd.nextBoolean(), true);
      }
      case 1 -> {
        data = randomBytes(rnd, 512 * rnd.nextInt(3));
        bhs = c.scsiCommandBhs(0, write10(rnd.nextInt(2048), 8), 4096, false, true, c.newItt(), false,
            rnd.nextBoolean());
      }
      case 2 -> {
        data = randomBytes(rnd, rnd.nextInt(4096));
        bhs = c.dataOutBhs(0, 0x100 + rnd.nextInt(8), rnd.nextInt(4) - 1, rnd.nextInt(3), 512 * rnd.nextInt(8),
            rnd.nextBoolean());
      }
      case 3 -> {
        bhs = new byte[48];
        bhs[0] = 0x04;
        bhs[1] = (byte) (rnd.nextBoolean() ? 0x80 : 0x40);
        RawIscsiClient.putInt(bhs, 16, c.newItt());
        RawIscsiClient.putInt(bhs, 20, rnd.nextBoolean() ? -1 : rnd.nextInt(4));
        RawIscsiClient.putInt(bhs, 24, c.cmdSn());
        data = "SendTargets=All\0".getBytes(StandardCharsets.UTF_8);
      }
      case 4 -> {
        bhs = new byte[48];
        bhs[0] = 0x42;
        bhs[1] = (byte) (0x80 | rnd.nextInt(12));
        RawIscsiClient.putInt(bhs, 16, c.newItt());
        RawIscsiClient.putInt(bhs, 20, 0x100 + rnd.nextInt(8));
        RawIscsiClient.putInt(bhs, 24, c.cmdSn());
      }
      case 5 -> {
        bhs = new byte[48];
        bhs[0] = (byte) (0x40 | rnd.nextInt(64));
        bhs[1] = (byte) 0x80;
        RawIscsiClient.putInt(bhs, 16, c.newItt());
        RawIscsiClient.putInt(bhs, 24, c.cmdSn());
      }
      default -> {
        bhs = new byte[48];
        bhs[0] = 0x40;
        bhs[1] = (byte) 0x80;
        RawIscsiClient.putInt(bhs, 16, rnd.nextBoolean() ? -1 : c.newItt());
        RawIscsiClient.putInt(bhs, 20, -1);
        data = randomBytes(rnd, rnd.nextInt(100));
      }
    }
    RawIscsiClient.putMedium(bhs, 5, data.length);
    return concat(bhs, Arrays.copyOf(data, (data.length + 3) & ~3));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
