package io.cairn.actors.events;

import io.cairn.serialization.CairnSerializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One event of the cluster event stream: something an operator (or a program) cares about
 * happened. Events travel between nodes on the {@link ClusterEvents} topic (Kryo) and leave the
 * cluster as JSON on {@code GET /api/events}; the fields below are that public contract (see
 * {@code docs/operations.md}).
 *
 * <p>Make one with {@link #of} and hand it to {@link ClusterEvents#publish}, which fills in the
 * publishing node and the time:
 *
 * <pre>{@code
 * ClusterEvents.get(system).publish(ClusterEvent.of(ClusterEvent.REBUILD_FINISHED, ClusterEvent.Severity.INFO,
 *     "rebuild finished: 1.2 GiB re-protected in 41 s", Map.of("bytes", 1288490188L, "seconds", 41L)));
 * }</pre>
 *
 * @param kind what happened: lower-case words joined by dots, e.g. {@code member.up} (the constants
 *     below are the catalogue); clients filter on its prefix
 * @param timeMs when, epoch milliseconds (0 until published)
 * @param node id of the node that published it ("" until published)
 * @param severity how much it matters
 * @param message one line for humans
 * @param details a few named values (String, Long, Double or Boolean; ints become Longs), in
 *     insertion order; never null
 */
public record ClusterEvent(String kind, long timeMs, String node, Severity severity, String message,
    Map<String, Object> details) implements CairnSerializable {

  /** How much an event matters; on the wire as its lower-case name. */
  public enum Severity {
    INFO, WARNING, CRITICAL;

    /** {@code info}, {@code warning}, {@code critical}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  // --- the catalogue (stable names: programs match on them) ---------------------------------

  /** A node became an Up member (details: member, address, uid). */
  public static final String MEMBER_UP = "member.up";
  /** A member stopped answering the failure detector of some other member (details: member, address, uid). */
  public static final String MEMBER_UNREACHABLE = "member.unreachable";
  /** An unreachable member answers again (details: member, address, uid). */
  public static final String MEMBER_REACHABLE = "member.reachable";
  /** A member was downed, e.g. by the split-brain resolver (details: member, address, uid). */
  public static final String MEMBER_DOWNED = "member.downed";
  /** A member left the cluster (details: member, address, uid, previousStatus). */
  public static final String MEMBER_REMOVED = "member.removed";
  public static final String DISK_OFFLINE = "disk.offline";
  public static final String DISK_ONLINE = "disk.online";
  public static final String DISK_REMOVED = "disk.removed";
  public static final String REBUILD_STARTED = "rebuild.started";
  public static final String REBUILD_PROGRESS = "rebuild.progress";
  public static final String REBUILD_FINISHED = "rebuild.finished";
  public static final String CHECKSUM_REPAIRED = "checksum.repaired";
  public static final String OVER_REPLICATION_REMOVED = "over-replication.removed";
  public static final String CAPACITY_OVER_THRESHOLD = "capacity.over-threshold";

  /** Words of [a-z0-9-] (starting with a letter), joined by dots; at most 64 characters. */
  private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+");
  /** Detail names: a letter, then letters, digits, '-' or '_'. */
  private static final Pattern DETAIL_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");
  static final int MAX_KIND_LENGTH = 64;
  static final int MAX_MESSAGE_LENGTH = 1024;
  static final int MAX_DETAILS = 32;

  public ClusterEvent {
    if (kind == null || kind.length() > MAX_KIND_LENGTH || !KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException("event kind must be lower-case words joined by dots (e.g. member.up), was '" + kind + "'");
    }
    if (timeMs < 0) throw new IllegalArgumentException("event time must be >= 0, was " + timeMs);
    if (node == null) throw new IllegalArgumentException("event node must not be null");
    if (severity == null) throw new IllegalArgumentException("event severity must not be null");
    if (message == null || message.isBlank()) throw new IllegalArgumentException("event message must not be empty");
    // One line: a multi-line message would break line-oriented consumers (bin/cairn events).
    message = message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    if (message.length() > MAX_MESSAGE_LENGTH) message = message.substring(0, MAX_MESSAGE_LENGTH - 3) + "...";
    details = checkedDetails(details);
  }

  /** An event to publish: {@link ClusterEvents#publish} fills in the node and the time. */
  public static ClusterEvent of(String kind, Severity severity, String message, Map<String, ?> details) {
    return new ClusterEvent(kind, 0, "", severity, message, copy(details));
  }

  public static ClusterEvent of(String kind, Severity severity, String message) {
    return of(kind, severity, message, Map.of());
  }

  /** This event as published by {@code node} at {@code timeMs}. */
  public ClusterEvent withOrigin(String node, long timeMs) {
    return new ClusterEvent(kind, timeMs, node, severity, message, details);
  }

  /** Whether {@link ClusterEvents#publish} has stamped it. */
  public boolean published() {
    return timeMs > 0 && !node.isEmpty();
  }

  /** Whether the kind starts with {@code prefix} ("" or null: every kind). */
  public boolean matches(String prefix) {
    return prefix == null || kind.startsWith(prefix);
  }

  /** A detail as text ("" when absent). */
  public String detail(String name) {
    Object v = details.get(name);
    return v == null ? "" : v.toString();
  }

  private static Map<String, Object> copy(Map<String, ?> details) {
    return details == null ? Map.of() : new LinkedHashMap<>(details);
  }

  private static Map<String, Object> checkedDetails(Map<String, Object> details) {
    if (details == null || details.isEmpty()) return Map.of();
    if (details.size() > MAX_DETAILS) {
      throw new IllegalArgumentException("an event has at most " + MAX_DETAILS + " details, got " + details.size());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : details.entrySet()) {
      String name = e.getKey();
      if (name == null || !DETAIL_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("event detail name must be a letter then [A-Za-z0-9_-], was '" + name + "'");
      }
      Object v = e.getValue();
      if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
        v = ((Number) v).longValue();
      } else if (v instanceof Float f) {
        v = f.doubleValue();
      }
      if (v instanceof Double d && !Double.isFinite(d)) {
        throw new IllegalArgumentException("event detail '" + name + "' must be a finite number, was " + d);
      }
      if (!(v instanceof String || v instanceof Long || v instanceof Double || v instanceof Boolean)) {
        throw new IllegalArgumentException("event detail '" + name + "' must be a String, number or Boolean, was "
            + (v == null ? "null" : v.getClass().getName()));
      }
      out.put(name, v);
    }
    return Collections.unmodifiableMap(out);
  }
}
