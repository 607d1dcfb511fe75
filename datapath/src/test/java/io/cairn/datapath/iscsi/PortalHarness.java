package io.cairn.datapath.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.config.IscsiSettings;
import io.cairn.datapath.iscsi.fixture.LeakCollector;
import io.cairn.datapath.iscsi.fixture.RamLunScsiService;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.iscsi.fixture.WarningCollector;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test harness: a portal on 127.0.0.1 (ephemeral port) over the {@link RamLunScsiService} fixture,
 * with small negotiation values so that every Data-Out and Data-In path shows up with small I/O:
 * target MaxRecvDataSegmentLength 8192, MaxBurstLength 32768, FirstBurstLength 16384,
 * MaxOutstandingR2T 2, InitialR2T=No, ImmediateData=Yes.
 */
final class PortalHarness implements AutoCloseable {

  static final String TARGET = "iqn.2026-11.io.cairn:vg1";
  static final String OTHER_TARGET = "iqn.2026-11.io.cairn:vg2";
  static final int PORTAL_GROUP_TAG = 3;
  static final int TARGET_MRDSL = 8192;
  static final int MAX_BURST = 32768;
  static final int FIRST_BURST = 16384;

  final RamLunScsiService scsi;
  final TargetCatalog catalog = new TargetCatalog();
  final IscsiPortal portal;
  private final List<RawIscsiClient> clients = new ArrayList<>();

  PortalHarness() {
    this(settings(Duration.ofSeconds(5), Duration.ZERO), PortalLimits.DEFAULTS);
  }

  PortalHarness(IscsiSettings settings, PortalLimits limits) {
    scsi = new RamLunScsiService(2048); // 1 MiB LUN 0
    catalog.put(new TargetInfo(TARGET, "vg1", List.of()));
    catalog.put(new TargetInfo(OTHER_TARGET, "vg2", List.of()));
    portal = new IscsiPortal(settings, catalog, scsi, PORTAL_GROUP_TAG, limits,
        io.cairn.datapath.iscsi.login.NoAuthentication.FACTORY);
    portal.start();
  }

  static IscsiSettings settings(Duration loginTimeout, Duration nopIn) {
    return new IscsiSettings("127.0.0.1", 0, "iqn.2026-11.io.cairn", 2, TARGET_MRDSL, MAX_BURST, FIRST_BURST, 2, true,
        false, List.of("None", "CRC32C"), List.of("None", "CRC32C"), loginTimeout, 16, nopIn);
  }

  /** The keys a test client offers by default: everything the target offers, no digests. */
  static Map<String, String> keys() {
    Map<String, String> k = new LinkedHashMap<>();
    k.put("HeaderDigest", "None");
    k.put("DataDigest", "None");
    k.put("InitialR2T", "No");
    k.put("ImmediateData", "Yes");
    k.put("MaxBurstLength", "1048576");
    k.put("FirstBurstLength", "262144");
    k.put("MaxOutstandingR2T", "8");
    k.put("ErrorRecoveryLevel", "0");
    k.put("MaxConnections", "1");
    return k;
  }

  RawIscsiClient connect() throws IOException {
    RawIscsiClient c = RawIscsiClient.connect(portal.boundPort());
    clients.add(c);
    return c;
  }

  RawIscsiClient login() throws IOException {
    return login(keys());
  }

  RawIscsiClient login(Map<String, String> keys) throws IOException {
    RawIscsiClient c = connect();
    c.login(TARGET, keys);
    return c;
  }

  @Override
  public void close() throws Exception {
    for (RawIscsiClient c : clients) c.close();
    portal.close();
    scsi.close();
    assertEquals(List.of(), LeakCollector.drain(), "Netty reported leaked buffers");
    assertEquals(List.of(), WarningCollector.drain(), "the portal logged unexpected failures");
  }
}
