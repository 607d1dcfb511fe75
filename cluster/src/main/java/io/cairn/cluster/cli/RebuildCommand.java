package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.cluster.api.Sizes;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code cairn rebuild [status|scan]}: the Curator's view of re-protection. */
@Command(name = "rebuild", description = "Show re-protection (the Curator's scans and re-replication), or start a scan.",
    subcommands = {RebuildCommand.Scan.class})
public final class RebuildCommand extends ClientOptions {

  @Override
  protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
    ApiClient.Response r = client.get("api/rebuild");
    if (human()) {
      JsonNode s = r.body();
      JsonNode scan = s.get("scan");
      JsonNode rb = s.get("rebuild");
      System.out.printf("failed nodes: %s; missing: %s%n", s.get("failedNodes"), s.get("missingNodesMs"));
      System.out.printf("scans: %d completed%s; last: %d extent group(s) %s, %d under-replicated%n",
          scan.get("completed").asLong(), scan.get("running").asBoolean() ? " (one running)" : "",
          scan.get("egroups").asLong(), scan.get("egroupsByNode"), scan.get("underReplicated").asInt());
      long eta = rb.get("etaSeconds").asLong();
      System.out.printf("rebuild: %d task(s) pending, %s to re-protect, %s done at %s/s, ETA %s; %d failed task(s)%n",
          rb.get("pendingTasks").asInt(), Sizes.format(rb.get("bytesToReprotect").asLong()),
          Sizes.format(rb.get("bytesReprotected").asLong()), Sizes.format(rb.get("rateBytesPerSecond").asLong()),
          eta < 0 ? "unknown" : eta + " s", rb.get("failedTasks").asLong());
      System.out.printf("orphaned replicas: %d deleted; %d waiting for their grace period%n",
          s.get("orphansRemoved").asLong(), scan.get("orphansWaiting").asInt());
      JsonNode sc = s.get("scrubber");
      if (sc.get("enabled").asBoolean()) {
        System.out.printf("scrubber (this node): %d pass(es), %s checked, %d bad slice(s), %d repaired, %d not repaired%s%n",
            sc.get("passes").asLong(), Sizes.format(sc.get("bytesScrubbed").asLong()), sc.get("badSlices").asLong(),
            sc.get("repairedSlices").asLong(), sc.get("unrepairedSlices").asLong(),
            sc.get("passEgroups").asInt() > 0 ? "; pass at " + sc.get("passDone").asInt() + "/" + sc.get("passEgroups").asInt() : "");
      } else {
        System.out.println("scrubber (this node): off (cairn.curator.scrub-rate = 0)");
      }
      Table t = new Table("NODE", "COPIED");
      rb.get("bytesByNode").fields().forEachRemaining(e -> t.row(e.getKey(), Sizes.format(e.getValue().asLong())));
      t.print();
    }
    return r;
  }

  @Command(name = "scan", description = "Start a Curator scan now.")
  static final class Scan extends ClientOptions {
    @Override
    protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
      ApiClient.Response r = client.post("api/rebuild/scan", Map.of());
      if (human()) System.out.println("scan requested");
      return r;
    }
  }
}
