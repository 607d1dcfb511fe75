package io.cairn.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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

    String both() {
      return stdout + stderr;
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
          throw new AssertionError(abbreviate(command) + " did not finish within " + timeout
              + "\nstdout:\n" + tail(Files.readString(out)) + "\nstderr:\n" + tail(Files.readString(err)));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + abbreviate(command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * A tool running in the background whose output (stdout and stderr merged) arrives line by line
   * as it is written (run it under {@code stdbuf -oL} so a C tool's stdio does not hold lines back).
   * {@link #close()} ends it by its PID.
   *
   * <p>Threading: one reader thread per process fills {@link #lines}; the test thread takes from it.
   */
  static final class Background implements AutoCloseable {
    /** Every output line in order; the reader thread adds {@link #EOF} after the last one. */
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    static final String EOF = "\u0000EOF";
    private final List<String> transcript = new ArrayList<>();
    private final Process process;
    private final Thread reader;

    Background(List<String> command) {
      try {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new AssertionError("cannot run " + abbreviate(command) + ": " + e, e);
      }
      try {
        process.getOutputStream().close(); // the tools read their commands from arguments, never stdin
      } catch (IOException ignored) {
        // nothing to close
      }
      reader = new Thread(this::pump, "out-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    private void pump() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          synchronized (transcript) {
            transcript.add(l);
          }
          lines.add(l);
        }
      } catch (IOException ignored) {
        // the process was killed: its output ends here
      } finally {
        lines.add(EOF);
      }
    }

    /** The next output line, {@link #EOF} at the end, or null if none arrives within the timeout. */
    String next(Duration timeout) throws InterruptedException {
      return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    long pid() {
      return process.pid();
    }

    boolean isAlive() {
      return process.isAlive();
    }

    /** Waits for the process to exit and its output to be read; returns the exit code. */
    int waitFor(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("process " + pid() + " did not exit within " + timeout + "\n" + tail(transcript()));
      }
      reader.join(10_000);
      return process.exitValue();
    }

    String transcript() {
      synchronized (transcript) {
        return String.join("\n", transcript);
      }
    }

    /** SIGKILL to the PID, then waits for it to die. */
    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
        try {
          process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  static boolean available(String tool) {
    return Files.isExecutable(Path.of("/usr/bin", tool)) || Files.isExecutable(Path.of("/usr/local/bin", tool));
  }

  static String tail(String s) {
    return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
  }

  private static String abbreviate(List<String> command) {
    String s = String.join(" ", command);
    return s.length() <= 300 ? s : s.substring(0, 300) + " ... (" + command.size() + " arguments)";
  }
}
