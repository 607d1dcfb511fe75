package io.cairn.actors.events;

import com.typesafe.config.Config;
import io.cairn.config.ClusterSettings;
import io.cairn.config.EventSettings;
import io.cairn.config.NodeSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster event stream of one node, as a Pekko extension: {@code ClusterEvents.get(system)}
 * from any actor or plain code of the node.
 *
 * <p>Every node runs one Pekko Typed {@link Topic} actor for {@link ClusterEvent}s named
 * {@value #TOPIC} (system actor {@code cairn-events-topic}); the topic actors of all nodes find
 * each other through the receptionist, so an event published on one node reaches the subscribers
 * of every node. Delivery is at most once: a node that joined a moment ago (its topic actor not yet
 * listed on the publisher's node) or is unreachable misses the event.
 *
 * <p>Each node's {@link EventBuffer} (system actor {@code cairn-events-buffer}) subscribes to its
 * topic, numbers what arrives and keeps the last {@code cairn.events.buffer-size} events, so a new
 * follower can ask for recent ones first ({@link #follow}, {@link #recent}).
 *
 * <p>Created on first use from the system's configuration (the node id and
 * {@code cairn.events}); works in a local (non-cluster) actor system too, e.g. in tests.
 * Thread-safe.
 */
public final class ClusterEvents implements Extension {

  private static final Logger log = LoggerFactory.getLogger(ClusterEvents.class);

  /** The topic's name on every node: nodes find each other's topic actors by it. */
  public static final String TOPIC = "cairn-cluster-events";

  /**
   * This node's event buffer, as the API shows it.
   *
   * @param capacity events kept for replay ({@code cairn.events.buffer-size})
   * @param buffered events held now
   * @param lastSeq sequence number of the newest event (0: none yet)
   * @param followers event streams following this node now
   */
  public record Stats(int capacity, int buffered, long lastSeq, int followers) {}

  private final ActorSystem<?> system;
  private final String nodeId;
  private final EventSettings settings;
  private final Clock clock;
  private final ActorRef<Topic.Command<ClusterEvent>> topic;
  private final ActorRef<Object> buffer;
  private final AtomicReference<Stats> stats = new AtomicReference<>();

  private ClusterEvents(ActorSystem<?> system, String nodeId, EventSettings settings, Clock clock) {
    this.system = system;
    this.nodeId = nodeId;
    this.settings = settings;
    this.clock = clock;
    this.topic = system.systemActorOf(Topic.create(ClusterEvent.class, TOPIC), "cairn-events-topic", Props.empty());
    this.buffer = system.systemActorOf(EventBuffer.create(settings.bufferSize(), stats), "cairn-events-buffer", Props.empty());
    // Subscribed from here, before any publish of this node can reach the topic (one sender, in order).
    topic.tell(Topic.subscribe(buffer.<ClusterEvent>narrow()));
  }

  public static ClusterEvents get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /**
   * Publishes {@code event} to every node's subscribers, stamped with this node's id and the
   * current time unless it carries them already; logs it (WARN from severity warning on). Returns
   * the event as published.
   */
  public ClusterEvent publish(ClusterEvent event) {
    ClusterEvent e = event.published() ? event : event.withOrigin(event.node().isEmpty() ? nodeId : event.node(),
        event.timeMs() > 0 ? event.timeMs() : clock.millis());
    if (e.severity() == ClusterEvent.Severity.INFO) {
      log.info("event {}: {} {}", e.kind(), e.message(), e.details());
    } else {
      log.warn("event {} ({}): {} {}", e.kind(), e.severity().wireName(), e.message(), e.details());
    }
    topic.tell(Topic.publish(e));
    return e;
  }

  /** Delivers every event published from now on, on any node, to {@code subscriber} (until it stops or unsubscribes). */
  public void subscribe(ActorRef<ClusterEvent> subscriber) {
    topic.tell(Topic.subscribe(subscriber));
  }

  public void unsubscribe(ActorRef<ClusterEvent> subscriber) {
    topic.tell(Topic.unsubscribe(subscriber));
  }

  /**
   * Sends {@code follower} the last {@code recent} events this node buffered whose kind starts
   * with {@code kindPrefix} (null or "": any), then each new one, numbered by this node. Ends when
   * the follower stops or {@link #unfollow}s.
   */
  public void follow(ActorRef<SequencedEvent> follower, int recent, String kindPrefix) {
    buffer.tell(new EventBuffer.Follow(follower, Math.max(0, recent), emptyToNull(kindPrefix)));
  }

  public void unfollow(ActorRef<SequencedEvent> follower) {
    buffer.tell(new EventBuffer.Unfollow(follower));
  }

  /** The last at most {@code n} buffered events whose kind starts with {@code kindPrefix}, oldest first. */
  public CompletionStage<List<SequencedEvent>> recent(int n, String kindPrefix, Duration timeout) {
    return AskPattern.<Object, List<SequencedEvent>>ask(buffer, r -> new EventBuffer.GetRecent(Math.max(0, n), emptyToNull(kindPrefix), r), timeout,
        system.scheduler());
  }

  /** This node's buffer now (updated by the buffer actor after every change). */
  public Stats stats() {
    Stats s = stats.get();
    return s != null ? s : new Stats(settings.bufferSize(), 0, 0, 0);
  }

  /** The id of this node (the {@code node} of events published here). */
  public String nodeId() {
    return nodeId;
  }

  public EventSettings settings() {
    return settings;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Extension id: reads the node id and {@code cairn.events} from the system's configuration. */
  public static final class Id extends ExtensionId<ClusterEvents> {
    static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public ClusterEvents createExtension(ActorSystem<?> system) {
      Config c = system.settings().config().getConfig("cairn");
      String nodeId = NodeSettings.from(c.getConfig("node"), ClusterSettings.from(c.getConfig("cluster"))).id();
      return new ClusterEvents(system, nodeId, EventSettings.from(c.getConfig("events")), Clock.systemUTC());
    }
  }
}
