package io.cairn.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.cairn.config.CairnSettings;
import io.cairn.config.HostPort;
import io.cairn.config.JournalSettings;
import io.cairn.config.SettingsException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code cairn up}'s flags as the node reads them: settings, and the Pekko configuration made of them. */
class UpCommandTest {

  private static Config resolve(String... args) {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs(args);
    return up.resolve();
  }

  private static CairnSettings settings(String... args) {
    return CairnSettings.from(resolve(args));
  }

  @Test
  void shouldTakeIdentityDomainsSeedsAndPortsFromFlags() {
    CairnSettings s = settings("--data-dir", "/tmp/cairn-up-test", "--node-id", "n2", "--block", "b2", "--rack", "r1",
        "--artery-port", "13320", "--aeron-port", "13321", "--seed", "127.0.0.1:13310", "--seed", "127.0.0.1:13320");

    assertEquals("n2", s.node().id());
    assertEquals("b2", s.node().block());
    assertEquals("r1", s.node().rack());
    assertEquals(List.of(new HostPort("127.0.0.1", 13310), new HostPort("127.0.0.1", 13320)), s.cluster().seeds());
    assertEquals(13321, s.replication().aeronPort());
  }

  @Test
  void shouldDeriveTheNodeIdAndBlockFromHostAndArteryPort() {
    CairnSettings s = settings("--data-dir", "/tmp/cairn-up-test", "--host", "127.0.0.1", "--artery-port", "13330");

    assertEquals("node-127.0.0.1-13330", s.node().id());
    assertEquals("block-node-127.0.0.1-13330", s.node().block());
    assertEquals(13430, s.replication().aeronPort());
  }

  @Test
  void shouldPointArteryAtTheClusterHostAndPort() {
    Config c = resolve("--data-dir", "/tmp/cairn-up-test", "--host", "127.0.0.1", "--artery-port", "13340");

    assertEquals("127.0.0.1", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(13340, c.getInt("pekko.remote.artery.canonical.port"));
  }

  @Test
  void shouldUseAnEmbeddedJournalUnderTheDataDirectoryByDefault() {
    CairnSettings s = settings("--data-dir", "/tmp/cairn-up-test");
    Config db = CairnNode.journalConfig(s.journal()).getConfig("pekko-persistence-jdbc.shared-databases.cairn");

    assertEquals("slick.jdbc.H2Profile$", db.getString("profile"));
    assertEquals("jdbc:h2:file:/tmp/cairn-up-test/journal/cairn;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0", db.getString("db.url"));
    assertEquals("org.h2.Driver", db.getString("db.driver"));
  }

  @Test
  void shouldShareAPostgresJournalGivenByFlags() {
    CairnSettings s = settings("--data-dir", "/tmp/cairn-up-test", "--journal-url", "jdbc:postgresql://db.example:5432/cairn",
        "--journal-user", "cairn", "--journal-password", "secret-pw");
    Config db = CairnNode.journalConfig(s.journal()).getConfig("pekko-persistence-jdbc.shared-databases.cairn");

    assertEquals(JournalSettings.Type.POSTGRES, s.journal().type());
    assertEquals("slick.jdbc.PostgresProfile$", db.getString("profile"));
    assertEquals("org.postgresql.Driver", db.getString("db.driver"));
    assertEquals("jdbc:postgresql://db.example:5432/cairn", db.getString("db.url"));
    assertEquals("cairn", db.getString("db.user"));
    assertEquals("secret-pw", db.getString("db.password"));
    assertEquals(8, db.getInt("db.maxConnections"));
  }

  @Test
  void shouldShareAnH2ServerJournal() {
    CairnSettings s = settings("--data-dir", "/tmp/cairn-up-test", "--journal", "h2-tcp", "--journal-url",
        "jdbc:h2:tcp://127.0.0.1:13300/cairn;WRITE_DELAY=0");

    assertEquals(JournalSettings.Type.H2_TCP, s.journal().type());
    assertEquals("slick.jdbc.H2Profile$", CairnNode.journalConfig(s.journal()).getString("pekko-persistence-jdbc.shared-databases.cairn.profile"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--seed=127.0.0.1                                 | cluster.seeds",
      "--seed=127.0.0.1:99999                           | cluster.seeds",
      "--aeron-port=70000                               | replication.aeron-port",
      "--node-id=not/valid                              | node.id",
      "--block=with space                               | node.block",
      "--journal=h2-tcp                                 | journal.url",
      "--journal=oracle                                 | journal.type",
      "--journal-url=jdbc:sqlite:x.db                   | journal.url",
      "--management-port=13350                          | management.port",
  })
  void shouldRejectABadFlagNamingItsSetting(String flag, String setting) {
    SettingsException e = assertThrows(SettingsException.class,
        () -> settings("--data-dir", "/tmp/cairn-up-test", "--artery-port", "13350", flag));

    assertTrue(e.getMessage().contains("cairn." + setting), e.getMessage());
  }
}
