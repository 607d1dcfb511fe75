package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.Pdu;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input never takes down the node or another session (ARCHITECTURE.md invariant 5): bad CDBs
 * get CHECK CONDITION with the proper ILLEGAL REQUEST sense and the session goes on; malformed PDUs
 * cost only their own connection; bad JSON and unknown names get a 4xx JSON error from the API.
 * All of it runs against one node while other sessions read and write.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BadInputIT {

  private static final long LAST_LBA = CairnProcess.DEMO_SIZE_BYTES / CairnProcess.BLOCK - 1;

  @RegisterExtension
  static final CairnNodes NODES = new CairnNodes();

  private static CairnProcess node;

  @BeforeAll
  static void startNode() {
    node = NODES.start("node");
  }

  /** A bad CDB and the sense it must get. */
  static Stream<Arguments> badCdbs() {
    return Stream.of(
        Arguments.of("unknown opcode EEh", cdb(0xEE, 6), SenseCode.INVALID_COMMAND_OPERATION_CODE),
        Arguments.of("unknown opcode 02h", cdb(0x02, 6), SenseCode.INVALID_COMMAND_OPERATION_CODE),
        Arguments.of("READ(10) across the last LBA", RawIscsiClient.read10((int) LAST_LBA, 2), SenseCode.LBA_OUT_OF_RANGE),
        Arguments.of("READ(10) one past the last LBA", RawIscsiClient.read10((int) LAST_LBA + 1, 1), SenseCode.LBA_OUT_OF_RANGE),
        Arguments.of("READ(16) at LBA 2^55 (byte offset 2^64 wraps to 0)", IscsiDisk.cdb16(0x88, 1L << 55, 1), SenseCode.LBA_OUT_OF_RANGE),
        Arguments.of("READ(16) at LBA 2^54 (byte offset 2^63 is negative)", IscsiDisk.cdb16(0x88, 1L << 54, 1), SenseCode.LBA_OUT_OF_RANGE),
        Arguments.of("READ(16) at LBA FFFFFFFFFFFFFFFFh", IscsiDisk.cdb16(0x88, -1L, 1), SenseCode.LBA_OUT_OF_RANGE),
        Arguments.of("TEST UNIT READY, reserved byte 4 bit 7", set(cdb(0x00, 6), 4, 0x80), SenseCode.INVALID_FIELD_IN_CDB),
        Arguments.of("READ(10), reserved bits in byte 6", set(RawIscsiClient.read10(0, 1), 6, 0xC0), SenseCode.INVALID_FIELD_IN_CDB),
        Arguments.of("INQUIRY, page code without EVPD", set(RawIscsiClient.inquiry(96), 2, 0x80), SenseCode.INVALID_FIELD_IN_CDB));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCdbs")
  void shouldAnswerABadCdbWithIllegalRequestAndKeepTheSession(String what, byte[] cdb, SenseCode expected) throws Exception {
    try (IscsiDisk a = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, 0, "cdb-" + Integer.toHexString(what.hashCode()))) {
      ScsiResult r = a.command(cdb, cdb[0] == 0x28 || cdb[0] == (byte) 0x88 ? 512 : cdb[0] == 0x12 ? 96 : 0);
      assertEquals(IscsiDisk.STATUS_CHECK_CONDITION, r.status(), what + ": " + IscsiDisk.describe(r));
      assertEquals(sense(expected), IscsiDisk.sense(r), what);
      assertSessionWorks(a, 3L << 30, new SplittableRandom(what.hashCode()));
    }
  }

  @Test
  void shouldRejectAWriteBeyondTheEndOfTheDiskWithoutWritingAnything() throws Exception {
    try (IscsiDisk a = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, 0, "write-beyond")) {
      byte[] before = a.read((LAST_LBA - 1) * CairnProcess.BLOCK, 2 * CairnProcess.BLOCK);
      byte[] data = new byte[4 * CairnProcess.BLOCK];
      java.util.Arrays.fill(data, (byte) 0x77);
      ScsiResult r = a.writeCommand(RawIscsiClient.write10((int) LAST_LBA - 1, 4), data);
      assertEquals(IscsiDisk.STATUS_CHECK_CONDITION, r.status(), IscsiDisk.describe(r));
      assertEquals(sense(SenseCode.LBA_OUT_OF_RANGE), IscsiDisk.sense(r));
      assertArrayEquals(before, a.read((LAST_LBA - 1) * CairnProcess.BLOCK, 2 * CairnProcess.BLOCK),
          "the in-range blocks of the rejected write changed");
      assertSessionWorks(a, 3L << 30, new SplittableRandom(7));
    }
  }

  @Test
  void shouldConfineMalformedPdusToTheirConnectionWhileOtherSessionsKeepWorking() throws Exception {
    // Session B: qemu-io writing and verifying patterns, queue depth 1, for the whole test.
    List<String> script = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      long off = (1L << 30) + (i % 64) * 65536L;
      script.add(QemuIo.write(i % 255 + 1, off, 65536));
      script.add(QemuIo.readExpect(i % 255 + 1, off, 65536));
    }
    CompletableFuture<QemuIo.Outcome> sessionB = CompletableFuture.supplyAsync(
        () -> QemuIo.run(node.url(0), script, Duration.ofMinutes(3)));
    long errorsBefore = node.get("/api/status").get("portal").get("protocolErrors").asLong();

    SplittableRandom random = new SplittableRandom(0xBAD1_4407L);
    try (IscsiDisk a = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, 0, "session-a")) {
      int rounds = 0;
      while (!sessionB.isDone() || rounds < 3) {
        rounds++;
        // Session A: bad CDBs, each answered, then good I/O on the same session.
        for (Arguments bad : badCdbs().toList()) {
          byte[] cdb = (byte[]) bad.get()[1];
          ScsiResult r = a.command(cdb, cdb[0] == 0x28 || cdb[0] == (byte) 0x88 ? 512 : cdb[0] == 0x12 ? 96 : 0);
          assertEquals(sense((SenseCode) bad.get()[2]), IscsiDisk.sense(r), bad.get()[0] + " in round " + rounds);
        }
        assertSessionWorks(a, (2L << 30) + rounds * 65536L, random);

        // Connection C: each kind of malformed PDU, each on its own connection.
        assertClosedAfter("a BHS of garbage before login", c -> {
          byte[] junk = new byte[48];
          random.nextBytes(junk);
          junk[0] = 0x3F; // never a Login Request
          junk[4] = 0; // no AHS and no data segment: the 48 bytes are a whole PDU, so the target
          junk[5] = 0; // judges it now rather than waiting for more bytes (until the login timeout)
          junk[6] = 0;
          junk[7] = 0;
          c.sendRaw(junk);
        });
        assertClosedAfter("garbage declaring a data segment above 8192 bytes during login", c -> {
          byte[] junk = new byte[48 + 512];
          random.nextBytes(junk);
          junk[5] = (byte) (0x01 | junk[5]); // DataSegmentLength >= 64 KiB
          c.sendRaw(junk);
        });
        assertClosedAfter("a Text Request before login", c -> c.send(textBhs(), new byte[0]));
        assertClosedAfter("garbage after a full-feature login", c -> {
          login(c, "garbage");
          byte[] junk = new byte[48 + 4096];
          random.nextBytes(junk);
          junk[0] = 0x01;
          junk[4] = 0;
          junk[5] = (byte) 0xFF; // DataSegmentLength >= 16 MiB: far above any MaxRecvDataSegmentLength
          c.sendRaw(junk);
        });
        assertClosedAfter("a data segment above MaxRecvDataSegmentLength", c -> {
          login(c, "oversize");
          int mrdsl = Integer.parseInt(c.negotiated.getOrDefault("MaxRecvDataSegmentLength", "8192"));
          byte[] bhs = c.scsiCommandBhs(0, RawIscsiClient.write10(0, 1024), 1024 * 512, false, true, c.newItt(), false, true);
          c.send(bhs, new byte[mrdsl + 4096]);
        });
        assertClosedAfter("half a BHS, then nothing", c -> {
          login(c, "half");
          c.sendRaw(new byte[24]);
          c.close();
        });
        // An undefined opcode in full feature phase: Reject, reason Command not supported (RFC
        // 7143 section 11.17.1), carrying the rejected BHS; the session goes on.
        try (RawIscsiClient c = RawIscsiClient.connect(node.iscsiPort)) {
          login(c, "bad-opcode");
          byte[] bhs = new byte[48];
          bhs[0] = 0x0F;
          bhs[1] = (byte) 0x80;
          RawIscsiClient.putInt(bhs, 16, c.newItt());
          c.send(bhs, new byte[0]);
          Pdu reject = c.read();
          assertEquals(0x3F, reject.opcode(), "answer to opcode 0Fh");
          assertEquals(0x05, reject.byteAt(2), "Reject reason");
          assertEquals(0x0F, reject.data()[0] & 0x3F, "the Reject carries the rejected BHS");
          ScsiResult tur = c.read(0, new byte[6], 0);
          assertEquals(IscsiDisk.STATUS_GOOD, tur.status(), "TEST UNIT READY after the Reject: " + IscsiDisk.describe(tur));
        }
      }
      assertSessionWorks(a, 2L << 30, random);
    }

    sessionB.get(3, TimeUnit.MINUTES).assertClean("session B beside the bad input", 400, 400);
    JsonNode status = node.get("/api/status");
    assertNotNull(status, "the API stopped answering");
    assertTrue(node.isAlive(), "node died");
    assertTrue(status.get("portal").get("protocolErrors").asLong() > errorsBefore, "protocol errors not counted: " + status.get("portal"));
  }

  @Test
  void shouldAnswerBadApiRequestsWithJsonErrorsAndChangeNothing() {
    int vdisksBefore = node.get("/api/vdisks").size();
    assertApiError(400, "POST", "/api/vdisks", "{not json");
    assertApiError(400, "POST", "/api/vdisks", "[1, 2]");
    assertApiError(400, "POST", "/api/vdisks", "{\"name\": \"x\"}");
    assertApiError(400, "POST", "/api/vdisks", "{\"name\": 7, \"size\": \"1G\"}");
    assertApiError(400, "POST", "/api/vdisks", "{\"name\": \"x\", \"size\": \"12Q\"}");
    assertApiError(400, "POST", "/api/vdisks", "{\"name\": \"x\", \"size\": -4096}");
    assertApiError(400, "POST", "/api/vdisks", "{\"name\": \"x\", \"size\": \"8E\"}");
    assertApiError(400, "POST", "/api/vdisks", "{\"name\": \"x\", \"size\": 1000}");
    assertApiError(400, "POST", "/api/vdisks", "{\"name\": \"../x\", \"size\": \"1G\"}");
    assertApiError(404, "POST", "/api/vdisks", "{\"name\": \"x\", \"size\": \"1G\", \"volumeGroup\": \"no-such-group\"}");
    assertApiError(409, "POST", "/api/vdisks", "{\"name\": \"" + CairnProcess.DEMO_VDISK + "\", \"size\": \"1G\"}");
    assertApiError(404, "GET", "/api/vdisks/no-such-vdisk", null);
    assertApiError(404, "DELETE", "/api/vdisks/no-such-vdisk", null);
    assertApiError(404, "GET", "/api/no-such-resource", null);

    assertEquals(vdisksBefore, node.get("/api/vdisks").size(), "a rejected request created a vDisk");
    assertNotNull(node.get("/api/vdisks/" + CairnProcess.DEMO_VDISK));
  }

  @Test
  void shouldAnswerAMethodTheResourceDoesNotSupportWith405() {
    // ApiRoutes maps a MethodRejection to 405 METHOD_NOT_ALLOWED ("use GET").
    assertApiError(405, "PUT", "/api/status", "{}");
    assertApiError(405, "DELETE", "/api/vdisks", null);
  }

  // ---------------------------------------------------------------- helpers

  private static void assertApiError(int status, String method, String path, String body) {
    CairnProcess.ApiResponse r = node.api(method, path, body);
    String what = method + " " + path + (body == null ? "" : " " + body);
    assertEquals(status, r.status(), what + " -> " + r.body());
    assertNotNull(r.json(), what + ": error body is not JSON: " + r.body());
    assertTrue(r.json().path("error").isTextual() && !r.json().path("error").asText().isEmpty(), what + ": " + r.body());
    assertTrue(r.json().path("message").isTextual() && !r.json().path("message").asText().isEmpty(), what + ": " + r.body());
  }

  /** TEST UNIT READY, then a 4 KiB write and its read-back at {@code offset}, all GOOD and exact. */
  private static void assertSessionWorks(IscsiDisk disk, long offset, SplittableRandom random) throws IOException {
    ScsiResult tur = disk.testUnitReady();
    assertEquals(IscsiDisk.STATUS_GOOD, tur.status(), "TEST UNIT READY: " + IscsiDisk.describe(tur));
    byte[] data = new byte[4096];
    random.nextBytes(data);
    disk.write(offset, data);
    assertArrayEquals(data, disk.read(offset, data.length), "read-back at " + offset);
  }

  private interface ConnectionAction {
    void run(RawIscsiClient c) throws IOException;
  }

  /** Opens a connection, does {@code action}, and asserts the target closes it. */
  private static void assertClosedAfter(String what, ConnectionAction action) throws IOException {
    try (RawIscsiClient c = RawIscsiClient.connect(node.iscsiPort)) {
      action.run(c);
      if (what.startsWith("half")) return; // we closed it ourselves; the node must simply carry on
      assertTrue(c.closedByTarget(10_000), what + ": the target kept the connection open");
    } catch (java.net.SocketException resetWhileSending) {
      // the target closed the connection before we finished sending: closed, as required
    }
  }

  private static final java.util.concurrent.atomic.AtomicLong ISIDS = new java.util.concurrent.atomic.AtomicLong(0x400001380000L);

  private static void login(RawIscsiClient c, String name) throws IOException {
    c.isid(ISIDS.getAndIncrement());
    c.initiatorName = "iqn.2026-01.io.cairn.it:bad-" + name;
    c.login(CairnProcess.DEMO_IQN, Map.of());
  }

  private static byte[] textBhs() {
    byte[] bhs = new byte[48];
    bhs[0] = 0x04;
    bhs[1] = (byte) 0x80;
    RawIscsiClient.putInt(bhs, 16, 1);
    RawIscsiClient.putInt(bhs, 20, RawIscsiClient.RESERVED);
    return bhs;
  }

  private static byte[] cdb(int opcode, int length) {
    byte[] c = new byte[length];
    c[0] = (byte) opcode;
    return c;
  }

  private static byte[] set(byte[] cdb, int index, int bits) {
    cdb[index] |= (byte) bits;
    return cdb;
  }

  static IscsiDisk.Sense sense(SenseCode c) {
    return new IscsiDisk.Sense(c.key(), c.asc(), c.ascq());
  }
}
