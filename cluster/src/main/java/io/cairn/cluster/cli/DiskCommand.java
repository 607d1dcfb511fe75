package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.api.Sizes;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn disk [list|clear NODE DISK|remove NODE DISK]}: disk health across the cluster. A
 * disk is changed through its own node's management endpoint, found in the cluster status.
 */
@Command(name = "disk", description = "List every node's disks with their health, clear a disk held offline, or remove one.",
    subcommands = {DiskCommand.Clear.class, DiskCommand.Remove.class})
public final class DiskCommand extends ClientOptions {

  @Override
  protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
    ApiClient.Response r = client.get("api/status");
    if (human()) {
      Table t = new Table("NODE", "DISK", "TIER", "STATE", "CAPACITY", "USED");
      for (JsonNode m : r.body().path("cluster").path("members")) {
        if (!m.has("nodeId")) continue;
        for (JsonNode d : m.path("disks")) {
          t.row(m.get("nodeId").asText(), d.get("diskId").asText(), d.get("tier").asText(), d.path("state").asText("online"),
              Sizes.format(d.get("capacityBytes").asLong()), Sizes.format(d.get("usedBytes").asLong()));
        }
      }
      t.print();
    }
    return r;
  }

  /** The management API of node {@code node}, from the cluster status of the node {@code client} talks to. */
  static ApiClient nodeClient(ApiClient client, String node) throws ApiClient.CallFailed {
    for (JsonNode m : client.get("api/status").body().path("cluster").path("members")) {
      if (node.equals(m.path("nodeId").asText())) return new ApiClient("http://" + m.get("management").asText());
    }
    throw new ApiClient.CallFailed("no member node '" + node + "' in the cluster", 1);
  }

  /** What a disk action prints: the node's disks after it. */
  static void printDisks(String node, JsonNode disks) {
    Table t = new Table("DISK", "STATE", "REASON", "OFFLINES", "REPLICAS");
    for (JsonNode d : disks) {
      t.row(d.get("diskId").asText(), d.get("state").asText(), d.get("reason").asText(),
          Integer.toString(d.get("offlinesInWindow").asInt()), Long.toString(d.path("usage").path("egroups").asLong()));
    }
    System.out.println("node " + node + ":");
    t.print();
  }

  /** A change of one disk, sent to that disk's node: POST api/disks/DISK/ACTION; prints the node's disks. */
  abstract static class DiskAction extends ClientOptions {
    @Parameters(index = "0", description = "Node id.")
    String node;

    @Parameters(index = "1", description = "Disk id.")
    String disk;

    abstract String action();

    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = nodeClient(client, node).post("api/disks/" + disk + "/" + action(), Map.of());
      if (human()) printDisks(node, r.body());
      return r;
    }
  }

  @Command(name = "clear", description = "Bring a disk held offline (or being removed) back online, once it passes a probe.")
  static final class Clear extends DiskAction {
    @Override
    String action() {
      return "clear";
    }
  }

  @Command(name = "remove", description = "Planned removal of a disk: its replicas are moved to other disks, then it is removed.")
  static final class Remove extends DiskAction {
    @Override
    String action() {
      return "remove";
    }
  }
}
