package io.cairn.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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

/**
 * A real {@code cairn up} node process for integration tests: its own data directory and
 * loopback ports, its output in {@code node.log} beside the data, stopped by its PID (never by
 * name). {@link #close()} always ends the process.
 */
final class CairnProcess implements AutoCloseable {

  static final String DEMO_IQN = "iqn.2026-11.io.cairn:demo";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  final Path dataDir;
  final Path log;
  final int iscsiPort;
  final int managementPort;
  final int arteryPort;
  private final List<String> extraArgs;
  private Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private CairnProcess(Path dataDir, List<String> extraArgs) {
    this.dataDir = dataDir;
    this.log = dataDir.resolveSibling(dataDir.getFileName() + "-node.log");
    this.iscsiPort = freePort();
    this.managementPort = freePort();
    this.arteryPort = freePort();
    this.extraArgs = extraArgs;
  }

  /** Starts a node with its data under {@code dataDir} and waits until the demo LUN is exported. */
  static CairnProcess start(Path dataDir, String... extraArgs) {
    CairnProcess p = new CairnProcess(dataDir, List.of(extraArgs));
    p.launch();
    return p;
  }

  /** Starts the node again on the same data and ports (after {@link #stop()} or {@link #kill9()}). */
  void restart() {
    if (process != null && process.isAlive()) throw new IllegalStateException("still running");
    launch();
  }

  private void launch() {
    Path target = Path.of(System.getProperty("cairn.lib", "../cluster/target"));
    Path jar = target.resolve("cairn.jar");
    if (!Files.exists(jar)) throw new IllegalStateException(jar + " missing: run mvn package first");
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
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
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
      JsonNode v = get("/api/vdisks/demo-disk");
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

  /** GETs an API path; null on 404. */
  JsonNode get(String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
          .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 404) return null;
      if (r.statusCode() >= 400) throw new IllegalStateException("GET " + path + " -> " + r.statusCode() + " " + r.body());
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
      JsonNode s = get("/api/status");
      if (s.get("oplog").get("undrainedBytes").asLong() == 0) return;
      sleep(200);
    }
    throw new AssertionError("OpLog not drained within " + timeout + ": " + get("/api/status").get("oplog"));
  }

  /** Graceful stop (SIGTERM: CoordinatedShutdown), waiting for the process to end. */
  void stop() {
    if (process == null || !process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("cairn did not stop within 60 s of SIGTERM\n" + logTail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code kill -9}: the process dies at once, nothing is flushed. */
  void kill9() {
    if (process == null) return;
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
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

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
