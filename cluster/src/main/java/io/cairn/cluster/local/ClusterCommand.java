package io.cairn.cluster.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.api.Sizes;
import io.cairn.cluster.cli.ApiClient;
import io.cairn.cluster.cli.StatusCommand;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cairn cluster up|down|status}: a cluster of several nodes on this machine, for trying
 * Cairn out and for tests. {@code up} starts an H2 TCP server holding the shared journal and N node
 * processes in the background (detached, each with its own data directory, ports, log and PID
 * file), waits until all N are Up and prints where to connect; {@code down} stops them by their
 * recorded PIDs (SIGTERM, then SIGKILL after a bound), the journal server last; {@code start}
 * brings one stopped node back (same data directory, ports and domains). See {@link LocalCluster}
 * for the layout.
 */
@Command(name = "cluster", description = "Run a local multi-node cluster (up, down, start, status).",
    subcommands = {ClusterCommand.Up.class, ClusterCommand.Down.class, ClusterCommand.Start.class,
        ClusterCommand.Status.class})
public final class ClusterCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    System.err.println("cairn cluster: say up, down, start or status (see cairn cluster --help)");
    return 2;
  }

  /** Options every subcommand has. */
  abstract static class DirOption {
    @Option(names = "--dir", description = "Directory of the cluster: data, logs, PID files (default var/cluster).")
    Path dir = Path.of("var", "cluster");

    Path dir() {
      return dir.toAbsolutePath().normalize();
    }
  }

  // --- up ---------------------------------------------------------------------------------------

  @Command(name = "up", description = "Start an H2 journal server and N nodes in the background; wait until all are Up.")
  public static final class Up extends DirOption implements Callable<Integer> {

    /** Aeron MTU of a local cluster's nodes (cairn.replication.mtu): loopback takes jumbo datagrams. */
    static final int LOCAL_MTU = 8960;

    @Option(names = "--nodes", description = "Number of nodes (default 3).")
    int nodes = 3;

    @Option(names = "--blocks", description = "Blocks the nodes are spread over, round robin (default: one per node).")
    Integer blocks;

    @Option(names = "--racks", description = "Racks the blocks are spread over, round robin (default 1).")
    int racks = 1;

    @Option(names = "--base-port", description = "First port: H2 on it, node I on base + 10 I (Artery), +1 (Aeron), +2 (iSCSI), +3 (API) (default 24000).")
    int basePort = 24000;

    @Option(names = "--heap", description = "Java heap of each node (default 512m).")
    String heap = "512m";

    @Option(names = "--cache", description = "Unified cache capacity of each node (default 64MiB).")
    String cache = "64MiB";

    @Option(names = "--journal-url", description = "Use this journal database (jdbc:postgresql://...) instead of an H2 server.")
    String journalUrl;

    @Option(names = "--journal-user", description = "Its user.")
    String journalUser;

    @Option(names = "--journal-password", description = "Its password (or $CAIRN_JOURNAL_PASSWORD); handed to the nodes in their environment.")
    String journalPassword;

    @Option(names = "--timeout", description = "Seconds to wait for all nodes to be Up (default 240).")
    int timeoutSeconds = 240;

    private final List<Started> started = new ArrayList<>();

    private record Started(String what, ProcessHandle process) {}

    @Override
    public Integer call() throws Exception {
      LocalCluster layout;
      try {
        layout = new LocalCluster(dir(), nodes, blocks == null ? nodes : blocks, racks, basePort, journalUrl, journalUser);
      } catch (IllegalArgumentException e) {
        System.err.println("cairn cluster up: " + e.getMessage());
        return 2;
      }
      Optional<LocalCluster> previous = LocalCluster.load(layout.dir());
      if (previous.isPresent() && !running(previous.get()).isEmpty()) {
        System.err.println("cairn cluster up: a cluster is already running in " + layout.dir() + " (" + String.join(", ", running(previous.get()))
            + "); stop it with: bin/cairn cluster down --dir " + layout.dir());
        return 1;
      }
      String busy = busyPorts(layout);
      if (!busy.isEmpty()) {
        System.err.println("cairn cluster up: port(s) in use: " + busy + "; pick another --base-port");
        return 1;
      }
      Files.createDirectories(layout.dir());
      layout.save();
      Duration timeout = Duration.ofSeconds(timeoutSeconds);
      try {
        if (layout.ownJournalServer()) startJournalServer(layout);
        // Node 1 first: it founds the cluster and creates the journal schema before the others
        // start together (their IF NOT EXISTS statements then find it in place).
        startNode(layout, layout.node(1));
        awaitApi(layout, layout.node(1), timeout);
        for (int i = 2; i <= layout.nodes(); i++) startNode(layout, layout.node(i));
        awaitAllUp(layout, timeout);
      } catch (StartFailed e) {
        System.err.println("cairn cluster up: " + e.getMessage());
        System.err.println("stopping what was started ...");
        for (int i = started.size() - 1; i >= 0; i--) stop(started.get(i).what(), started.get(i).process(), Duration.ofSeconds(30));
        return 1;
      }
      printSummary(layout);
      return 0;
    }

    private static String busyPorts(LocalCluster layout) {
      List<String> busy = new ArrayList<>();
      if (layout.ownJournalServer() && !LocalCluster.bindable(layout.h2Port())) busy.add(layout.h2Port() + " (H2 journal server)");
      for (LocalCluster.Node n : layout.allNodes()) {
        for (int port : new int[] {n.arteryPort(), n.iscsiPort(), n.managementPort()}) {
          if (!LocalCluster.bindable(port)) busy.add(port + " (" + n.id() + ")");
        }
      }
      return String.join(", ", busy);
    }

    private void startJournalServer(LocalCluster layout) throws IOException, StartFailed {
      Files.createDirectories(layout.journalDir());
      List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx256m", "-cp", classpath(), "org.h2.tools.Server",
          "-tcp", "-tcpPort", Integer.toString(layout.h2Port()),
          // Loopback connections only (no -tcpAllowOthers); databases are created on first use,
          // but only under the base directory.
          "-baseDir", layout.journalDir().toString(), "-ifNotExists"));
      ProcessHandle h2 = launch(cmd, layout.h2Log(), Map.of());
      LocalCluster.writePid(layout.h2PidFile(), h2.pid());
      started.add(new Started("H2 journal server", h2));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!LocalCluster.listening(layout.h2Port())) {
        if (!h2.isAlive()) throw new StartFailed("the H2 journal server exited; see " + layout.h2Log() + "\n" + tail(layout.h2Log()));
        if (System.nanoTime() - deadline > 0) throw new StartFailed("the H2 journal server did not listen within 30 s; see " + layout.h2Log());
        sleep(100);
      }
      System.out.printf("journal: H2 server (pid %d) on %s:%d, data in %s%n", h2.pid(), LocalCluster.HOST, layout.h2Port(), layout.journalDir());
    }

    private void startNode(LocalCluster layout, LocalCluster.Node n) throws IOException {
      String password = journalPassword != null ? journalPassword : System.getenv("CAIRN_JOURNAL_PASSWORD");
      started.add(new Started(n.id(), ClusterCommand.startNode(layout, n, heap, cache, password)));
    }

    private void awaitApi(LocalCluster layout, LocalCluster.Node n, Duration timeout) throws StartFailed {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (status(n) == null) {
        checkAlive(layout);
        if (System.nanoTime() - deadline > 0) throw new StartFailed(n.id() + " did not answer on " + n.apiUrl() + " within " + timeout + "\n" + tail(n.log()));
        sleep(500);
      }
    }

    /** Every node answers, sees itself Up, and sees N members Up. */
    private void awaitAllUp(LocalCluster layout, Duration timeout) throws StartFailed {
      long deadline = System.nanoTime() + timeout.toNanos();
      String waitingFor = "";
      while (true) {
        checkAlive(layout);
        waitingFor = "";
        for (LocalCluster.Node n : layout.allNodes()) {
          JsonNode s = status(n);
          if (s == null) {
            waitingFor = n.id() + " to answer";
            break;
          }
          long up = 0;
          for (JsonNode m : s.path("cluster").path("members")) if (m.path("status").asText().equals("Up")) up++;
          if (!s.path("node").path("memberStatus").asText().equals("Up") || up != layout.nodes()) {
            waitingFor = n.id() + " to see " + layout.nodes() + " members Up (sees " + up + ")";
            break;
          }
        }
        if (waitingFor.isEmpty()) return;
        if (System.nanoTime() - deadline > 0) throw new StartFailed("not all nodes Up within " + timeout + ": waiting for " + waitingFor);
        sleep(500);
      }
    }

    private void checkAlive(LocalCluster layout) throws StartFailed {
      for (Started s : started) {
        if (!s.process().isAlive()) {
          Path log = s.what().startsWith("node-") ? layout.node(Integer.parseInt(s.what().substring(5))).log() : layout.h2Log();
          throw new StartFailed(s.what() + " exited during start-up; its log " + log + " ends:\n" + tail(log));
        }
      }
    }

    private static void printSummary(LocalCluster layout) {
      StringBuilder b = new StringBuilder("\nCairn cluster of " + layout.nodes() + " node(s) is up in " + layout.dir() + ".\n");
      for (LocalCluster.Node n : layout.allNodes()) {
        b.append(String.format("  %-8s %-9s %-7s iSCSI %s   API %s/api/status%n", n.id(), n.block(), n.rack(), n.portal(), n.apiUrl()));
      }
      LocalCluster.Node first = layout.node(1);
      b.append("\nEvery portal exports every volume group, e.g.\n")
          .append("  iscsi-inq iscsi://").append(layout.node(Math.min(2, layout.nodes())).portal()).append("/iqn.2026-11.io.cairn:demo/0\n")
          .append("  CAIRN_API=").append(first.apiUrl()).append(" bin/cairn vdisk create vm1 --size 10G\n")
          .append("  bin/cairn cluster status --dir ").append(layout.dir()).append('\n')
          .append("  bin/cairn cluster down --dir ").append(layout.dir()).append('\n');
      System.out.print(b);
    }
  }

  // --- down -------------------------------------------------------------------------------------

  @Command(name = "down", description = "Stop the cluster's nodes (SIGTERM, then SIGKILL) and its journal server, by PID.")
  public static final class Down extends DirOption implements Callable<Integer> {

    @Option(names = "--timeout", description = "Seconds a node may take to stop after SIGTERM before SIGKILL (default 60).")
    int timeoutSeconds = 60;

    @Override
    public Integer call() throws Exception {
      Path dir = dir();
      Optional<LocalCluster> layout = LocalCluster.load(dir);
      if (layout.isEmpty()) {
        System.err.println("cairn cluster down: no cluster in " + dir + " (no " + LocalCluster.layoutFile(dir).getFileName() + ")");
        return 1;
      }
      LocalCluster c = layout.get();
      String marker = c.dir().toString();
      List<Runnable> waits = new ArrayList<>();
      int stopped = 0;
      // Every node gets SIGTERM at once, so they leave together; then each is waited for.
      for (LocalCluster.Node n : c.allNodes()) {
        Optional<ProcessHandle> p = LocalCluster.liveProcess(n.pidFile(), marker);
        if (p.isPresent()) {
          p.get().destroy();
          stopped++;
          waits.add(() -> awaitOrKill(n.id(), p.get(), Duration.ofSeconds(timeoutSeconds)));
        }
      }
      waits.forEach(Runnable::run);
      for (LocalCluster.Node n : c.allNodes()) Files.deleteIfExists(n.pidFile());
      Optional<ProcessHandle> h2 = LocalCluster.liveProcess(c.h2PidFile(), marker);
      if (h2.isPresent()) {
        stop("H2 journal server", h2.get(), Duration.ofSeconds(15));
        stopped++;
      }
      Files.deleteIfExists(c.h2PidFile());
      System.out.println(stopped == 0 ? "nothing was running in " + c.dir() : "cluster in " + c.dir() + " stopped");
      return 0;
    }
  }

  // --- start ------------------------------------------------------------------------------------

  @Command(name = "start", description = "Start one stopped node of the cluster again (its data, ports and domains); wait until it is Up.")
  public static final class Start extends DirOption implements Callable<Integer> {

    @Option(names = "--node", required = true, description = "Number of the node (1 .. N).")
    int node;

    @Option(names = "--heap", description = "Java heap of the node (default 512m).")
    String heap = "512m";

    @Option(names = "--cache", description = "Unified cache capacity of the node (default 64MiB).")
    String cache = "64MiB";

    @Option(names = "--journal-password", description = "Password of the journal database (or $CAIRN_JOURNAL_PASSWORD).")
    String journalPassword;

    @Option(names = "--timeout", description = "Seconds to wait for the node to be Up (default 240).")
    int timeoutSeconds = 240;

    @Override
    public Integer call() throws Exception {
      Optional<LocalCluster> loaded = LocalCluster.load(dir());
      if (loaded.isEmpty()) {
        System.err.println("cairn cluster start: no cluster in " + dir());
        return 1;
      }
      LocalCluster c = loaded.get();
      if (node < 1 || node > c.nodes()) {
        System.err.println("cairn cluster start: --node " + node + " is not a node of this cluster (1 .. " + c.nodes() + ")");
        return 2;
      }
      LocalCluster.Node n = c.node(node);
      String marker = c.dir().toString();
      Optional<ProcessHandle> running = LocalCluster.liveProcess(n.pidFile(), marker);
      if (running.isPresent()) {
        System.err.println("cairn cluster start: " + n.id() + " is already running (pid " + running.get().pid() + ")");
        return 1;
      }
      if (c.ownJournalServer() && LocalCluster.liveProcess(c.h2PidFile(), marker).isEmpty()) {
        System.err.println("cairn cluster start: the cluster's H2 journal server is not running; start the cluster with cairn cluster up");
        return 1;
      }
      for (int port : new int[] {n.arteryPort(), n.iscsiPort(), n.managementPort()}) {
        if (!LocalCluster.bindable(port)) {
          System.err.println("cairn cluster start: port " + port + " of " + n.id() + " is in use");
          return 1;
        }
      }
      String password = journalPassword != null ? journalPassword : System.getenv("CAIRN_JOURNAL_PASSWORD");
      ProcessHandle p = startNode(c, n, heap, cache, password);
      long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
      while (true) {
        if (!p.isAlive()) {
          System.err.println("cairn cluster start: " + n.id() + " exited during start-up; its log " + n.log() + " ends:\n" + tail(n.log()));
          return 1;
        }
        JsonNode st = status(n);
        if (st != null && st.path("node").path("memberStatus").asText().equals("Up")) break;
        if (System.nanoTime() - deadline > 0) {
          System.err.println("cairn cluster start: " + n.id() + " not Up within " + timeoutSeconds + " s; stopping it");
          stop(n.id(), p, Duration.ofSeconds(30));
          Files.deleteIfExists(n.pidFile());
          return 1;
        }
        sleep(500);
      }
      System.out.printf("%s is Up: iSCSI %s, API %s/api/status%n", n.id(), n.portal(), n.apiUrl());
      return 0;
    }
  }

  // --- status -----------------------------------------------------------------------------------

  @Command(name = "status", description = "Show the cluster's processes, members, domains and disks.")
  public static final class Status extends DirOption implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      Optional<LocalCluster> layout = LocalCluster.load(dir());
      if (layout.isEmpty()) {
        System.err.println("cairn cluster status: no cluster in " + dir());
        return 1;
      }
      LocalCluster c = layout.get();
      String marker = c.dir().toString();
      if (c.ownJournalServer()) {
        Optional<ProcessHandle> h2 = LocalCluster.liveProcess(c.h2PidFile(), marker);
        System.out.printf("journal: H2 server on %s:%d %s%n", LocalCluster.HOST, c.h2Port(),
            h2.map(p -> "(pid " + p.pid() + ")").orElse("NOT RUNNING"));
      } else {
        System.out.println("journal: " + c.journalUrl());
      }
      JsonNode status = null;
      for (LocalCluster.Node n : c.allNodes()) {
        Optional<ProcessHandle> p = LocalCluster.liveProcess(n.pidFile(), marker);
        System.out.printf("%s: %s, iSCSI %s, API %s%n", n.id(), p.map(h -> "running (pid " + h.pid() + ")").orElse("NOT RUNNING"),
            n.portal(), n.apiUrl());
        if (status == null && p.isPresent()) status = ClusterCommand.status(n);
      }
      if (status == null) {
        System.out.println("no node answers: the cluster is down");
        return 1;
      }
      StatusCommand.printCluster(status.get("cluster"));
      for (JsonNode m : status.path("cluster").path("members")) {
        for (JsonNode d : m.path("disks")) {
          System.out.printf("  %s disk %s (%s): %s of %s used%n", m.path("nodeId").asText(), d.path("diskId").asText(),
              d.path("tier").asText(), Sizes.format(d.path("usedBytes").asLong()), Sizes.format(d.path("capacityBytes").asLong()));
        }
      }
      return 0;
    }
  }

  // --- shared -----------------------------------------------------------------------------------

  /** A start-up step failed; the message says which and why. */
  static final class StartFailed extends Exception {
    StartFailed(String message) {
      super(message);
    }
  }

  /**
   * Launches node {@code n} of {@code layout} in the background (its PID file written) and returns
   * its process; {@code $CAIRN_JAVA_OPTS} is added to its JVM options.
   */
  static ProcessHandle startNode(LocalCluster layout, LocalCluster.Node n, String heap, String cache, String password)
      throws IOException {
    Files.createDirectories(n.dataDir());
    List<String> cmd = new ArrayList<>(List.of(java(),
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Xmx" + heap, "-Dcairn.cache.capacity=" + cache,
        // Each node's portal is its own target port (group) of every target: the SCSI target
        // port identifier (name,t,tag), ALUA groups and reservation I_T nexuses tell nodes apart.
        "-Dcairn.iscsi.portal-group-tag=" + n.index(),
        // Loopback carries jumbo datagrams: a 4 KiB write's OpLog copy is one datagram, not three
        // (about 40% less Aeron CPU per replicated write, measured).
        "-Dcairn.replication.mtu=" + Up.LOCAL_MTU));
    // $CAIRN_JAVA_OPTS comes last, so that its -Xmx and -D values win.
    for (String opt : System.getenv().getOrDefault("CAIRN_JAVA_OPTS", "").trim().split("\\s+")) {
      if (!opt.isEmpty()) cmd.add(opt);
    }
    cmd.addAll(List.of("-cp", classpath(), "io.cairn.cluster.Main", "up",
        "--data-dir", n.dataDir().toString(),
        "--node-id", n.id(), "--block", n.block(), "--rack", n.rack(),
        "--host", LocalCluster.HOST,
        "--artery-port", Integer.toString(n.arteryPort()),
        "--aeron-port", Integer.toString(n.aeronPort()),
        "--iscsi-port", Integer.toString(n.iscsiPort()),
        "--management-port", Integer.toString(n.managementPort()),
        "--journal-url", layout.nodeJournalUrl(),
        "--journal-user", layout.nodeJournalUser()));
    for (String seed : layout.seeds()) cmd.addAll(List.of("--seed", seed));
    ProcessHandle p = launch(cmd, n.log(), password == null ? Map.of() : Map.of("CAIRN_JOURNAL_PASSWORD", password));
    LocalCluster.writePid(n.pidFile(), p.pid());
    System.out.printf("%s: started (pid %d), log %s%n", n.id(), p.pid(), n.log());
    return p;
  }

  /** A node's /api/status, or null when it does not answer (yet). */
  static JsonNode status(LocalCluster.Node n) {
    try {
      return new ApiClient(n.apiUrl()).get("api/status").body();
    } catch (ApiClient.CallFailed e) {
      return null;
    }
  }

  /**
   * Starts a process detached from this one (its own session, so a terminal's signals do not
   * reach it; stdin from /dev/null; output appended to {@code log}) and returns it; it keeps
   * running when this command exits.
   */
  static ProcessHandle launch(List<String> command, Path log, Map<String, String> env) throws IOException {
    List<String> cmd = new ArrayList<>();
    // setsid(1) calls setsid() and execs the command in place (the child is not a group leader),
    // so the PID we record is the JVM's.
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) cmd.add("/usr/bin/setsid");
    cmd.addAll(command);
    Files.writeString(log, "\n===== " + java.time.Instant.now() + ": " + String.join(" ", command) + "\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(env);
    return pb.start().toHandle();
  }

  /** SIGTERM, then SIGKILL when the process outlives {@code bound}. */
  static void stop(String what, ProcessHandle p, Duration bound) {
    p.destroy();
    awaitOrKill(what, p, bound);
  }

  private static void awaitOrKill(String what, ProcessHandle p, Duration bound) {
    try {
      p.onExit().get(bound.toMillis(), TimeUnit.MILLISECONDS);
      System.out.printf("%s (pid %d) stopped%n", what, p.pid());
    } catch (java.util.concurrent.TimeoutException e) {
      p.destroyForcibly();
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // reported below
      }
      System.out.printf("%s (pid %d) did not stop within %s of SIGTERM: killed%s%n", what, p.pid(), bound,
          p.isAlive() ? " (STILL ALIVE)" : "");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Names of the cluster's processes that are running. */
  static List<String> running(LocalCluster c) {
    List<String> out = new ArrayList<>();
    String marker = c.dir().toString();
    LocalCluster.liveProcess(c.h2PidFile(), marker).ifPresent(p -> out.add("H2 pid " + p.pid()));
    for (LocalCluster.Node n : c.allNodes()) {
      LocalCluster.liveProcess(n.pidFile(), marker).ifPresent(p -> out.add(n.id() + " pid " + p.pid()));
    }
    return out;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** This JVM's class path with every entry absolute (the node processes run in other directories' terms). */
  private static String classpath() {
    List<String> out = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!e.isEmpty()) out.add(Path.of(e).toAbsolutePath().normalize().toString());
    }
    return String.join(File.pathSeparator, out);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
