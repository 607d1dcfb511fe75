package io.cairn.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The command tree: every command answers {@code --help} with its own usage (as the README promises for {@code up}). */
class MainTest {

  @ParameterizedTest
  @ValueSource(strings = {"up", "status", "vdisk create", "volume-group set-chap", "container create", "rebuild", "ft-status",
      "events", "cluster up", "cluster down"})
  void shouldPrintTheUsageOfEveryCommandOnHelp(String command) {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out));
    String[] args = (command + " --help").split(" ");
    assertEquals(0, cli.execute(args), out.toString());
    assertTrue(out.toString().startsWith("Usage: cairn " + command), out.toString());
  }
}
