package io.cairn.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external tool (libiscsi, qemu) with a deadline and captures its output. */
final class Exec {
  private Exec() {}

  record Result(int exitCode, String stdout, String stderr) {
    Result assertOk(String what) {
      if (exitCode != 0) {
        throw new AssertionError(what + " exited " + exitCode + "\nstdout:\n" + tail(stdout) + "\nstderr:\n" + tail(stderr));
      }
      return this;
    }
  }

  static Result run(Duration timeout, String... command) {
    return run(timeout, List.of(command));
  }

  static Result run(Duration timeout, List<String> command) {
    try {
      Path out = Files.createTempFile("cairn-it-out", ".txt");
      Path err = Files.createTempFile("cairn-it-err", ".txt");
      try {
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout
              + "\nstdout:\n" + tail(Files.readString(out)) + "\nstderr:\n" + tail(Files.readString(err)));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  static boolean available(String tool) {
    return Files.isExecutable(Path.of("/usr/bin", tool)) || Files.isExecutable(Path.of("/usr/local/bin", tool));
  }

  static String tail(String s) {
    return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
  }
}
