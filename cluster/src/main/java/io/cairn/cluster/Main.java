package io.cairn.cluster;

import io.cairn.cluster.cli.ContainerCommand;
import io.cairn.cluster.cli.EventsCommand;
import io.cairn.cluster.cli.DiskCommand;
import io.cairn.cluster.cli.FtStatusCommand;
import io.cairn.cluster.cli.RebuildCommand;
import io.cairn.cluster.cli.StatusCommand;
import io.cairn.cluster.cli.VDiskCommand;
import io.cairn.cluster.cli.VolumeGroupCommand;
import io.cairn.cluster.local.ClusterCommand;
import io.cairn.cluster.node.UpCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cairn} command: runs a node ({@code up}), a local cluster of nodes in the background
 * ({@code cluster up|down|status}), or talks to a node over its HTTP API.
 */
@Command(name = "cairn", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "cairn 0.1.0",
    description = "Cairn: scale-out block storage served over iSCSI.",
    subcommands = {UpCommand.class, StatusCommand.class, VDiskCommand.class, VolumeGroupCommand.class,
        ContainerCommand.class, RebuildCommand.class, DiskCommand.class, FtStatusCommand.class, EventsCommand.class,
        ClusterCommand.class, CommandLine.HelpCommand.class})
public final class Main {

  public static void main(String[] args) {
    int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    if (code != 0 || !isUp(args)) System.exit(code);
  }

  private static boolean isUp(String[] args) {
    return args.length > 0 && args[0].equals("up");
  }
}
