package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.api.Sizes;
import java.util.Locale;
import picocli.CommandLine.Command;

/**
 * {@code cairn ft-status}: failures the cluster tolerates now per domain level and component, and
 * the resilient capacity (AOS: {@code ncli cluster get-domain-fault-tolerance-status}).
 */
@Command(name = "ft-status", description = "Show the failures tolerated per domain (node, block, rack) for data, OpLog "
    + "and metadata, and the resilient capacity.")
public final class FtStatusCommand extends ClientOptions {

  private static final String[] LEVELS = {"node", "block", "rack"};
  private static final String[] COMPONENTS = {"data", "oplog", "metadata"};

  @Override
  protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
    ApiClient.Response r = client.get("api/fault-tolerance");
    if (human()) print(r.body());
    return r;
  }

  static void print(JsonNode ft) {
    JsonNode scan = ft.get("scan");
    if (scan.get("id").asLong() == 0) {
      System.out.println("no Curator scan completed yet: data and OpLog unknown (bin/cairn rebuild scan)");
    } else {
      System.out.printf("from scan %d (completed %s, %d of %d share(s)%s): %d extent group(s), %d open OpLog episode(s); "
              + "%d live node(s) of %d member(s)%n", scan.get("id").asLong(), scan.get("completedAt").asText(),
          scan.get("reported").asInt(), scan.get("shares").asInt(),
          scan.get("complete").asBoolean() ? "" : ", INCOMPLETE: " + scan.path("incomplete").asText(),
          scan.get("extentGroups").asLong(), scan.get("openOplogEpisodes").asLong(), ft.get("liveNodes").asInt(),
          ft.get("members").asInt());
      if (scan.hasNonNull("note")) System.out.println("note: " + scan.get("note").asText());
    }
    Table t = new Table("DOMAIN", "COMPONENT", "FAILURES TOLERATED", "REASON");
    for (String level : LEVELS) {
      JsonNode d = ft.get("domains").get(level);
      for (String c : COMPONENTS) {
        JsonNode f = d.get(c).get("failures");
        t.row(level + " (" + d.get("count").asInt() + ")", c, f.isNull() ? "?" : f.asText(), d.get(c).get("reason").asText());
      }
    }
    t.print();
    JsonNode cap = ft.get("capacity");
    System.out.printf("%nresilient capacity: RF%d, planning for %d failure(s) of each domain; threshold %s of it%n",
        cap.get("replicationFactor").asInt(), cap.get("failuresPlannedFor").asInt(), percent(cap.get("threshold").asDouble() * 100));
    Table c = new Table("DOMAIN", "WORST CASE", "TOTAL", "RESILIENT", "USED", "USED %", "STATUS");
    for (String level : LEVELS) {
      JsonNode l = cap.get("byDomain").get(level);
      StringBuilder worst = new StringBuilder();
      l.get("worstDomains").forEach(w -> worst.append(worst.length() == 0 ? "" : ",").append(w.asText()));
      c.row(level + (level.equals(cap.get("domain").asText()) ? " *" : ""), worst.length() == 0 ? "-" : worst,
          Sizes.format(l.get("totalBytes").asLong()), Sizes.format(l.get("resilientBytes").asLong()),
          Sizes.format(l.get("usedBytes").asLong()), l.get("usedPercent").isNull() ? "-" : percent(l.get("usedPercent").asDouble()),
          !l.get("planned").asBoolean() ? "not protected" : l.get("overThreshold").asBoolean() ? "OVER THRESHOLD" : "ok");
    }
    c.print();
    System.out.println("* the level placement keeps replicas apart at: " + StatusCommand.capacityLine(cap));
  }

  static String percent(double p) {
    return String.format(Locale.ROOT, "%.1f%%", p);
  }
}
