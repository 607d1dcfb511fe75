package io.cairn.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network endpoint written {@code HOST:PORT} ({@code [v6]:PORT} for an IPv6 literal), as seed
 * nodes and peer endpoints appear in the settings and on the wire.
 *
 * @param host host name or address literal (without brackets)
 * @param port TCP or UDP port, 1-65535
 */
public record HostPort(String host, int port) {

  private static final Pattern FORM = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)\\]|([^:\\[\\],\\s]+)):(\\d{1,5})");

  public HostPort {
    if (host == null || host.isEmpty()) throw new IllegalArgumentException("empty host");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " outside 1-65535");
  }

  /** Parses {@code HOST:PORT}; a malformed value fails naming the setting {@code path}. */
  public static HostPort parse(String path, String value) {
    Matcher m = FORM.matcher(value == null ? "" : value.trim());
    if (!m.matches()) throw new SettingsException(path, "'" + value + "' is not HOST:PORT");
    int port = Integer.parseInt(m.group(3));
    if (port < 1 || port > 65535) throw new SettingsException(path, "port of '" + value + "' must be in [1, 65535]");
    return new HostPort(m.group(1) != null ? m.group(1) : m.group(2), port);
  }

  /** {@code host:port}, with brackets around an IPv6 literal. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
