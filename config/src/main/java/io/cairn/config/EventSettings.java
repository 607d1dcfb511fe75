package io.cairn.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The cluster event stream.
 *
 * @param bufferSize events each node keeps for replay to new subscribers ({@code GET /api/events?recent=N})
 * @param keepAlive time between the keep-alive comments of an idle event stream (HTTP), so proxies
 *     keep the connection and clients notice a dead one
 */
public record EventSettings(int bufferSize, Duration keepAlive) {

  /** Longest keep-alive interval: {@code cairn events} gives a stream up after 60 s of silence. */
  static final Duration MAX_KEEP_ALIVE = Duration.ofSeconds(30);

  public static EventSettings from(Config c) {
    Duration keepAlive = Checks.positive("events.keep-alive", c.getDuration("keep-alive"));
    if (keepAlive.compareTo(MAX_KEEP_ALIVE) > 0) {
      throw new SettingsException("events.keep-alive", "must be at most " + MAX_KEEP_ALIVE.toSeconds() + " s, was " + keepAlive);
    }
    return new EventSettings((int) Checks.between("events.buffer-size", c.getInt("buffer-size"), 1, 65536), keepAlive);
  }
}
