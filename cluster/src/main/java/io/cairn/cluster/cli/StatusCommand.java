package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.api.Sizes;
import picocli.CommandLine.Command;

/** {@code cairn status}: the node, its cluster, disks, OpLog and cache. */
@Command(name = "status", description = "Show the node's and cluster's status.")
public final class StatusCommand extends ClientOptions {

  @Override
  protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
    ApiClient.Response r = client.get("api/status");
    if (human()) {
      JsonNode s = r.body();
      JsonNode node = s.get("node");
      System.out.printf("node %s (%s), iSCSI portal %s, data %s%n", node.get("id").asText(),
          node.get("memberStatus").asText(), node.get("iscsiPortal").asText(), node.get("dataDir").asText());
      JsonNode cluster = s.get("cluster");
      System.out.printf("cluster: %d member(s), %d unreachable, leader %s%n", cluster.get("members").size(),
          cluster.get("unreachable").asInt(), cluster.get("leader").asText());
      Table disks = new Table("DISK", "TIER", "CAPACITY", "USED", "EGROUPS", "ONLINE", "PATH");
      for (JsonNode d : s.get("disks")) {
        disks.row(d.get("diskId").asText(), d.get("tier").asText(), Sizes.format(d.get("capacityBytes").asLong()),
            Sizes.format(d.get("usedBytes").asLong()), d.get("egroups").asLong(), d.get("online").asBoolean(), d.get("path").asText());
      }
      disks.print();
      JsonNode oplog = s.get("oplog");
      System.out.printf("oplog: %s undrained in %d file(s), %d appends, %d fsyncs%n",
          Sizes.format(oplog.get("undrainedBytes").asLong()), oplog.get("files").asInt(),
          oplog.get("appends").asLong(), oplog.get("fsyncs").asLong());
      JsonNode objects = s.get("objects");
      System.out.printf("objects: %d container(s), %d volume group(s), %d vDisk(s)%n",
          objects.get("containers").asInt(), objects.get("volumeGroups").asInt(), objects.get("vdisks").asInt());
    }
    return r;
  }
}
