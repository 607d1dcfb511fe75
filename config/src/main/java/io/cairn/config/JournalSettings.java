package io.cairn.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The journal database of the global metadata (pekko-persistence-jdbc): which kind, where, and
 * the Slick profile and JDBC driver that go with it. Every node of a cluster must use the same
 * database. The password never appears in {@link #toString()}.
 *
 * @param type the kind of database
 * @param url JDBC URL (for {@link Type#EMBEDDED} derived from the data directory)
 * @param user database user
 * @param password database password
 * @param maxConnections size of the node's connection pool
 */
public record JournalSettings(Type type, String url, String user, String password, int maxConnections) {

  /** The kinds of journal database, with the Slick profile and JDBC driver of each. */
  public enum Type {
    /** H2 in a file under the node's data directory: one node only. */
    EMBEDDED("embedded", "slick.jdbc.H2Profile$", "org.h2.Driver", "jdbc:h2:file:"),
    /** An H2 TCP server shared by the nodes of one host ({@code bin/cairn cluster up} starts one). */
    H2_TCP("h2-tcp", "slick.jdbc.H2Profile$", "org.h2.Driver", "jdbc:h2:tcp://"),
    /** PostgreSQL: the database of a cluster across hosts. */
    POSTGRES("postgres", "slick.jdbc.PostgresProfile$", "org.postgresql.Driver", "jdbc:postgresql://");

    /** Name in the settings and on the command line. */
    public final String settingName;
    /** Slick profile class pekko-persistence-jdbc uses for this database. */
    public final String slickProfile;
    /** JDBC driver class. */
    public final String driver;
    /** Prefix every URL of this type starts with. */
    public final String urlPrefix;

    Type(String settingName, String slickProfile, String driver, String urlPrefix) {
      this.settingName = settingName;
      this.slickProfile = slickProfile;
      this.driver = driver;
      this.urlPrefix = urlPrefix;
    }

    /** The type named {@code name}, or null. */
    public static Type named(String name) {
      for (Type t : values()) {
        if (t.settingName.equals(name.toLowerCase(Locale.ROOT))) return t;
      }
      return null;
    }
  }

  public String slickProfile() {
    return type.slickProfile;
  }

  public String driver() {
    return type.driver;
  }

  /** Whether several nodes can share this database. */
  public boolean shared() {
    return type != Type.EMBEDDED;
  }

  /**
   * Reads {@code cairn.journal}. {@code type = auto} takes the type from the URL (an empty URL is the
   * embedded database); an explicit type must agree with the URL.
   */
  public static JournalSettings from(Config c, Path dataDir) {
    if (c.hasPath("profile") || c.hasPath("driver")) {
      throw new SettingsException("journal", "profile and driver are no longer set: they follow cairn.journal.type "
          + "(auto, embedded, h2-tcp, postgres) or the URL");
    }
    String typeName = c.getString("type").trim();
    String url = c.getString("url").trim();
    Type type;
    if (typeName.equalsIgnoreCase("auto")) {
      type = url.isEmpty() ? Type.EMBEDDED : fromUrl(url);
    } else {
      type = Type.named(typeName);
      if (type == null) {
        throw new SettingsException("journal.type", "must be one of auto, embedded, h2-tcp, postgres, was '" + typeName + "'");
      }
    }
    if (type == Type.EMBEDDED) {
      if (!url.isEmpty()) {
        throw new SettingsException("journal.url", "the embedded journal lives under the data directory and takes no URL, was '"
            + url + "'");
      }
      url = "jdbc:h2:file:" + dataDir.resolve("journal").resolve("cairn") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    } else if (url.isEmpty()) {
      throw new SettingsException("journal.url", "a " + type.settingName + " journal needs a URL (" + type.urlPrefix + "...)");
    } else if (!url.startsWith(type.urlPrefix)) {
      throw new SettingsException("journal.url", "a " + type.settingName + " journal URL starts with " + type.urlPrefix
          + ", was '" + url + "'");
    }
    String user = c.getString("user");
    if (type == Type.POSTGRES && user.isEmpty()) throw new SettingsException("journal.user", "PostgreSQL needs a user");
    int max = (int) Checks.between("journal.max-connections", c.getInt("max-connections"), 1, 256);
    return new JournalSettings(type, url, user, c.getString("password"), max);
  }

  private static Type fromUrl(String url) {
    for (Type t : new Type[] {Type.H2_TCP, Type.POSTGRES}) {
      if (url.startsWith(t.urlPrefix)) return t;
    }
    throw new SettingsException("journal.url", "cannot tell the database of '" + url
        + "': use jdbc:h2:tcp://HOST:PORT/NAME or jdbc:postgresql://HOST:PORT/DB (or set cairn.journal.type)");
  }

  @Override
  public String toString() {
    return "JournalSettings[type=" + type.settingName + ", url=" + url + ", user=" + user + ", password=<redacted>, maxConnections="
        + maxConnections + "]";
  }
}
