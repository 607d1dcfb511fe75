package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cairn volume-group create|list}. */
@Command(name = "volume-group", description = "Manage volume groups (iSCSI targets).",
    subcommands = {VolumeGroupCommand.Create.class, VolumeGroupCommand.ListAll.class})
public final class VolumeGroupCommand {

  @Command(name = "create", description = "Create a volume group.")
  static final class Create extends ClientOptions {
    @Parameters(index = "0", description = "Name (lower case letters, digits, '.', '-').")
    String name;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.post("api/volume-groups", Map.of("name", name));
      if (human()) System.out.println("created " + r.body().get("name").asText() + "  " + r.body().get("iqn").asText());
      return r;
    }
  }

  @Command(name = "list", description = "List volume groups.")
  static final class ListAll extends ClientOptions {
    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.get("api/volume-groups");
      if (human()) {
        Table t = new Table("NAME", "IQN", "PORTAL");
        for (JsonNode g : r.body()) t.row(g.get("name").asText(), g.get("iqn").asText(), g.get("portal").asText());
        t.print();
      }
      return r;
    }
  }
}
