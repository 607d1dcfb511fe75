package io.cairn.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for integration tests: a fresh cluster made with {@code initdb} in
 * a temporary directory, listening on a loopback port only (trust authentication, no other
 * socket), holding one database, stopped by its postmaster's PID at {@link #close()} and its
 * directory deleted. The binaries come from {@code /usr/lib/postgresql/<version>/bin} (the Debian
 * package {@code postgresql}, which {@code bin/test} installs).
 *
 * <p>PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
 * {@code postgres} system user (through {@code runuser}); otherwise as the current user.
 */
final class Postgres implements AutoCloseable {

  static final String USER = "cairn";
  static final String DATABASE = "cairn";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  final int port;
  private final Path bin;
  private final Path dir;
  private final Path log;
  private final boolean asPostgresUser;
  private long pid;

  private Postgres(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.log = dir.resolve("postgres.log");
    this.asPostgresUser = asPostgresUser;
  }

  /** The JDBC URL of the test database. */
  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  /** The server's (postmaster's) PID. */
  long pid() {
    return pid;
  }

  boolean isAlive() {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** The newest installed PostgreSQL's bin directory; fails the test when there is none. */
  static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    Optional<Path> newest = Optional.empty();
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")) && Files.isExecutable(v.resolve("bin/pg_ctl")))
            .max(Comparator.comparing(v -> versionNumber(v.getFileName().toString())));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return newest.map(v -> v.resolve("bin")).orElseThrow(() -> new AssertionError(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run the tests with bin/test, which installs "
            + "the Debian package postgresql, or apt-get install postgresql"));
  }

  private static int versionNumber(String name) {
    try {
      return Integer.parseInt(name.replaceAll("\\..*", ""));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Creates, starts and fills (one empty database) a server on {@code 127.0.0.1:port}. */
  static Postgres start(int port) {
    Path bin = binaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir;
    try {
      // Under /tmp: the postgres user must reach it, which it may not under the build directory.
      dir = Files.createTempDirectory("cairn-pg-");
      Files.createDirectories(dir.resolve("data"));
      Files.createDirectories(dir.resolve("socket"));
      if (root) {
        UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        for (Path p : List.of(dir, dir.resolve("data"), dir.resolve("socket"))) Files.setOwner(p, postgres);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot prepare a PostgreSQL directory: " + e, e);
    }
    Postgres pg = new Postgres(bin, dir, port, root);
    try {
      pg.run("initdb", List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", USER,
          "--auth=trust", "-E", "UTF8", "--no-sync"));
      pg.run("pg_ctl start", List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l", pg.log.toString(),
          "-w", "-t", Long.toString(START_TIMEOUT.toSeconds()),
          "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir.resolve("socket"), "start"));
      pg.pid = Long.parseLong(Files.readAllLines(dir.resolve("data/postmaster.pid")).get(0).trim());
      pg.run("createdb", List.of(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER, DATABASE));
      return pg;
    } catch (IOException | RuntimeException | AssertionError e) {
      pg.close();
      throw new AssertionError("cannot start PostgreSQL on port " + port + ": " + e.getMessage() + "\n" + pg.logTail(), e);
    }
  }

  private void run(String what, List<String> command) {
    List<String> cmd = new ArrayList<>();
    if (asPostgresUser) cmd.addAll(List.of("/usr/sbin/runuser", "-u", "postgres", "--"));
    cmd.addAll(command);
    Exec.run(Duration.ofSeconds(120), cmd).assertOk(what);
  }

  String logTail() {
    try {
      return Files.exists(log) ? Exec.tail(Files.readString(log)) : "(no server log)";
    } catch (IOException e) {
      return "(server log unreadable: " + e + ")";
    }
  }

  /**
   * Stops the server by its PID: SIGINT (PostgreSQL's fast shutdown: clients are disconnected),
   * SIGKILL if it is still running after a bound; then deletes its directory.
   */
  @Override
  public void close() {
    if (pid > 0) {
      Optional<ProcessHandle> h = ProcessHandle.of(pid);
      if (h.isPresent() && h.get().isAlive()) {
        Exec.run(Duration.ofSeconds(10), "kill", "-INT", Long.toString(pid));
        try {
          h.get().onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception notYet) {
          h.get().destroyForcibly();
        }
      }
    }
    CairnNodes.deleteTree(dir);
  }
}
