package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.api.Sizes;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code cairn status}: the node, its cluster's members, disks, OpLog and cache. */
@Command(name = "status", description = "Show the node's and cluster's status.")
public final class StatusCommand extends ClientOptions {

  @Override
  protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
    ApiClient.Response r = client.get("api/status");
    if (human()) {
      JsonNode s = r.body();
      JsonNode node = s.get("node");
      System.out.printf("node %s (%s), block %s, rack %s, iSCSI portal %s, data %s%n", node.get("id").asText(),
          node.get("memberStatus").asText(), node.path("block").asText(), node.path("rack").asText(),
          node.get("iscsiPortal").asText(), node.get("dataDir").asText());
      printCluster(s.get("cluster"));
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
      if (s.has("capacity")) System.out.println("capacity: " + capacityLine(s.get("capacity")));
    }
    return r;
  }

  /** Usage against the resilient capacity, one line ({@code capacity} of GET /api/status or /api/fault-tolerance). */
  static String capacityLine(JsonNode cap) {
    JsonNode pct = cap.get("usedPercent");
    return String.format(java.util.Locale.ROOT, "%s used of %s resilient (%s; %s level, RF%d after %d failure(s)), threshold %s: %s",
        Sizes.format(cap.get("usedBytes").asLong()), Sizes.format(cap.get("resilientBytes").asLong()),
        pct.isNull() ? "no resilient capacity" : FtStatusCommand.percent(pct.asDouble()), cap.get("domain").asText(),
        cap.get("replicationFactor").asInt(), cap.get("failuresPlannedFor").asInt(),
        FtStatusCommand.percent(cap.get("threshold").asDouble() * 100),
        cap.get("overThreshold").asBoolean() ? "OVER THRESHOLD" : "ok");
  }

  /** The members table (one row per member, with its directory entry) and the availability domains. */
  public static void printCluster(JsonNode cluster) {
    JsonNode domains = cluster.path("domains");
    System.out.printf("cluster: %d member(s), %d unreachable, leader %s; Up and reachable: %d node(s), %d block(s), %d rack(s)%n",
        cluster.get("members").size(), cluster.get("unreachable").asInt(), cluster.get("leader").asText(),
        domains.path("nodes").asInt(), domains.path("blocks").asInt(), domains.path("racks").asInt());
    Table members = new Table("NODE", "BLOCK", "RACK", "STATUS", "REACHABLE", "ADDRESS", "ISCSI PORTALS", "API", "DISKS", "USED", "OPLOG");
    for (JsonNode m : cluster.get("members")) {
      List<String> portals = new ArrayList<>();
      m.path("iscsiPortals").forEach(p -> portals.add(p.asText()));
      long capacity = 0;
      long used = 0;
      for (JsonNode d : m.path("disks")) {
        capacity += d.path("capacityBytes").asLong();
        used += d.path("usedBytes").asLong();
      }
      boolean published = m.has("nodeId");
      members.row(m.path("nodeId").asText("?") + (m.path("self").asBoolean() ? " *" : ""), m.path("block").asText("-"),
          m.path("rack").asText("-"), m.get("status").asText(), m.path("reachable").asBoolean(true) ? "yes" : "NO",
          m.get("address").asText(), portals.isEmpty() ? "-" : String.join(" ", portals), m.path("management").asText("-"),
          published ? m.path("disks").size() + " (" + Sizes.format(capacity) + ")" : "-",
          published ? Sizes.format(used) : "-", published ? Sizes.format(m.path("oplogBytes").asLong()) : "-");
    }
    members.print();
  }
}
