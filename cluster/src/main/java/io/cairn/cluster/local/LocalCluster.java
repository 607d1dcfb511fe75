package io.cairn.cluster.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The layout of a local cluster under one directory: which ports, directories, log and PID files
 * {@code bin/cairn cluster up} gives the H2 journal server and each node, recorded in
 * {@code DIR/cluster.properties} so that {@code cluster down} and {@code cluster status} find them.
 *
 * <pre>
 *   DIR/cluster.properties        the layout (this record)
 *   DIR/journal/                  H2 server base directory: the shared journal (cairn.mv.db)
 *   DIR/h2.pid, DIR/h2.log        the H2 TCP server process
 *   DIR/node-I/                   node I's data directory, with node.pid and node.log
 * </pre>
 *
 * Ports from the base P: the H2 server on P; node I (1-based) on P + 10 I (Artery), + 1 (Aeron,
 * UDP), + 2 (iSCSI), + 3 (management). All on 127.0.0.1.
 *
 * @param dir the cluster directory (absolute)
 * @param nodes number of nodes
 * @param blocks number of blocks the nodes are spread over (node I in block ((I-1) mod B) + 1)
 * @param racks number of racks the blocks are spread over (block J in rack ((J-1) mod R) + 1)
 * @param basePort the base of every port
 * @param journalUrl JDBC URL of an external journal database; empty: the H2 server of the layout
 * @param journalUser the external journal's user (empty for H2)
 */
public record LocalCluster(Path dir, int nodes, int blocks, int racks, int basePort, String journalUrl, String journalUser) {

  /** Ports one node takes from the base: 10 apart leaves room for more per node later. */
  public static final int PORTS_PER_NODE = 10;
  public static final int MAX_NODES = 99;
  public static final String HOST = "127.0.0.1";

  public LocalCluster {
    dir = dir.toAbsolutePath().normalize();
    if (nodes < 1 || nodes > MAX_NODES) throw new IllegalArgumentException("--nodes must be 1-" + MAX_NODES + ", was " + nodes);
    if (blocks < 1 || blocks > nodes) throw new IllegalArgumentException("--blocks must be 1-" + nodes + " (at most one per node), was " + blocks);
    if (racks < 1 || racks > blocks) throw new IllegalArgumentException("--racks must be 1-" + blocks + " (at most one per block), was " + racks);
    if (basePort < 1024 || basePort + PORTS_PER_NODE * nodes + 3 > 65535) {
      throw new IllegalArgumentException("--base-port must leave room for " + nodes + " node(s): 1024-"
          + (65535 - PORTS_PER_NODE * nodes - 3) + ", was " + basePort);
    }
    if (journalUrl == null) journalUrl = "";
    if (journalUser == null) journalUser = "";
  }

  /** Whether the layout runs its own H2 TCP server for the journal. */
  public boolean ownJournalServer() {
    return journalUrl.isEmpty();
  }

  public int h2Port() {
    return basePort;
  }

  /** The JDBC URL every node uses. */
  public String nodeJournalUrl() {
    // The server's -baseDir is DIR/journal, so the name is relative to it (the server refuses
    // paths outside); WRITE_DELAY=0 commits each journal write to disk before it is acknowledged.
    return ownJournalServer() ? "jdbc:h2:tcp://" + HOST + ":" + h2Port() + "/cairn;WRITE_DELAY=0" : journalUrl;
  }

  public String nodeJournalUser() {
    return ownJournalServer() ? "sa" : journalUser;
  }

  public Path journalDir() {
    return dir.resolve("journal");
  }

  public Path h2PidFile() {
    return dir.resolve("h2.pid");
  }

  public Path h2Log() {
    return dir.resolve("h2.log");
  }

  /** One node of the layout (1-based index). */
  public Node node(int i) {
    if (i < 1 || i > nodes) throw new IndexOutOfBoundsException("node " + i + " of " + nodes);
    int base = basePort + PORTS_PER_NODE * i;
    int block = (i - 1) % blocks + 1;
    int rack = (block - 1) % racks + 1;
    return new Node(i, "node-" + i, "block-" + block, "rack-" + rack, dir.resolve("node-" + i), base, base + 1, base + 2, base + 3);
  }

  public List<Node> allNodes() {
    List<Node> out = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) out.add(node(i));
    return out;
  }

  /** Seed nodes every node is given: the first three (node 1 first, so it founds the cluster). */
  public List<String> seeds() {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= Math.min(3, nodes); i++) out.add(HOST + ":" + node(i).arteryPort());
    return out;
  }

  /**
   * One node of a local cluster.
   *
   * @param index 1-based
   * @param id node id
   * @param block its block
   * @param rack its rack
   * @param dataDir its data directory (with its PID and log files)
   * @param arteryPort Artery (TCP)
   * @param aeronPort replication (Aeron, UDP)
   * @param iscsiPort iSCSI portal (TCP)
   * @param managementPort management API (TCP)
   */
  public record Node(int index, String id, String block, String rack, Path dataDir, int arteryPort, int aeronPort,
      int iscsiPort, int managementPort) {
    public Path pidFile() {
      return dataDir.resolve("node.pid");
    }

    public Path log() {
      return dataDir.resolve("node.log");
    }

    public String portal() {
      return HOST + ":" + iscsiPort;
    }

    public String apiUrl() {
      return "http://" + HOST + ":" + managementPort;
    }
  }

  // --- the layout file --------------------------------------------------------------------------

  public static Path layoutFile(Path dir) {
    return dir.resolve("cluster.properties");
  }

  public void save() {
    Properties p = new Properties();
    p.setProperty("nodes", Integer.toString(nodes));
    p.setProperty("blocks", Integer.toString(blocks));
    p.setProperty("racks", Integer.toString(racks));
    p.setProperty("base-port", Integer.toString(basePort));
    p.setProperty("journal-url", journalUrl);
    p.setProperty("journal-user", journalUser);
    try {
      Files.createDirectories(dir);
      try (OutputStream out = Files.newOutputStream(layoutFile(dir))) {
        p.store(out, "bin/cairn cluster up: the layout cluster down and cluster status read");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The layout recorded in {@code dir}, if a cluster was ever started there. */
  public static Optional<LocalCluster> load(Path dir) {
    Path file = layoutFile(dir);
    if (!Files.exists(file)) return Optional.empty();
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.of(new LocalCluster(dir, Integer.parseInt(p.getProperty("nodes")), Integer.parseInt(p.getProperty("blocks")),
        Integer.parseInt(p.getProperty("racks")), Integer.parseInt(p.getProperty("base-port")), p.getProperty("journal-url", ""),
        p.getProperty("journal-user", "")));
  }

  // --- processes ---------------------------------------------------------------------------------

  /** The live process whose PID {@code pidFile} records, if it is still ours ({@code marker} on its command line). */
  public static Optional<ProcessHandle> liveProcess(Path pidFile, String marker) {
    if (!Files.exists(pidFile)) return Optional.empty();
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    // A PID file can outlive its process and the PID can be reused: only a process whose command
    // line names this cluster's directory counts (where the command line cannot be read, the PID does).
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(h -> h.info().commandLine().map(c -> c.contains(marker)).orElse(true));
  }

  public static void writePid(Path pidFile, long pid) {
    try {
      Files.writeString(pidFile, pid + "\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether something listens on {@code 127.0.0.1:port}. */
  public static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(HOST, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a TCP listener could bind {@code 127.0.0.1:port} now. */
  public static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(HOST, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
