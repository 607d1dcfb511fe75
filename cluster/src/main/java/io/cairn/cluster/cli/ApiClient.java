package io.cairn.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/** A thin JSON client of a node's management API, used by every CLI command but {@code up}. */
public final class ApiClient {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A failed call: what to print, and the process exit code. */
  public static final class CallFailed extends Exception {
    final int exitCode;

    CallFailed(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }
  }

  /** A response: HTTP status and parsed body (null when empty). */
  public record Response(int status, JsonNode body, String raw) {}

  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public ApiClient(String base) {
    this.base = URI.create(base.endsWith("/") ? base : base + "/");
  }

  public Response get(String path) throws CallFailed {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  public Response post(String path, Object body) throws CallFailed {
    return withBody("POST", path, body);
  }

  private Response withBody(String method, String path, Object body) throws CallFailed {
    try {
      return send(HttpRequest.newBuilder(base.resolve(path))
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CallFailed("cannot encode request: " + e.getMessage(), 2);
    }
  }

  public Response put(String path, Object body) throws CallFailed {
    return withBody("PUT", path, body);
  }

  public Response patch(String path, Object body) throws CallFailed {
    return withBody("PATCH", path, body);
  }

  public Response delete(String path) throws CallFailed {
    return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
  }

  /**
   * Follows a text/event-stream at {@code path}, handing each message to {@code onMessage} on the
   * calling thread, until the stream fails or ends (both a {@link CallFailed} with exit code 3), or
   * nothing at all (not even a keep-alive comment) arrives for {@code idleTimeout} (the connection
   * is then taken for dead). An error answer (HTTP 4xx/5xx) is a {@link CallFailed} with its
   * message, as for the other calls.
   */
  public void stream(String path, Duration idleTimeout, Consumer<SseParser.Message> onMessage)
      throws CallFailed {
    // HttpClient pushes lines from its own threads; this thread takes them, so it can time out.
    BlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    Object end = new Object();
    int[] status = {0};
    AtomicReference<Flow.Subscription> subscription =
        new AtomicReference<>();
    Flow.Subscriber<String> subscriber = new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription.set(s);
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(String line) {
        lines.add(line);
      }

      @Override
      public void onError(Throwable t) {
        lines.add(t);
      }

      @Override
      public void onComplete() {
        lines.add(end);
      }
    };
    // No request timeout: it would bound the whole stream; the idle timeout covers a silent server.
    HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).header("Accept", "text/event-stream").GET().build();
    CompletableFuture<HttpResponse<Void>> response = http.sendAsync(request, info -> {
      synchronized (status) {
        status[0] = info.statusCode();
      }
      return HttpResponse.BodySubscribers.fromLineSubscriber(subscriber);
    });
    response.whenComplete((r, t) -> {
      if (t != null) lines.add(t);
    });
    SseParser parser = new SseParser();
    StringBuilder errorBody = new StringBuilder();
    try {
      while (true) {
        Object next = lines.poll(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
        int code;
        synchronized (status) {
          code = status[0];
        }
        if (next == null) {
          throw new CallFailed("no data from the event stream of " + base + " for " + idleTimeout.toSeconds()
              + " s (not even a keep-alive): giving it up", 3);
        }
        if (next instanceof Throwable t) {
          Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
          if (cause instanceof ConnectException) {
            throw new CallFailed("cannot reach the Cairn API at " + base + " (is a node running? set --api or CAIRN_API)", 3);
          }
          throw new CallFailed("the event stream of " + base + " failed: " + cause, 3);
        }
        if (next == end) {
          if (code >= 400) throw failure(code, errorBody.toString());
          throw new CallFailed("the event stream of " + base + " ended (the node stopped?)", 3);
        }
        String line = (String) next;
        if (code >= 400) {
          errorBody.append(line).append('\n');
          continue;
        }
        SseParser.Message m = parser.line(line);
        if (m != null) onMessage.accept(m);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CallFailed("interrupted", 130);
    } finally {
      Flow.Subscription s = subscription.get();
      if (s != null) s.cancel();
      response.cancel(true);
    }
  }

  /** The failure an error answer (status >= 400) stands for. */
  private static CallFailed failure(int status, String body) {
    JsonNode json = null;
    try {
      json = body.isBlank() ? null : JSON.readTree(body);
    } catch (IOException e) {
      // not JSON: the raw body is the message
    }
    String message = json != null && json.has("message") ? json.get("message").asText() : body.strip();
    String code = json != null && json.has("error") ? json.get("error").asText() : "HTTP " + status;
    return new CallFailed(code + ": " + message, 1);
  }

  private Response send(HttpRequest.Builder request) throws CallFailed {
    HttpResponse<String> r;
    try {
      r = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new CallFailed("cannot reach the Cairn API at " + base + " (is a node running? set --api or CAIRN_API)", 3);
    } catch (IOException e) {
      throw new CallFailed("API call to " + base + " failed: " + e, 3);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CallFailed("interrupted", 130);
    }
    JsonNode body = null;
    if (!r.body().isEmpty()) {
      try {
        body = JSON.readTree(r.body());
      } catch (IOException e) {
        throw new CallFailed("API answered " + r.statusCode() + " with a body that is not JSON: " + r.body(), 1);
      }
    }
    if (r.statusCode() >= 400) throw failure(r.statusCode(), r.body());
    return new Response(r.statusCode(), body, r.body());
  }
}
