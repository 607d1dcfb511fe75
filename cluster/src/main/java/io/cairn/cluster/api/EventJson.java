package io.cairn.cluster.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.events.SequencedEvent;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON form of a cluster event: the public contract of {@code GET /api/events} (each SSE
 * message's {@code data:}) and {@code GET /api/events/recent}, documented in
 * {@code docs/operations.md}. Fields only ever get added.
 *
 * <pre>
 * {"seq": 17, "kind": "member.unreachable", "time": "2026-12-07T20:48:00.123Z", "timeMs": 1796676480123,
 *  "node": "node-1", "severity": "warning", "message": "node node-2 is unreachable (...)",
 *  "details": {"member": "node-2", "address": "pekko://cairn@127.0.0.1:24020", "uid": "-4715274186712046117"}}
 * </pre>
 */
public final class EventJson {

  /** Compact (one line), as an SSE data line must be. */
  private static final ObjectMapper COMPACT = new ObjectMapper();

  private EventJson() {}

  public static Map<String, Object> json(SequencedEvent s) {
    ClusterEvent e = s.event();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("seq", s.seq());
    out.put("kind", e.kind());
    out.put("time", Instant.ofEpochMilli(e.timeMs()).toString());
    out.put("timeMs", e.timeMs());
    out.put("node", e.node());
    out.put("severity", e.severity().wireName());
    out.put("message", e.message());
    out.put("details", e.details());
    return out;
  }

  /** The event as one line of JSON. */
  public static String line(SequencedEvent s) {
    try {
      return COMPACT.writeValueAsString(json(s));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write event " + s + " as JSON", e);
    }
  }
}
