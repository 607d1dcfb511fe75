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
    try {
      return send(HttpRequest.newBuilder(base.resolve(path))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CallFailed("cannot encode request: " + e.getMessage(), 2);
    }
  }

  public Response patch(String path, Object body) throws CallFailed {
    try {
      return send(HttpRequest.newBuilder(base.resolve(path))
          .header("Content-Type", "application/json")
          .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CallFailed("cannot encode request: " + e.getMessage(), 2);
    }
  }

  public Response delete(String path) throws CallFailed {
    return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
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
    if (r.statusCode() >= 400) {
      String message = body != null && body.has("message") ? body.get("message").asText() : r.body();
      String code = body != null && body.has("error") ? body.get("error").asText() : "HTTP " + r.statusCode();
      throw new CallFailed(code + ": " + message, 1);
    }
    return new Response(r.statusCode(), body, r.body());
  }
}
