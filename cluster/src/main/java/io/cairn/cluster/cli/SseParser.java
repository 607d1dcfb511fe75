package io.cairn.cluster.cli;

/**
 * Reads a text/event-stream line by line (HTML Living Standard, "Server-sent events",
 * "Interpreting an event stream"): fields {@code event}, {@code data} (several lines are joined by
 * LF) and {@code id}; comments (lines starting with ':') and {@code retry} are skipped; a blank
 * line ends a message, and one without data is dropped, as the standard says. Not thread-safe:
 * one parser per stream.
 */
public final class SseParser {

  /**
   * One message.
   *
   * @param event its type ({@code message} when the stream names none)
   * @param id its id, or null
   * @param data its data
   */
  public record Message(String event, String id, String data) {}

  private String event;
  private StringBuilder data;
  /** The last event id, which persists across messages (a message without an id keeps the previous one). */
  private String lastId;

  /** Feeds one line (without its line terminator); returns the message a blank line completes, else null. */
  public Message line(String line) {
    if (line.isEmpty()) return dispatch();
    if (line.startsWith(":")) return null;
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) value = value.substring(1);
    switch (field) {
      case "event" -> event = value;
      case "data" -> {
        if (data == null) data = new StringBuilder();
        else data.append('\n');
        data.append(value);
      }
      case "id" -> {
        if (value.indexOf('\0') < 0) lastId = value;
      }
      default -> {
        // "retry" and unknown fields: ignored
      }
    }
    return null;
  }

  private Message dispatch() {
    Message m = data == null ? null : new Message(event == null || event.isEmpty() ? "message" : event, lastId, data.toString());
    event = null;
    data = null;
    return m;
  }
}
