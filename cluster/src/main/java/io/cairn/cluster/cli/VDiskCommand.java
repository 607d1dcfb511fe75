package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.api.Sizes;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn vdisk create|list|show|delete}. */
@Command(name = "vdisk", description = "Manage vDisks.",
    subcommands = {VDiskCommand.Create.class, VDiskCommand.ListAll.class, VDiskCommand.Show.class, VDiskCommand.Set.class,
        VDiskCommand.Delete.class})
public final class VDiskCommand {

  static void print(JsonNode v) {
    System.out.printf("%s  %s  %s  LUN %d  %s%n", v.get("name").asText(), v.get("size").asText(),
        v.get("volumeGroup").asText(), v.get("lun").asInt(), v.get("url").asText());
  }

  @Command(name = "create", description = "Create a thin vDisk.")
  static final class Create extends ClientOptions {
    @Parameters(index = "0", description = "vDisk name.")
    String name;

    @Option(names = "--size", required = true, description = "Size, e.g. 10G, 1T, 4096 (binary units).")
    String size;

    @Option(names = "--volume-group", description = "Volume group (iSCSI target) exporting it (default: demo).")
    String volumeGroup;

    @Option(names = "--container", description = "Container (policy) (default: default).")
    String container;

    @Option(names = "--block-size", description = "Logical block size, 512 or 4096 (default 512).")
    Integer blockSize;

    @Option(names = "--read-only", description = "Export the vDisk write-protected.")
    boolean readOnly;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      long bytes;
      try {
        bytes = Sizes.parse(size);
      } catch (IllegalArgumentException e) {
        throw new ApiClient.CallFailed(e.getMessage(), 2);
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      body.put("size", bytes);
      if (volumeGroup != null) body.put("volumeGroup", volumeGroup);
      if (container != null) body.put("container", container);
      if (blockSize != null) body.put("logicalBlockSize", blockSize);
      if (readOnly) body.put("readOnly", true);
      ApiClient.Response r = client.post("api/vdisks", body);
      if (human()) {
        System.out.print("created ");
        print(r.body());
      }
      return r;
    }
  }

  @Command(name = "list", description = "List vDisks.")
  static final class ListAll extends ClientOptions {
    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.get("api/vdisks");
      if (human()) {
        Table t = new Table("NAME", "SIZE", "USED", "VOLUME-GROUP", "LUN", "URL");
        for (JsonNode v : r.body()) {
          JsonNode usage = v.get("usage");
          t.row(v.get("name").asText(), v.get("size").asText(),
              usage == null ? "-" : Sizes.format(usage.get("mappedBytes").asLong()),
              v.get("volumeGroup").asText(), v.get("lun").asInt(), v.get("url").asText());
        }
        t.print();
      }
      return r;
    }
  }

  @Command(name = "show", description = "Show one vDisk.")
  static final class Show extends ClientOptions {
    @Parameters(index = "0", description = "vDisk name.")
    String name;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.get("api/vdisks/" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8));
      if (human()) System.out.println(r.raw());
      return r;
    }
  }

  @Command(name = "set", description = "Change a vDisk's attributes.")
  static final class Set extends ClientOptions {
    @Parameters(index = "0", description = "vDisk name.")
    String name;

    @Option(names = "--read-only", required = true, arity = "1", description = "true: write-protect; false: allow writes.")
    boolean readOnly;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.patch("api/vdisks/" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8),
          Map.of("readOnly", readOnly));
      if (human()) System.out.println(name + (readOnly ? " is write-protected" : " accepts writes"));
      return r;
    }
  }

  @Command(name = "delete", description = "Delete a vDisk (its data is released).")
  static final class Delete extends ClientOptions {
    @Parameters(index = "0", description = "vDisk name.")
    String name;

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.delete("api/vdisks/" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8));
      if (human()) System.out.println("deleted " + name);
      return r;
    }
  }
}
