package io.cairn.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Node identity, domains, cluster membership, the Aeron endpoint and the journal database. */
class ClusterSettingsTest {

  private static CairnSettings load(String overrides) {
    return CairnSettings.from(ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve());
  }

  @Test
  void shouldDeriveNodeIdAndBlockFromTheArteryEndpointWhenUnset() {
    CairnSettings s = load("cairn.cluster { host = \"10.0.0.7\", artery-port = 25530 }");

    assertEquals("node-10.0.0.7-25530", s.node().id());
    assertEquals("block-node-10.0.0.7-25530", s.node().block());
    assertEquals("rack-1", s.node().rack());
  }

  @Test
  void shouldDeriveAnIdFromAnIpv6HostWithOnlyAllowedCharacters() {
    assertEquals("node--1-25520", load("cairn.cluster.host = \"::1\"").node().id());
  }

  @Test
  void shouldKeepExplicitIdentityAndDomains() {
    CairnSettings s = load("cairn.node { id = n7, block = b2, rack = r1 }");

    assertEquals(new NodeSettings("n7", s.node().dataDir(), "b2", "r1"), s.node());
  }

  @Test
  void shouldReadSeedsInOrderAndIpv6Literals() {
    ClusterSettings c = load("cairn.cluster.seeds = [\"10.0.0.1:25520\", \"[fd00::2]:25521\", \"db.example:7\"]").cluster();

    assertEquals(List.of(new HostPort("10.0.0.1", 25520), new HostPort("fd00::2", 25521), new HostPort("db.example", 7)), c.seeds());
    assertEquals("[fd00::2]:25521", c.seeds().get(1).toString());
    assertTrue(c.joinsSeeds());
    assertFalse(load("").cluster().joinsSeeds(), "no seeds: the node founds its own cluster");
    assertEquals(Duration.ofSeconds(2), c.directoryRefreshInterval());
  }

  @Test
  void shouldPlaceTheAeronPortBesideTheArteryPortUnlessSet() {
    assertEquals(25620, load("").replication().aeronPort());
    assertEquals(13311, load("cairn.cluster.artery-port = 13211").replication().aeronPort());
    assertEquals(40000, load("cairn.replication.aeron-port = 40000").replication().aeronPort());
  }

  @Test
  void shouldSendEthernetSizedDatagramsUnlessToldOtherwise() {
    assertEquals(1408, load("").replication().mtu());
    assertEquals(8960, load("cairn.replication.mtu = 8960").replication().mtu());
  }

  @Test
  void shouldUseTheEmbeddedJournalUnderTheDataDirectoryByDefault() {
    JournalSettings j = load("cairn.node.data-dir = \"/tmp/cairn-j\"").journal();

    assertEquals(JournalSettings.Type.EMBEDDED, j.type());
    assertEquals("jdbc:h2:file:/tmp/cairn-j/journal/cairn;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0", j.url());
    assertEquals("slick.jdbc.H2Profile$", j.slickProfile());
    assertFalse(j.shared());
  }

  @Test
  void shouldTellTheJournalTypeFromItsUrl() {
    JournalSettings h2 = load("cairn.journal.url = \"jdbc:h2:tcp://127.0.0.1:13300/journal\"").journal();
    JournalSettings pg = load("cairn.journal { url = \"jdbc:postgresql://db:5432/cairn\", user = cairn, password = \"pw-123\" }").journal();

    assertEquals(JournalSettings.Type.H2_TCP, h2.type());
    assertEquals("org.h2.Driver", h2.driver());
    assertTrue(h2.shared());
    assertEquals(JournalSettings.Type.POSTGRES, pg.type());
    assertEquals("slick.jdbc.PostgresProfile$", pg.slickProfile());
    assertEquals("org.postgresql.Driver", pg.driver());
    assertEquals("pw-123", pg.password());
    assertFalse(pg.toString().contains("pw-123"), pg.toString());
  }

  @Test
  void shouldAcceptAnExplicitTypeThatAgreesWithTheUrl() {
    assertEquals(JournalSettings.Type.POSTGRES,
        load("cairn.journal { type = postgres, url = \"jdbc:postgresql://db/cairn\", user = u }").journal().type());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "cairn.node.id = \"-x\"                                        | node.id",
      "cairn.node.block = \"a b\"                                    | node.block",
      "cairn.node.rack = \"\"                                        | node.rack",
      "cairn.cluster.host = \"\"                                     | cluster.host",
      "cairn.cluster.artery-port = 0                                 | cluster.artery-port",
      "cairn.cluster.artery-port = 65536                             | cluster.artery-port",
      "cairn.cluster.seeds = [\"10.0.0.1\"]                          | cluster.seeds",
      "cairn.cluster.seeds = [\"10.0.0.1:0\"]                        | cluster.seeds",
      "cairn.cluster.seeds = [\"a:1\", \"a:1\"]                      | cluster.seeds",
      "cairn.cluster.directory-refresh-interval = 0s                 | cluster.directory-refresh-interval",
      "cairn.cluster.artery-port = 65500                             | replication.aeron-port",
      "cairn.replication.aeron-port = 70000                          | replication.aeron-port",
      "cairn.replication.mtu = 512                                   | replication.mtu",
      "cairn.replication.mtu = 65536                                 | replication.mtu",
      "cairn.replication.mtu = 9000                                  | replication.mtu",
      "cairn.journal.type = mysql                                    | journal.type",
      "cairn.journal.url = \"jdbc:mysql://db/cairn\"                 | journal.url",
      "cairn.journal { type = h2-tcp }                               | journal.url",
      "cairn.journal { type = postgres, url = \"jdbc:h2:tcp://h/x\" } | journal.url",
      "cairn.journal { type = embedded, url = \"jdbc:h2:tcp://h/x\" } | journal.url",
      "cairn.journal { url = \"jdbc:postgresql://db/c\", user = \"\" } | journal.user",
      "cairn.journal.max-connections = 0                             | journal.max-connections",
      "cairn.journal.profile = \"slick.jdbc.H2Profile$\"             | journal",
      "cairn.management.port = 25520                                 | management.port",
      "cairn.iscsi.port = 8558                                       | management.port",
      "cairn.iscsi { host = \"0.0.0.0\", port = 25520 }              | iscsi.port",
  })
  void shouldRejectInvalidClusterSettingNamingIt(String override, String path) {
    SettingsException e = assertThrows(SettingsException.class, () -> load(override));
    assertTrue(e.getMessage().contains("cairn." + path), e.getMessage());
  }

  @Test
  void shouldAllowOnePortOnTwoDifferentAddresses() {
    CairnSettings s = load("cairn.management { host = \"10.0.0.1\", port = 25520 }");

    assertEquals(25520, s.management().port());
  }

  @Test
  void shouldNameBothSettingsOfAPortClash() {
    SettingsException e = assertThrows(SettingsException.class, () -> load("cairn.management.port = 25520"));

    assertEquals("invalid setting cairn.management.port: port 25520 on 127.0.0.1 is also cairn.cluster.artery-port (127.0.0.1)",
        e.getMessage());
  }

  @Test
  void shouldResolveTheDataDirectoryOfTheEmbeddedJournal() {
    assertEquals(Path.of("/tmp/x").toAbsolutePath(), load("cairn.node.data-dir = \"/tmp/x\"").node().dataDir());
  }
}
