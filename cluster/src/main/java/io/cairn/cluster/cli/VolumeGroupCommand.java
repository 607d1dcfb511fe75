package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn volume-group create|list|show|allow|disallow|set-initiators|set-chap|clear-chap}.
 *
 * <p>CHAP secrets: {@code --chap-secret} and {@code --mutual-secret} without a value prompt for it
 * without echo (so it stays out of shell history and the process list); the API never returns a
 * secret, {@code show} only says whether CHAP is set and for which user.
 */
@Command(name = "volume-group", description = "Manage volume groups (iSCSI targets) and who may reach them.",
    subcommands = {VolumeGroupCommand.Create.class, VolumeGroupCommand.ListAll.class, VolumeGroupCommand.Show.class,
        VolumeGroupCommand.Allow.class, VolumeGroupCommand.Disallow.class, VolumeGroupCommand.SetInitiators.class,
        VolumeGroupCommand.SetChap.class, VolumeGroupCommand.ClearChap.class})
public final class VolumeGroupCommand {

  /** CHAP options shared by create and set-chap. */
  static final class ChapOptions {
    @Option(names = "--chap-user", required = true, description = "CHAP name initiators must present.")
    String user;

    @Option(names = "--chap-secret", required = true, arity = "0..1", interactive = true,
        description = "CHAP secret (12-255 bytes); without a value it is prompted for.")
    String secret;

    @Option(names = "--mutual-user", description = "The target's CHAP name for mutual CHAP.")
    String mutualUser;

    @Option(names = "--mutual-secret", arity = "0..1", interactive = true,
        description = "The target's CHAP secret for mutual CHAP (differs from --chap-secret); prompted without a value.")
    String mutualSecret;

    Map<String, Object> body() {
      Map<String, Object> chap = new LinkedHashMap<>();
      chap.put("user", user);
      chap.put("secret", secret);
      if (mutualUser != null) chap.put("mutualUser", mutualUser);
      if (mutualSecret != null) chap.put("mutualSecret", mutualSecret);
      return chap;
    }
  }

  static String path(String group) {
    return "api/volume-groups/" + URLEncoder.encode(group, StandardCharsets.UTF_8);
  }

  /** One line per volume group, as {@code list} and the mutating commands print it. */
  static void print(JsonNode g) {
    Table t = new Table("NAME", "IQN", "INITIATORS", "CHAP");
    row(t, g);
    t.print();
  }

  static void row(Table t, JsonNode g) {
    List<String> initiators = new ArrayList<>();
    g.path("initiators").forEach(n -> initiators.add(n.asText()));
    JsonNode chap = g.path("chap");
    String chapText = !chap.path("enabled").asBoolean() ? "none"
        : chap.path("mutual").asBoolean() ? "mutual (" + chap.path("user").asText() + "/" + chap.path("mutualUser").asText() + ")"
        : "one-way (" + chap.path("user").asText() + ")";
    t.row(g.get("name").asText(), g.get("iqn").asText(), initiators.isEmpty() ? "any" : String.join(",", initiators), chapText);
  }

  @Command(name = "create", description = "Create a volume group, optionally with its allow-list and CHAP.")
  static final class Create extends ClientOptions {
    @Parameters(index = "0", description = "Name (lower case letters, digits, '.', '-').")
    String name;

    @Option(names = "--initiator", description = "Initiator allowed to log in (repeatable; none = any initiator).")
    List<String> initiators;

    @ArgGroup(exclusive = false)
    ChapOptions chap;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      if (initiators != null) body.put("initiators", initiators);
      if (chap != null) body.put("chap", chap.body());
      ApiClient.Response r = client.post("api/volume-groups", body);
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
        Table t = new Table("NAME", "IQN", "INITIATORS", "CHAP");
        for (JsonNode g : r.body()) row(t, g);
        t.print();
      }
      return r;
    }
  }

  @Command(name = "show", description = "Show one volume group: portals, allow-list, whether CHAP is set.")
  static final class Show extends ClientOptions {
    @Parameters(index = "0", description = "Volume group name.")
    String name;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.get(path(name));
      if (human()) {
        print(r.body());
        List<String> portals = new ArrayList<>();
        r.body().path("portals").forEach(p -> portals.add(p.asText()));
        System.out.println("portals: " + String.join(" ", portals));
      }
      return r;
    }
  }

  @Command(name = "allow", description = "Add initiators to the allow-list (the group then admits only listed initiators).")
  static final class Allow extends ClientOptions {
    @Parameters(index = "0", description = "Volume group name.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", description = "Initiator names (IQN, EUI or NAA).")
    List<String> initiators;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = null;
      for (String i : initiators) r = client.post(path(name) + "/initiators", Map.of("name", i));
      if (human()) print(r.body());
      return r;
    }
  }

  @Command(name = "disallow", description = "Remove initiators from the allow-list (an empty list admits any initiator).")
  static final class Disallow extends ClientOptions {
    @Parameters(index = "0", description = "Volume group name.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", description = "Initiator names.")
    List<String> initiators;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = null;
      for (String i : initiators) {
        r = client.delete(path(name) + "/initiators/" + URLEncoder.encode(i, StandardCharsets.UTF_8));
      }
      if (human()) print(r.body());
      return r;
    }
  }

  @Command(name = "set-initiators", description = "Replace the allow-list; with no initiator the group admits any.")
  static final class SetInitiators extends ClientOptions {
    @Parameters(index = "0", description = "Volume group name.")
    String name;

    @Parameters(index = "1..*", arity = "0..*", description = "Initiator names.")
    List<String> initiators;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.put(path(name) + "/initiators",
          Map.of("initiators", initiators == null ? List.of() : initiators));
      if (human()) print(r.body());
      return r;
    }
  }

  @Command(name = "set-chap", description = "Require CHAP (and offer mutual CHAP) for logins to the group.")
  static final class SetChap extends ClientOptions {
    @Parameters(index = "0", description = "Volume group name.")
    String name;

    @ArgGroup(exclusive = false, multiplicity = "1")
    ChapOptions chap;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.put(path(name) + "/chap", chap.body());
      if (human()) print(r.body());
      return r;
    }
  }

  @Command(name = "clear-chap", description = "Stop requiring CHAP for logins to the group.")
  static final class ClearChap extends ClientOptions {
    @Parameters(index = "0", description = "Volume group name.")
    String name;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.delete(path(name) + "/chap");
      if (human()) print(r.body());
      return r;
    }
  }
}
