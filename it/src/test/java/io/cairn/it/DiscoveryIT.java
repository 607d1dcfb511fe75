package io.cairn.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import io.cairn.datapath.scsi.sense.SenseCode;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Discovery and capacity through libiscsi's command-line tools against one real node: the target
 * and its LUNs as iscsi-ls lists them, standard INQUIRY as iscsi-inq prints it, READ CAPACITY(16)
 * as iscsi-readcapacity16 prints it, and a petabyte vDisk created through the API whose last block
 * is written and read back through qemu-io.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DiscoveryIT {

  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

  @RegisterExtension
  static final CairnNodes NODES = new CairnNodes();

  private static CairnProcess node;

  @BeforeAll
  static void startNode() {
    node = NODES.start("node");
  }

  @Test
  void shouldListTheDemoTargetAndItsLunWithSize() {
    String out = Exec.run(TOOL_TIMEOUT, "iscsi-ls", "-s", "iscsi://" + node.portal() + "/").assertOk("iscsi-ls").stdout();

    assertTrue(out.contains("Target:" + CairnProcess.DEMO_IQN + " Portal:" + node.portal() + ",1"), out);
    // iscsi-ls prints READ CAPACITY(10)'s last LBA x block length, truncated to whole units:
    // (8388607 x 512) B = 4 GiB - 512 B is "3G". A target answering the block count instead of the
    // last LBA would print "4G".
    assertTrue(Pattern.compile("(?m)^Lun:0\\s+Type:DIRECT_ACCESS \\(Size:3G\\)$").matcher(out).find(), out);
  }

  @Test
  void shouldAnswerInquiryAsCairnDirectAccessDevice() {
    String out = Exec.run(TOOL_TIMEOUT, "iscsi-inq", node.url(0)).assertOk("iscsi-inq").stdout();

    assertTrue(out.contains("Peripheral Device Type:DIRECT_ACCESS"), out);
    assertTrue(Pattern.compile("(?m)^Vendor:CAIRN\\s*$").matcher(out).find(), out);
    assertTrue(Pattern.compile("(?m)^Product:" + CairnProcess.DEMO_VDISK + "\\s*$").matcher(out).find(), out);
    assertTrue(out.contains("Version Descriptor:0460 SPC-4"), out);
  }

  @Test
  void shouldReportFourGibibytesOf512ByteBlocks() {
    String out = Exec.run(TOOL_TIMEOUT, "iscsi-readcapacity16", node.url(0)).assertOk("iscsi-readcapacity16").stdout();

    assertTrue(out.contains("RETURNED LOGICAL BLOCK ADDRESS:8388607\n"), out);
    assertTrue(out.contains("LOGICAL BLOCK LENGTH IN BYTES:512\n"), out);
    assertTrue(out.contains("Total size:" + CairnProcess.DEMO_SIZE_BYTES + "\n"), out);
  }

  @Test
  void shouldExportAPetabyteVDiskCreatedThroughTheApiAndKeepItsLastBlock() throws Exception {
    long size = 1L << 50;
    long lastLba = size / 512 - 1;
    JsonNode created = node.createVDisk("petabyte", "1P");
    try {
      assertEquals(size, created.get("sizeBytes").asLong(), created.toString());
      int lun = created.get("lun").asInt();
      assertEquals(node.url(lun), created.get("url").asText());

      String rc = Exec.run(TOOL_TIMEOUT, "iscsi-readcapacity16", node.url(lun)).assertOk("iscsi-readcapacity16").stdout();
      assertTrue(rc.contains("RETURNED LOGICAL BLOCK ADDRESS:" + lastLba + "\n"), rc);
      assertTrue(rc.contains("LOGICAL BLOCK LENGTH IN BYTES:512\n"), rc);
      assertTrue(rc.contains("Total size:" + size + "\n"), rc);
      String ls = Exec.run(TOOL_TIMEOUT, "iscsi-ls", "-s", "iscsi://" + node.portal() + "/").assertOk("iscsi-ls").stdout();
      assertTrue(Pattern.compile("(?m)^Lun:" + lun + "\\s+Type:DIRECT_ACCESS").matcher(ls).find(), ls);

      long last = size - 512;
      QemuIo.run(node.url(lun), List.of(
          QemuIo.write(0x5a, last, 512),
          QemuIo.readExpect(0x5a, last, 512),
          QemuIo.readExpect(0, last - 4096, 4096)), TOOL_TIMEOUT).assertClean("last block of 1 PiB", 1, 2);
      // A new qemu-io process (a new session) reads what the first one wrote.
      QemuIo.run(node.url(lun), List.of(QemuIo.readExpect(0x5a, last, 512)), TOOL_TIMEOUT)
          .assertClean("last block of 1 PiB, second session", 0, 1);

      try (IscsiDisk disk = IscsiDisk.login(node.iscsiPort, CairnProcess.DEMO_IQN, lun, "petabyte")) {
        assertArrayEquals(new long[] {lastLba, 512}, disk.readCapacity16());
        byte[] expected = new byte[512];
        Arrays.fill(expected, (byte) 0x5a);
        assertArrayEquals(expected, disk.read(last, 512));
        ScsiResult beyond = disk.read16(lastLba, 2);
        assertEquals(IscsiDisk.STATUS_CHECK_CONDITION, beyond.status(), IscsiDisk.describe(beyond));
        assertEquals(sense(SenseCode.LBA_OUT_OF_RANGE), IscsiDisk.sense(beyond));
      }
    } finally {
      node.api("DELETE", "/api/vdisks/petabyte", null);
    }
    assertNull(node.get("/api/vdisks/petabyte"), "deleted vDisk still listed");
    assertNotNull(node.get("/api/vdisks/" + CairnProcess.DEMO_VDISK));
  }

  static IscsiDisk.Sense sense(SenseCode c) {
    return new IscsiDisk.Sense(c.key(), c.asc(), c.ascq());
  }
}
