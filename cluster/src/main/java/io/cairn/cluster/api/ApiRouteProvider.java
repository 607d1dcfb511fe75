package io.cairn.cluster.api;

import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * Plugs the Cairn operator API into Pekko Management's HTTP endpoint: named in
 * {@code pekko.management.http.routes}, instantiated by Pekko.
 */
public final class ApiRouteProvider extends AbstractExtensionId<ApiRoutes> implements ExtensionIdProvider {

  public static final ApiRouteProvider INSTANCE = new ApiRouteProvider();

  public ApiRouteProvider() {}

  @Override
  public ApiRouteProvider lookup() {
    return INSTANCE;
  }

  @Override
  public ApiRoutes createExtension(ExtendedActorSystem system) {
    return new ApiRoutes(system);
  }
}
