package io.cairn.cluster.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.config.ConfigView;
import io.cairn.actors.config.ContainerSpec;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.config.VolumeGroupSpec;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.cluster.node.NodeServices;
import io.cairn.config.CairnSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * The operator HTTP API under {@code /api}: JSON in and out, every error a JSON object
 * {@code {"error": CODE, "message": TEXT}} with the matching HTTP status. The CLI is a client of it.
 *
 * <pre>
 * GET    /api/status                    node, cluster members, disks, OpLog, cache, portal
 * GET    /api/vdisks                    every vDisk with its usage
 * POST   /api/vdisks                    {"name", "size", "volumeGroup"?, "container"?, "logicalBlockSize"?, "readOnly"?}
 * GET    /api/vdisks/{name}
 * PATCH  /api/vdisks/{name}             {"readOnly": true|false}
 * DELETE /api/vdisks/{name}
 * GET    /api/volume-groups             POST {"name"}
 * GET    /api/containers                POST {"name", "replicationFactor"?}
 * </pre>
 */
public final class ApiRoutes extends AllDirectives implements ManagementRouteProvider {

  private static final Duration TIMEOUT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final ActorSystem<?> system;

  ApiRoutes(ExtendedActorSystem classic) {
    this.system = Adapter.toTyped(classic);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefix("api", () -> handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
        path("status", () -> get(() -> reply(status()))),
        pathPrefix("vdisks", () -> concat(
            pathEnd(() -> concat(
                get(() -> reply(listVDisks())),
                post(() -> entity(Unmarshaller.entityToString(), body -> reply(createVDisk(body)))))),
            path(PathMatchers.segment(), name -> concat(
                get(() -> reply(getVDisk(name))),
                patch(() -> entity(Unmarshaller.entityToString(), body -> reply(updateVDisk(name, body)))),
                delete(() -> reply(deleteVDisk(name))))))),
        path("volume-groups", () -> concat(
            get(() -> reply(config().thenApply(v -> ok(v.volumeGroups().stream().map(this::groupJson).toList())))),
            post(() -> entity(Unmarshaller.entityToString(), body -> reply(createVolumeGroup(body)))))),
        path("containers", () -> concat(
            get(() -> reply(config().thenApply(v -> ok(v.containers().stream().map(ApiRoutes::containerJson).toList())))),
            post(() -> entity(Unmarshaller.entityToString(), body -> reply(createContainer(body))))))))));
  }

  // --- handlers -------------------------------------------------------------------------------

  private CompletionStage<HttpResponse> status() {
    NodeServices.Services node = services();
    CairnSettings settings = node.storage().settings();
    Cluster cluster = Cluster.get(system);
    List<Map<String, Object>> members = new ArrayList<>();
    for (Member m : cluster.state().getMembers()) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("address", m.address().toString());
      mm.put("status", m.status().toString());
      mm.put("roles", m.getRoles());
      members.add(mm);
    }
    return config().thenApply(view -> {
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Object> self = new LinkedHashMap<>();
      self.put("id", settings.node().id());
      self.put("dataDir", settings.node().dataDir().toString());
      self.put("block", settings.node().block());
      self.put("rack", settings.node().rack());
      self.put("iscsiPortal", node.portalAddress());
      self.put("memberStatus", cluster.selfMember().status().toString());
      out.put("node", self);
      Map<String, Object> cl = new LinkedHashMap<>();
      cl.put("leader", cluster.state().getLeader() == null ? null : cluster.state().getLeader().toString());
      cl.put("members", members);
      cl.put("unreachable", cluster.state().getUnreachable().size());
      out.put("cluster", cl);
      out.put("disks", node.storage().extentStore().disks());
      out.put("oplog", node.storage().oplog().stats());
      out.put("cache", node.cacheStats().get());
      out.put("portal", node.portalStats().get());
      Map<String, Object> counts = new LinkedHashMap<>();
      counts.put("containers", view.containers().size());
      counts.put("volumeGroups", view.volumeGroups().size());
      counts.put("vdisks", view.vdisks().size());
      out.put("objects", counts);
      return ok(out);
    });
  }

  private CompletionStage<HttpResponse> listVDisks() {
    return config().thenCompose(view -> {
      List<CompletableFuture<Map<String, Object>>> all = view.vdisks().stream()
          .map(v -> vdiskJson(view, v).toCompletableFuture()).toList();
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .thenApply(x -> ok(all.stream().map(CompletableFuture::join).toList()));
    });
  }

  private CompletionStage<HttpResponse> getVDisk(String name) {
    return config().thenCompose(view -> view.vdisk(name)
        .map(v -> vdiskJson(view, v).thenApply(ApiRoutes::ok))
        .orElseGet(() -> CompletableFuture.completedFuture(error(StatusCodes.NOT_FOUND, "NOT_FOUND", "vDisk '" + name + "' does not exist"))));
  }

  private CompletionStage<HttpResponse> createVDisk(String body) {
    JsonNode req = parseObject(body);
    CairnSettings settings = services().storage().settings();
    String name = requiredText(req, "name");
    long size = sizeField(req, "size");
    String group = optionalText(req, "volumeGroup", settings.demo().volumeGroup());
    String container = optionalText(req, "container", settings.demo().container());
    int lbs = optionalInt(req, "logicalBlockSize", settings.vdisk().logicalBlockSize());
    int pbs = optionalInt(req, "physicalBlockSize", Math.max(lbs, settings.vdisk().physicalBlockSize()));
    boolean readOnly = optionalBoolean(req, "readOnly", false);
    return askConfig(r -> new ClusterConfig.CreateVDisk(name, size, lbs, pbs, group, container, readOnly, r))
        .thenCompose(reply -> {
          if (!(reply instanceof ClusterConfig.Done d)) return CompletableFuture.completedFuture(rejected(reply));
          VDiskSpec spec = d.view().vdisk(name).orElseThrow();
          return controller(spec.id()).<VDiskController.Ack>ask(r -> new VDiskController.Initialize(spec, r), TIMEOUT)
              .thenCompose(ack -> vdiskJson(d.view(), spec))
              .thenApply(json -> json(StatusCodes.CREATED, json));
        });
  }

  /** Changes a vDisk's mutable attributes: today its write protection. */
  private CompletionStage<HttpResponse> updateVDisk(String name, String body) {
    JsonNode req = parseObject(body);
    if (!req.has("readOnly")) throw new BadRequest("nothing to change: send {\"readOnly\": true|false}");
    boolean readOnly = optionalBoolean(req, "readOnly", false);
    return askConfig(r -> new ClusterConfig.SetVDiskReadOnly(name, readOnly, r)).thenCompose(reply -> {
      if (!(reply instanceof ClusterConfig.Done d)) return CompletableFuture.completedFuture(rejected(reply));
      return vdiskJson(d.view(), d.view().vdisk(name).orElseThrow()).thenApply(ApiRoutes::ok);
    });
  }

  /**
   * Deletes the vDisk from the configuration (it disappears from the portal), then has its
   * controller drop its OpLog records and release its extents.
   */
  private CompletionStage<HttpResponse> deleteVDisk(String name) {
    return config().thenCompose(view -> {
      VDiskSpec spec = view.vdisk(name).orElse(null);
      if (spec == null) {
        return CompletableFuture.completedFuture(error(StatusCodes.NOT_FOUND, "NOT_FOUND", "vDisk '" + name + "' does not exist"));
      }
      return askConfig(r -> new ClusterConfig.DeleteVDisk(name, r)).thenCompose(reply -> {
        if (!(reply instanceof ClusterConfig.Done)) return CompletableFuture.completedFuture(rejected(reply));
        return controller(spec.id()).<VDiskController.Ack>ask(VDiskController.Destroy::new, TIMEOUT)
            .thenApply(ack -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
      });
    });
  }

  private CompletionStage<HttpResponse> createVolumeGroup(String body) {
    JsonNode req = parseObject(body);
    String name = requiredText(req, "name");
    return askConfig(r -> new ClusterConfig.CreateVolumeGroup(name, r)).thenApply(reply -> reply instanceof ClusterConfig.Done d
        ? json(StatusCodes.CREATED, groupJson(d.view().volumeGroup(name).orElseThrow()))
        : rejected(reply));
  }

  private CompletionStage<HttpResponse> createContainer(String body) {
    JsonNode req = parseObject(body);
    String name = requiredText(req, "name");
    int rf = optionalInt(req, "replicationFactor", 1);
    return askConfig(r -> new ClusterConfig.CreateContainer(name, rf, r)).thenApply(reply -> reply instanceof ClusterConfig.Done d
        ? json(StatusCodes.CREATED, containerJson(d.view().container(name).orElseThrow()))
        : rejected(reply));
  }

  // --- JSON shapes ----------------------------------------------------------------------------

  private CompletionStage<Map<String, Object>> vdiskJson(ConfigView view, VDiskSpec v) {
    String iqn = view.volumeGroup(v.volumeGroup()).map(VolumeGroupSpec::iqn).orElse(null);
    return controller(v.id()).<VDiskController.Stats>ask(VDiskController.GetStats::new, TIMEOUT)
        .handle((stats, err) -> {
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("id", v.id());
          out.put("name", v.name());
          out.put("uuid", v.uuid().toString());
          out.put("sizeBytes", v.sizeBytes());
          out.put("size", Sizes.format(v.sizeBytes()));
          out.put("logicalBlockSize", v.logicalBlockSize());
          out.put("physicalBlockSize", v.physicalBlockSize());
          out.put("container", v.container());
          out.put("volumeGroup", v.volumeGroup());
          out.put("iqn", iqn);
          out.put("lun", v.lun());
          out.put("readOnly", v.readOnly());
          out.put("url", "iscsi://" + services().portalAddress() + "/" + iqn + "/" + v.lun());
          if (stats != null && stats.active()) {
            Map<String, Object> usage = new LinkedHashMap<>();
            usage.put("mappedBytes", stats.mappedBlocks() * (long) services().storage().extentSize());
            usage.put("extentGroups", stats.egroups().length);
            usage.put("undrainedOpLogBytes", stats.undrainedBytes());
            out.put("usage", usage);
          }
          return out;
        });
  }

  private Map<String, Object> groupJson(VolumeGroupSpec g) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", g.id());
    out.put("name", g.name());
    out.put("iqn", g.iqn());
    out.put("portal", services().portalAddress());
    return out;
  }

  private static Map<String, Object> containerJson(ContainerSpec c) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", c.id());
    out.put("name", c.name());
    out.put("replicationFactor", c.replicationFactor());
    return out;
  }

  // --- plumbing -------------------------------------------------------------------------------

  private NodeServices.Services services() {
    return NodeServices.get(system).get();
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<VDiskController.Command> controller(long id) {
    return ClusterSharding.get(system).entityRefFor(VDiskController.ENTITY_TYPE_KEY, Long.toString(id));
  }

  private CompletionStage<ClusterConfig.Reply> askConfig(
      Function<org.apache.pekko.actor.typed.ActorRef<ClusterConfig.Reply>, ClusterConfig.Command> message) {
    return AskPattern.ask(services().config(), message::apply, TIMEOUT, system.scheduler());
  }

  private CompletionStage<ConfigView> config() {
    return askConfig(ClusterConfig.Get::new).thenApply(r -> ((ClusterConfig.Done) r).view());
  }

  private Route reply(CompletionStage<HttpResponse> response) {
    return onSuccess(response, this::complete);
  }

  private static HttpResponse rejected(ClusterConfig.Reply reply) {
    if (reply instanceof ClusterConfig.Rejected r) {
      StatusCode code = switch (r.error()) {
        case NOT_FOUND -> StatusCodes.NOT_FOUND;
        case ALREADY_EXISTS -> StatusCodes.CONFLICT;
        case INVALID -> StatusCodes.BAD_REQUEST;
      };
      return error(code, r.error().name(), r.message());
    }
    return error(StatusCodes.INTERNAL_SERVER_ERROR, "INTERNAL", "unexpected reply " + reply);
  }

  static HttpResponse ok(Object body) {
    return json(StatusCodes.OK, body);
  }

  static HttpResponse json(StatusCode status, Object body) {
    try {
      return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static HttpResponse error(StatusCode status, String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", code);
    body.put("message", message);
    return json(status, body);
  }

  /** A client error found while reading a request: becomes a 400 with its message. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  private static JsonNode parseObject(String body) {
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequest("request body is not valid JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    }
    if (node == null || !node.isObject()) throw new BadRequest("request body must be a JSON object");
    return node;
  }

  private static String requiredText(JsonNode req, String field) {
    JsonNode n = req.get(field);
    if (n == null || n.isNull()) throw new BadRequest("field '" + field + "' is required");
    if (!n.isTextual()) throw new BadRequest("field '" + field + "' must be a string");
    return n.asText();
  }

  private static String optionalText(JsonNode req, String field, String dflt) {
    JsonNode n = req.get(field);
    if (n == null || n.isNull()) return dflt;
    if (!n.isTextual()) throw new BadRequest("field '" + field + "' must be a string");
    return n.asText();
  }

  private static int optionalInt(JsonNode req, String field, int dflt) {
    JsonNode n = req.get(field);
    if (n == null || n.isNull()) return dflt;
    if (!n.canConvertToInt() || !n.isIntegralNumber()) throw new BadRequest("field '" + field + "' must be an integer");
    return n.asInt();
  }

  private static boolean optionalBoolean(JsonNode req, String field, boolean dflt) {
    JsonNode n = req.get(field);
    if (n == null || n.isNull()) return dflt;
    if (!n.isBoolean()) throw new BadRequest("field '" + field + "' must be true or false");
    return n.asBoolean();
  }

  private static long sizeField(JsonNode req, String field) {
    JsonNode n = req.get(field);
    if (n == null || n.isNull()) throw new BadRequest("field '" + field + "' is required (bytes, or e.g. \"10G\")");
    try {
      if (n.isIntegralNumber() && n.canConvertToLong()) {
        if (n.asLong() <= 0) throw new BadRequest("field '" + field + "' must be > 0");
        return n.asLong();
      }
      if (n.isTextual()) return Sizes.parse(n.asText());
    } catch (IllegalArgumentException e) {
      throw new BadRequest("field '" + field + "': " + e.getMessage());
    }
    throw new BadRequest("field '" + field + "' must be a byte count or a size string like \"10G\"");
  }

  private static ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().matchAny(t -> completeStatic(errorFor(t))).build();
  }

  private static HttpResponse errorFor(Throwable t) {
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) t = t.getCause();
    if (t instanceof BadRequest) return error(StatusCodes.BAD_REQUEST, "INVALID", t.getMessage());
    if (t instanceof java.util.concurrent.TimeoutException) {
      return error(StatusCodes.SERVICE_UNAVAILABLE, "UNAVAILABLE", "the cluster did not answer in time");
    }
    return error(StatusCodes.INTERNAL_SERVER_ERROR, "INTERNAL", String.valueOf(t));
  }

  private static Route completeStatic(HttpResponse r) {
    return new AllDirectives() {}.complete(r);
  }

  private static RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handle(org.apache.pekko.http.javadsl.server.MethodRejection.class,
            r -> completeStatic(error(StatusCodes.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "method not allowed; use " + r.supported().name())))
        .handle(org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection.class,
            r -> completeStatic(error(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "INVALID", "send application/json")))
        .handleNotFound(completeStatic(error(StatusCodes.NOT_FOUND, "NOT_FOUND", "no such API resource")))
        .build();
  }
}
