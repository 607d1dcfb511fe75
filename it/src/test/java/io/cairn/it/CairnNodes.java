package io.cairn.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Owns the Cairn node processes of a test class (register it with {@code @RegisterExtension}):
 * gives each node a fresh directory under {@code it/target/it-data/<class>/<test>/}, stops every
 * node it started (by PID) after the test that started it, or after the class for nodes started in
 * {@code @BeforeAll}, and appends the tail of every node's log (and its WARN/ERROR lines) to the
 * failure of a test. Node logs stay on disk for CI to archive; data directories of passing tests are
 * deleted.
 */
final class CairnNodes implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
    TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

  private final List<CairnProcess> classNodes = new ArrayList<>();
  private final List<CairnProcess> testNodes = new ArrayList<>();
  private Path classDir;
  private Path testDir;
  private boolean failed;
  private boolean classFailed;

  /** Starts a node named {@code name} (its data in {@code <dir>/<name>}); see {@link CairnProcess#start}. */
  CairnProcess start(String name, String... extraArgs) {
    Path dir = testDir != null ? testDir : classDir;
    if (dir == null) throw new IllegalStateException("CairnNodes is not registered with @RegisterExtension");
    CairnProcess p = CairnProcess.start(name, dir.resolve(name), extraArgs);
    (testDir != null ? testNodes : classNodes).add(p);
    return p;
  }

  /** A scratch directory of the running test (or class), for images and other files. */
  Path scratch() {
    Path dir = testDir != null ? testDir : classDir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  private static Path classDir(ExtensionContext context) {
    Path root = Path.of(System.getProperty("cairn.home", ".."), "it", "target", "it-data").toAbsolutePath().normalize();
    return root.resolve(context.getRequiredTestClass().getSimpleName());
  }

  /** Called only when the extension is registered in a static field. */
  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    classDir = classDir(context);
    deleteTree(classDir);
    Files.createDirectories(classDir);
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    if (classDir == null) classDir = classDir(context);
    testDir = classDir.resolve(context.getRequiredTestMethod().getName());
    deleteTree(testDir);
    Files.createDirectories(testDir);
    failed = false;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    closeAll(testNodes);
    if (!failed && context.getExecutionException().isEmpty()) deleteData(testDir);
    testDir = null;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    closeAll(classNodes);
    if (!classFailed && context.getExecutionException().isEmpty() && classDir != null) {
      try (Stream<Path> s = Files.list(classDir)) {
        for (Path p : s.toList()) {
          if (Files.exists(classDir.resolve(p.getFileName() + "-node.log"))) deleteTree(p); // a class-level node's data
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
    failed = true;
    classFailed = true;
    throw withLogs(throwable);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
    classFailed = true;
    throw withLogs(throwable);
  }

  @Override
  public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
    failed = true;
    classFailed = true;
    throw withLogs(throwable);
  }

  @Override
  public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
    failed = true;
    classFailed = true;
    throw withLogs(throwable);
  }

  /** The failure with every node's log tail appended to its message; the original is the cause. */
  private Throwable withLogs(Throwable t) {
    List<CairnProcess> all = new ArrayList<>(classNodes);
    all.addAll(testNodes);
    if (all.isEmpty()) return t;
    StringBuilder msg = new StringBuilder(String.valueOf(t.getMessage()));
    for (CairnProcess p : all) {
      msg.append("\n\n----- node ").append(p.name).append(" (").append(p.isAlive() ? "running" : "not running")
          .append(", log ").append(p.log).append(") -----\n");
      List<String> problems = p.logProblems();
      if (!problems.isEmpty()) {
        msg.append("WARN/ERROR lines (last 30):\n");
        problems.subList(Math.max(0, problems.size() - 30), problems.size()).forEach(l -> msg.append(l).append('\n'));
        msg.append("log tail:\n");
      }
      msg.append(p.logTail());
    }
    AssertionError e = new AssertionError(msg.toString(), t);
    e.setStackTrace(t.getStackTrace());
    return e;
  }

  private static void closeAll(List<CairnProcess> nodes) {
    for (CairnProcess p : nodes) p.close();
    nodes.clear();
  }

  /** Deletes the node data directories and large scratch files of a passing test; keeps node logs. */
  private static void deleteData(Path dir) {
    if (dir == null || !Files.isDirectory(dir)) return;
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (!p.getFileName().toString().endsWith(".log")) deleteTree(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
