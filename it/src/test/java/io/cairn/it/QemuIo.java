package io.cairn.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives {@code qemu-io -f raw -c CMD ... iscsi://...}: a real initiator (QEMU's block layer over
 * libiscsi) executing a scripted list of commands, and the parsing of what it prints.
 *
 * <p>qemu-io prints {@code wrote N/N bytes at offset X} or {@code read N/N bytes at offset X} when a
 * request completes (for {@code aio_*} commands, in completion order), {@code Pattern verification
 * failed at offset X, N bytes} when {@code read -P} finds other bytes, and {@code ... failed: ERROR}
 * when a request fails.
 */
final class QemuIo {
  private QemuIo() {}

  /** At most this many {@code -c} commands per qemu-io process (keeps the argument list small). */
  static final int MAX_COMMANDS = 1500;

  static final Pattern WROTE = Pattern.compile("^wrote (\\d+)/(\\d+) bytes at offset (\\d+)$");
  static final Pattern READ = Pattern.compile("^read (\\d+)/(\\d+) bytes at offset (\\d+)$");
  /** The throughput line after each completion, e.g. {@code 4 KiB, 1 ops; 00.01 sec (...)}. */
  static final Pattern STATS = Pattern.compile("^[0-9.]+ (bytes|KiB|MiB|GiB|TiB), \\d+ ops; .*");

  /** What one qemu-io run printed, parsed. */
  record Outcome(Exec.Result result, int writes, int reads, List<String> failures) {
    /**
     * Asserts the run exited 0, printed no failure, and completed exactly {@code writes} writes and
     * {@code reads} reads (each with its full length).
     */
    Outcome assertClean(String what, int expectedWrites, int expectedReads) {
      if (result.exitCode() != 0 || !failures.isEmpty() || writes != expectedWrites || reads != expectedReads) {
        throw new AssertionError(what + ": qemu-io exited " + result.exitCode() + ", " + writes + "/" + expectedWrites
            + " writes and " + reads + "/" + expectedReads + " reads completed, " + failures.size() + " failures:\n"
            + String.join("\n", failures.subList(0, Math.min(40, failures.size())))
            + "\nstdout tail:\n" + Exec.tail(result.stdout()) + "\nstderr:\n" + Exec.tail(result.stderr()));
      }
      return this;
    }
  }

  /** The command line of one qemu-io process running {@code commands} against {@code url}. */
  static List<String> commandLine(String url, List<String> commands) {
    List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
    for (String c : commands) {
      cmd.add("-c");
      cmd.add(c);
    }
    cmd.add(url);
    return cmd;
  }

  /** Runs the commands in one qemu-io process (at most {@link #MAX_COMMANDS}). */
  static Outcome run(String url, List<String> commands, Duration timeout) {
    if (commands.size() > MAX_COMMANDS) throw new IllegalArgumentException(commands.size() + " commands");
    return parse(Exec.run(timeout, commandLine(url, commands)));
  }

  /**
   * Runs any number of independent commands (reads, QD1 writes) in as many qemu-io processes as
   * needed, asserting each run clean; returns the number of processes.
   */
  static int runAllClean(String what, String url, List<String> commands, Duration timeoutEach) {
    int runs = 0;
    for (int i = 0; i < commands.size(); i += MAX_COMMANDS) {
      List<String> chunk = commands.subList(i, Math.min(commands.size(), i + MAX_COMMANDS));
      int writes = (int) chunk.stream().filter(c -> c.startsWith("write") || c.startsWith("aio_write")).count();
      int reads = (int) chunk.stream().filter(c -> c.startsWith("read") || c.startsWith("aio_read")).count();
      run(url, chunk, timeoutEach).assertClean(what + " (commands " + i + ".." + (i + chunk.size() - 1) + ")", writes, reads);
      runs++;
    }
    return runs;
  }

  static Outcome parse(Exec.Result r) {
    int writes = 0;
    int reads = 0;
    List<String> failures = new ArrayList<>();
    for (String line : (r.stdout() + "\n" + r.stderr()).split("\n")) {
      Matcher w = WROTE.matcher(line);
      Matcher rd = READ.matcher(line);
      if (w.matches() && w.group(1).equals(w.group(2))) {
        writes++;
      } else if (rd.matches() && rd.group(1).equals(rd.group(2))) {
        reads++;
      } else if (!line.isBlank() && !STATS.matcher(line).matches()) {
        failures.add(line); // "Pattern verification failed ...", "write failed: ...", or anything unexpected
      }
    }
    return new Outcome(r, writes, reads, failures);
  }

  /** {@code 0xNN}, as qemu-io's {@code -P} takes it. */
  static String hex(int pattern) {
    return String.format("0x%02x", pattern & 0xFF);
  }

  static String write(int pattern, long offset, long length) {
    return "write -P " + hex(pattern) + " " + offset + " " + length;
  }

  static String aioWrite(int pattern, long offset, long length) {
    return "aio_write -P " + hex(pattern) + " " + offset + " " + length;
  }

  static String readExpect(int pattern, long offset, long length) {
    return "read -P " + hex(pattern) + " " + offset + " " + length;
  }
}
