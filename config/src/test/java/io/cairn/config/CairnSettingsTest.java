package io.cairn.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CairnSettingsTest {

  private static CairnSettings load(String overrides) {
    Config c = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
    return CairnSettings.from(c);
  }

  @Test
  void shouldLoadDefaultsWithAosValues() {
    CairnSettings s = load("");
    assertEquals(1536 * 1024, s.vdisk().oplogSkipMinOutstandingWriteBytes());
    assertEquals(3260, s.iscsi().port());
    assertEquals("127.0.0.1", s.iscsi().host());
    assertEquals(8558, s.management().port());
    assertEquals(1 << 20, s.extentStore().extentSizeBytes());
    assertEquals(4096, s.extentStore().sliceSizeBytes());
    assertEquals(4L << 20, s.extentStore().egroupSizeBytes());
    assertEquals(6L << 30, s.oplog().maxVDiskBytes());
    assertEquals(4L << 30, s.demo().vdiskSizeBytes());
    assertEquals(512, s.vdisk().logicalBlockSize());
    assertEquals(4096, s.vdisk().physicalBlockSize());
    assertEquals(1, s.disks().size(), "one default disk when none is configured");
    assertTrue(s.disks().get(0).path().startsWith(s.node().dataDir()));
    assertEquals(0.75, s.capacity().resilientThreshold(), "usage warning at 75% of the resilient capacity");
    assertEquals(256, s.events().bufferSize());
    assertEquals(java.time.Duration.ofSeconds(15), s.events().keepAlive());
  }

  @Test
  void shouldResolveDisksUnderDataDir() {
    CairnSettings s = load("""
        cairn.node.data-dir = "/tmp/cairn-x"
        cairn.disks = [ { id = ssd-a, path = "d/a", tier = ssd, capacity = 10G },
                        { id = hdd-b, path = "/abs/b", tier = HDD, capacity = 1T } ]
        """);
    assertEquals("/tmp/cairn-x/d/a", s.disks().get(0).path().toString());
    assertEquals("/abs/b", s.disks().get(1).path().toString());
    assertEquals(DiskSettings.Tier.HDD, s.disks().get(1).tier());
    assertEquals(1L << 40, s.disks().get(1).capacityBytes());
  }

  @Test
  void shouldReadAdditionalPortalsGivingMissingTagsTheNextFreeOne() {
    IscsiSettings s = load("""
        cairn.iscsi.port = 3260
        cairn.iscsi.additional-portals = ["127.0.0.1:3262,7", "0.0.0.0:3261", "[::1]:3263"]
        """).iscsi();

    assertEquals(1, s.portalGroupTag());
    assertEquals(java.util.List.of(new IscsiSettings.Portal("127.0.0.1", 3262, 7), new IscsiSettings.Portal("0.0.0.0", 3261, 2),
        new IscsiSettings.Portal("::1", 3263, 3)), s.additionalPortals());
    assertEquals(java.util.List.of(), load("").iscsi().additionalPortals(), "one portal by default");
  }

  @Test
  void shouldReadDiscoveryChapAndNeverPrintItsSecrets() {
    IscsiSettings s = load("""
        cairn.iscsi.discovery-chap { user = disc, secret = "discovery-secret", mutual-user = cairn, mutual-secret = "target-secret-x" }
        """).iscsi();

    assertTrue(s.discoveryChap().enabled());
    assertTrue(s.discoveryChap().mutual());
    assertEquals("discovery-secret", s.discoveryChap().secret());
    assertTrue(!s.toString().contains("discovery-secret") && !s.toString().contains("target-secret-x"), s.toString());
    assertTrue(!load("").iscsi().discoveryChap().enabled(), "discovery is open by default");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "cairn.iscsi.port = 70000                         | iscsi.port",
      "cairn.iscsi.first-burst-length = 2097152         | iscsi.first-burst-length",
      "cairn.iscsi.max-recv-data-segment-length = 100   | iscsi.max-recv-data-segment-length",
      "cairn.iscsi.header-digest = [MD5]                | iscsi.header-digest",
      "cairn.extent-store.extents-per-egroup = 5        | extent-store.extents-per-egroup",
      "cairn.extent-store.slice-size = 3000             | extent-store.slice-size",
      "cairn.vdisk.logical-block-size = 1000            | vdisk.logical-block-size",
      "cairn.oplog.max-vdisk-bytes = 1M                 | oplog.max-vdisk-bytes",
      "cairn.node.id = \"bad id\"                       | node.id",
      "cairn.disks = [ { id = a, path = a, capacity = 1G }, { id = a, path = b, capacity = 1G } ] | disks",
      "cairn.iscsi.portal-group-tag = 0                 | iscsi.portal-group-tag",
      "cairn.iscsi.additional-portals = [\"127.0.0.1\"]   | iscsi.additional-portals",
      "cairn.iscsi.additional-portals = [\"127.0.0.1:3261,1\"] | iscsi.additional-portals",
      "cairn.iscsi.additional-portals = [\"127.0.0.1:3260\"] | iscsi.additional-portals",
      "cairn.iscsi.discovery-chap.user = u              | iscsi.discovery-chap",
      "cairn.iscsi.discovery-chap { user = u, secret = short }  | iscsi.discovery-chap",
      "cairn.iscsi.discovery-chap { user = u, secret = twelve-chars, mutual-user = t, mutual-secret = twelve-chars } | iscsi.discovery-chap",
      "cairn.capacity.resilient-threshold = 0           | capacity.resilient-threshold",
      "cairn.capacity.resilient-threshold = 1.5         | capacity.resilient-threshold",
      "cairn.events.buffer-size = 0                     | events.buffer-size",
      "cairn.events.keep-alive = 0s                     | events.keep-alive",
      "cairn.events.keep-alive = 31s                    | events.keep-alive",
  })
  void shouldRejectInvalidSettingNamingIt(String override, String path) {
    SettingsException e = assertThrows(SettingsException.class, () -> load(override));
    assertTrue(e.getMessage().contains("cairn." + path), e.getMessage());
  }
}
