package io.cairn.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real {@code cairn up} node process for integration tests: its own data directory and
 * loopback ports, its output in {@code <data dir>-node.log} beside the data, stopped by its PID
 * (never by name). {@link #close()} always ends the process.
 *
 * <p>Ports come from the range in the system property {@code cairn.it.ports} (default
 * {@code 13260-13299}), each probed free before use; a node keeps its ports across restarts.
 *
 * <p>Threading: one test thread drives a node; {@link #get} and {@link #api} may be called from
 * any thread.
 */
final class CairnProcess implements AutoCloseable {

  static final String DEMO_IQN = "iqn.2026-11.io.cairn:demo";
  static final String DEMO_VDISK = "demo-disk";
  /** The demo vDisk: 4 GiB of 512-byte blocks. */
  static final long DEMO_SIZE_BYTES = 4L << 30;
  static final int BLOCK = 512;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger NEXT_PORT = new AtomicInteger();

  final String name;
  final Path dataDir;
  final Path log;
  final int iscsiPort;
  final int managementPort;
  final int arteryPort;
  private final List<String> extraArgs;
  private Process process;
  /** How many times the process was launched (1 after start, +1 per restart). */
  private int launches;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private CairnProcess(String name, Path dataDir, List<String> extraArgs) {
    this.name = name;
    this.dataDir = dataDir;
    this.log = dataDir.resolveSibling(dataDir.getFileName() + "-node.log");
    this.iscsiPort = freePort();
    this.managementPort = freePort();
    this.arteryPort = freePort();
    this.extraArgs = extraArgs;
  }

  /** Starts a node with its data under {@code dataDir} and waits until the demo LUN is exported. */
  static CairnProcess start(String name, Path dataDir, String... extraArgs) {
    CairnProcess p = new CairnProcess(name, dataDir, List.of(extraArgs));
    p.launch();
    return p;
  }

  /** Starts the node again on the same data and ports (after {@link #stop()} or {@link #kill9()}). */
  void restart() {
    if (isAlive()) throw new IllegalStateException("still running");
    launch();
  }

  private void launch() {
    Path target = Path.of(System.getProperty("cairn.lib", "../cluster/target"));
    Path jar = target.resolve("cairn.jar");
    if (!Files.exists(jar)) throw new IllegalStateException(jar + " missing: run mvn package -pl cluster -am first");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-XX:+UseSerialGC",
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dcairn.cache.capacity=64MiB",
        "-jar", jar.toString(), "up",
        "--data-dir", dataDir.toString(),
        "--iscsi-port", Integer.toString(iscsiPort),
        "--management-port", Integer.toString(managementPort),
        "--artery-port", Integer.toString(arteryPort)));
    cmd.addAll(extraArgs);
    try {
      Files.createDirectories(dataDir);
      Files.writeString(log, "\n===== launch " + (launches + 1) + ": " + String.join(" ", cmd) + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      launches++;
    } catch (IOException e) {
      throw new AssertionError("cannot start cairn: " + e, e);
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() - deadline < 0) {
      if (!process.isAlive()) throw new AssertionError("cairn exited " + process.exitValue() + " during start-up\n" + logTail());
      if (demoExported() && portalOpen()) return;
      sleep(250);
    }
    close();
    throw new AssertionError("cairn not ready within " + START_TIMEOUT + "\n" + logTail());
  }

  private boolean demoExported() {
    try {
      JsonNode v = get("/api/vdisks/" + DEMO_VDISK);
      return v != null && v.has("usage");
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean portalOpen() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", iscsiPort), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- management API

  /** One HTTP exchange with the API: status, raw body, and the body as JSON (null if it is not JSON). */
  record ApiResponse(int status, String body, JsonNode json) {}

  /** GETs an API path; null on 404, AssertionError on any other error status. */
  JsonNode get(String path) {
    ApiResponse r = api("GET", path, null);
    if (r.status() == 404) return null;
    if (r.status() >= 400) throw new IllegalStateException("GET " + path + " -> " + r.status() + " " + r.body());
    return r.json();
  }

  /**
   * Sends any request to the API. {@code body} null sends none; otherwise it goes as
   * {@code application/json}, byte for byte (so tests can send malformed JSON).
   */
  ApiResponse api(String method, String path, String body) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
          .timeout(Duration.ofSeconds(30));
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = null;
      try {
        if (!r.body().isEmpty()) json = JSON.readTree(r.body());
      } catch (IOException notJson) {
        json = null;
      }
      return new ApiResponse(r.statusCode(), r.body(), json);
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Creates a vDisk in the demo volume group (POST /api/vdisks); returns its JSON (with "lun", "url"). */
  JsonNode createVDisk(String vdiskName, String size) {
    ApiResponse r = api("POST", "/api/vdisks",
        JSON.createObjectNode().put("name", vdiskName).put("size", size).toString());
    if (r.status() != 201) throw new AssertionError("POST /api/vdisks " + vdiskName + " -> " + r.status() + " " + r.body());
    return r.json();
  }

  /** The node's OpLog statistics (GET /api/status, field "oplog"). */
  JsonNode oplog() {
    return get("/api/status").get("oplog");
  }

  /** The iSCSI URL of a LUN of the demo target. */
  String url(int lun) {
    return "iscsi://127.0.0.1:" + iscsiPort + "/" + DEMO_IQN + "/" + lun;
  }

  String portal() {
    return "127.0.0.1:" + iscsiPort;
  }

  /** Waits until the node's OpLog holds no undrained bytes (everything is in the extent store). */
  void awaitDrained(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      if (oplog().get("undrainedBytes").asLong() == 0) return;
      sleep(200);
    }
    throw new AssertionError("OpLog not drained within " + timeout + ": " + oplog());
  }

  /** Waits until one vDisk has no undrained OpLog bytes ({@code usage.undrainedOpLogBytes}). */
  void awaitVDiskDrained(String vdisk, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode v = null;
    while (System.nanoTime() - deadline < 0) {
      v = get("/api/vdisks/" + vdisk);
      if (v != null && v.path("usage").path("undrainedOpLogBytes").asLong(-1) == 0) return;
      sleep(200);
    }
    throw new AssertionError("vDisk " + vdisk + " not drained within " + timeout + ": " + (v == null ? null : v.get("usage")));
  }

  // ---------------------------------------------------------------- lifecycle

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** Graceful stop (SIGTERM: CoordinatedShutdown), waiting for the process to end. */
  void stop() {
    if (!isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("cairn did not stop within " + STOP_TIMEOUT + " of SIGTERM\n" + logTail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code kill -9} (SIGKILL to the PID): the process dies at once, nothing is flushed. */
  void kill9() {
    if (process == null) return;
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("cairn survived SIGKILL for 30 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  long pid() {
    return process.pid();
  }

  String logTail() {
    try {
      return Exec.tail(Files.readString(log));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Log lines at WARN or ERROR level (for failure messages and for asserting a clean run). */
  List<String> logProblems() {
    try {
      return Files.readAllLines(log).stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
    } catch (IOException e) {
      return List.of("(no log: " + e + ")");
    }
  }

  @Override
  public void close() {
    if (isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A loopback port from the configured range that is free now; successive calls go round the range. */
  static int freePort() {
    String[] range = System.getProperty("cairn.it.ports", "13260-13299").split("-");
    int lo = Integer.parseInt(range[0].trim());
    int hi = Integer.parseInt(range[1].trim());
    int n = hi - lo + 1;
    for (int i = 0; i < n; i++) {
      int port = lo + Math.floorMod(NEXT_PORT.getAndIncrement(), n);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException busy) {
        // taken: try the next one
      }
    }
    throw new IllegalStateException("no free port in " + lo + "-" + hi);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
