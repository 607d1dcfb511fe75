package io.cairn.cluster.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/** Options every client command has, and the error handling they share. */
public abstract class ClientOptions implements Callable<Integer> {

  @Option(names = "--api", description = "Management API base URL (default $CAIRN_API or http://127.0.0.1:8558).")
  String api;

  @Option(names = "--json", description = "Print the raw JSON response.")
  boolean json;

  protected ApiClient client() {
    String url = api != null ? api : System.getenv().getOrDefault("CAIRN_API", "http://127.0.0.1:8558");
    return new ApiClient(url);
  }

  @Override
  public final Integer call() {
    try {
      ApiClient.Response r = run(client());
      if (json && r != null && r.raw() != null && !r.raw().isEmpty()) System.out.println(r.raw());
      return 0;
    } catch (ApiClient.CallFailed e) {
      System.err.println("cairn: " + e.getMessage());
      return e.exitCode;
    }
  }

  /** Performs the call; prints its human form unless {@link #json} is set. */
  protected abstract ApiClient.Response run(ApiClient client) throws ApiClient.CallFailed;

  protected boolean human() {
    return !json;
  }
}
