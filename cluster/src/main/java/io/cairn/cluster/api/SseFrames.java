package io.cairn.cluster.api;

import io.cairn.actors.events.SequencedEvent;
import org.apache.pekko.util.ByteString;

/**
 * Server-sent events (HTML Living Standard, "Server-sent events", text/event-stream) as the event
 * stream writes them: one message per cluster event, and comments to keep an idle stream alive.
 *
 * <pre>
 * event: member.up            the event's kind (EventSource listeners pick messages by it)
 * id: 17                      the node's sequence number of the event
 * data: {"seq": 17, ...}      the event as one line of JSON ({@link EventJson})
 *                             (blank line: end of the message)
 * : keep-alive                a comment: every client ignores it
 * </pre>
 *
 * Written by hand rather than by pekko-http's {@code EventStreamMarshalling}, whose heartbeat is an
 * empty {@code data:} message, which EventSource clients deliver as an event: a comment is what
 * the standard provides for keep-alives.
 */
public final class SseFrames {

  /** A keep-alive comment. */
  public static final ByteString KEEP_ALIVE = ByteString.fromString(": keep-alive\n\n");

  private SseFrames() {}

  /** The opening comment of a stream: says whose events it carries. */
  public static ByteString hello(String nodeId) {
    return ByteString.fromString(": cairn event stream of node " + nodeId + "\n\n");
  }

  public static ByteString event(SequencedEvent s) {
    // The JSON has no raw line break (Jackson escapes them in strings), so it is one data line.
    return ByteString.fromString("event: " + s.event().kind() + "\nid: " + s.seq() + "\ndata: " + EventJson.line(s) + "\n\n");
  }
}
