package io.cairn.cluster.api;

import io.cairn.actors.events.ClusterEvents;
import io.cairn.actors.events.SequencedEvent;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * The event stream routes of the operator API:
 *
 * <pre>
 * GET /api/events[?recent=N][&amp;kind=PREFIX]        text/event-stream: up to N buffered events, then every new one
 * GET /api/events/recent[?limit=N][&amp;kind=PREFIX]  the buffered events as a JSON array, oldest first
 * </pre>
 *
 * <p>A stream is a source actor following this node's event buffer ({@link ClusterEvents#follow});
 * when the client goes away the HTTP layer cancels the stream, the source actor stops, and the
 * buffer drops it (it watches its followers). A client too slow to take what arrives loses the
 * oldest queued events: the gap shows in the ids.
 */
final class EventRoutes extends AllDirectives {

  /** Events queued for one slow client before the oldest are dropped. */
  static final int CLIENT_QUEUE = 1024;
  private static final Pattern KIND_PREFIX = Pattern.compile("[a-z0-9.-]{1,64}");
  private static final Duration RECENT_TIMEOUT = Duration.ofSeconds(5);

  private final ActorSystem<?> system;

  EventRoutes(ActorSystem<?> system) {
    this.system = system;
  }

  Route routes() {
    return pathPrefix("events", () -> concat(
        pathEnd(() -> get(() -> parameterOptional("recent", recent -> parameterOptional("kind", kind -> stream(recent, kind))))),
        path("recent", () -> get(() -> parameterOptional("limit", limit -> parameterOptional("kind", kind -> recent(limit, kind)))))));
  }

  private Route stream(Optional<String> recent, Optional<String> kind) {
    ClusterEvents events = ClusterEvents.get(system);
    int n = count("recent", recent, 0, events.settings().bufferSize());
    String prefix = kindPrefix(kind);
    Source<ByteString, NotUsed> body = Source.single(SseFrames.hello(events.nodeId()))
        .concat(source(events, n, prefix, events.settings().keepAlive()));
    return complete(HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), body))
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        // Proxies that buffer responses (nginx) would hold the events back.
        .addHeader(RawHeader.create("X-Accel-Buffering", "no")));
  }

  /**
   * This node's events as SSE frames: the last {@code recent} buffered ones matching
   * {@code kindPrefix}, then each new one, with a keep-alive comment after {@code keepAlive} of
   * silence. Never completes by itself; cancelling it ends the follow.
   */
  static Source<ByteString, NotUsed> source(ClusterEvents events, int recent, String kindPrefix, Duration keepAlive) {
    return ActorSource.<SequencedEvent>actorRef(m -> false, m -> Optional.empty(), CLIENT_QUEUE, OverflowStrategy.dropHead())
        .mapMaterializedValue(follower -> {
          events.follow(follower, recent, kindPrefix);
          return NotUsed.getInstance();
        })
        .map(SseFrames::event)
        .keepAlive(keepAlive, () -> SseFrames.KEEP_ALIVE);
  }

  private Route recent(Optional<String> limit, Optional<String> kind) {
    ClusterEvents events = ClusterEvents.get(system);
    int n = count("limit", limit, events.settings().bufferSize(), events.settings().bufferSize());
    String prefix = kindPrefix(kind);
    return onSuccess(events.recent(n, prefix, RECENT_TIMEOUT),
        list -> complete(ApiRoutes.ok(list.stream().map(EventJson::json).toList())));
  }

  /** A count parameter: an integer >= 0, at most {@code max} (a larger one is taken as {@code max}). */
  static int count(String name, Optional<String> value, int dflt, int max) {
    if (value.isEmpty()) return dflt;
    try {
      long n = Long.parseLong(value.get().trim());
      if (n >= 0) return (int) Math.min(n, max);
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiRoutes.BadRequest("query parameter '" + name + "' must be an integer >= 0 (this node keeps the last " + max
        + " events), was '" + value.get() + "'");
  }

  /** A kind prefix parameter: lower-case letters, digits, '.' and '-' (e.g. {@code member.}); null when absent. */
  static String kindPrefix(Optional<String> value) {
    if (value.isEmpty() || value.get().isEmpty()) return null;
    if (!KIND_PREFIX.matcher(value.get()).matches()) {
      throw new ApiRoutes.BadRequest("query parameter 'kind' must be a prefix of event kinds: 1-64 of [a-z0-9.-] (e.g. member.),"
          + " was '" + value.get() + "'");
    }
    return value.get();
  }
}
