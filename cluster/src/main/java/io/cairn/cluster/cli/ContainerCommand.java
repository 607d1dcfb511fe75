package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn container create|list}. */
@Command(name = "container", description = "Manage containers (policy scopes).",
    subcommands = {ContainerCommand.Create.class, ContainerCommand.ListAll.class})
public final class ContainerCommand {

  @Command(name = "create", description = "Create a container.")
  static final class Create extends ClientOptions {
    @Parameters(index = "0", description = "Name.")
    String name;

    @Option(names = "--rf", description = "Replication factor 1-3 (default 1).")
    int rf = 1;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.post("api/containers", Map.of("name", name, "replicationFactor", rf));
      if (human()) System.out.println("created " + name + " (RF" + rf + ")");
      return r;
    }
  }

  @Command(name = "list", description = "List containers.")
  static final class ListAll extends ClientOptions {
    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.get("api/containers");
      if (human()) {
        Table t = new Table("NAME", "RF");
        for (JsonNode c : r.body()) t.row(c.get("name").asText(), c.get("replicationFactor").asInt());
        t.print();
      }
      return r;
    }
  }
}
