package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cairn events}: follows the node's cluster event stream ({@code GET /api/events}) and
 * prints one line per event until Ctrl-C (or the raw JSON of each with {@code --json}).
 */
@Command(name = "events", description = "Follow the cluster event stream: one line per event, until Ctrl-C.")
public final class EventsCommand extends ClientOptions {

  /** A stream silent for this long is taken for dead (the node sends a keep-alive at least every 30 s). */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  @Option(names = "--recent", paramLabel = "N", description = "First print up to N recent events the node keeps (default 0).")
  int recent;

  @Option(names = "--kind", paramLabel = "PREFIX", description = "Only events whose kind starts with PREFIX (e.g. member. or rebuild).")
  String kind;

  @Override
  protected ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed {
    if (recent < 0) throw new ApiClient.CallFailed("--recent must be >= 0, was " + recent, 2);
    StringBuilder path = new StringBuilder("api/events?recent=").append(recent);
    if (kind != null && !kind.isEmpty()) path.append("&kind=").append(URLEncoder.encode(kind, StandardCharsets.UTF_8));
    client.stream(path.toString(), IDLE_TIMEOUT, m -> {
      if (json) {
        System.out.println(m.data());
      } else {
        try {
          System.out.println(format(ApiClient.JSON.readTree(m.data())));
        } catch (IOException e) {
          System.out.println("(unreadable event " + m.id() + ": " + m.data() + ")");
        }
      }
      System.out.flush();
    });
    return null; // not reached: the stream ends only with a failure
  }

  /** One event as a line: time, kind, node, severity, message, then the details as name=value. */
  static String format(JsonNode e) {
    List<String> details = new ArrayList<>();
    for (Map.Entry<String, JsonNode> d : iterable(e.path("details"))) {
      String v = d.getValue().isTextual() ? d.getValue().asText() : d.getValue().toString();
      details.add(d.getKey() + "=" + (v.isEmpty() || v.contains(" ") || v.contains("\"") ? ApiClient.JSON.valueToTree(v).toString() : v));
    }
    return String.format("%-24s  %-24s  %-12s  %-8s  %s%s", e.path("time").asText(), e.path("kind").asText(),
        e.path("node").asText(), e.path("severity").asText(), e.path("message").asText(),
        details.isEmpty() ? "" : "  " + String.join(" ", details));
  }

  private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
    return object::fields;
  }
}
