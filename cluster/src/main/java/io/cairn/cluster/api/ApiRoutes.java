package io.cairn.cluster.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cairn.actors.config.ChapSecret;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.curator.Chronos;
import io.cairn.actors.curator.Curator;
import io.cairn.actors.curator.Scrubber;
import io.cairn.actors.hades.Hades;
import io.cairn.datapath.extentstore.DiskFault;
import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.events.ClusterEvents;
import io.cairn.actors.config.ConfigView;
import io.cairn.actors.config.ContainerSpec;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.config.VolumeGroupSpec;
import io.cairn.actors.node.NodeDirectory;
import io.cairn.actors.node.NodeInfo;
import io.cairn.actors.node.ReplicationFactors;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.cluster.node.NodeServices;
import io.cairn.config.CairnSettings;
import io.cairn.datapath.placement.Awareness;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.FaultTolerance;
import io.cairn.datapath.placement.Placement;
import io.cairn.datapath.placement.ResilientCapacity;
import io.cairn.datapath.replication.Faults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
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
 * GET    /api/status                    node, cluster members (with their directory entries), disks, OpLog, cache, portal,
 *                                       resilient capacity
 * GET    /api/vdisks                    every vDisk with its usage and the node running its controller
 * GET    /api/vdisks/{name}/extent-groups  its extent groups and where their replicas are
 * POST   /api/vdisks                    {"name", "size", "volumeGroup"?, "container"?, "logicalBlockSize"?, "readOnly"?}
 * GET    /api/vdisks/{name}
 * PATCH  /api/vdisks/{name}             {"readOnly": true|false}
 * DELETE /api/vdisks/{name}
 * GET    /api/volume-groups             POST {"name", "initiators"?: [IQN...], "chap"?: CHAP}
 * GET    /api/volume-groups/{name}
 * PUT    /api/volume-groups/{name}/initiators          {"initiators": [IQN...]}   replace ([] = any initiator)
 * POST   /api/volume-groups/{name}/initiators          {"name": IQN}              add one
 * DELETE /api/volume-groups/{name}/initiators/{iqn}                             remove one
 * PUT    /api/volume-groups/{name}/chap                CHAP = {"user", "secret", "mutualUser"?, "mutualSecret"?}
 * DELETE /api/volume-groups/{name}/chap                                         no CHAP any more
 * GET    /api/containers                POST {"name", "replicationFactor"?}
 * GET    /api/rebuild                   the Curator: failed nodes, last scan, re-replication progress;
 *                                       this node's Chronos
 * POST   /api/rebuild/scan              start a Curator scan now
 * GET    /api/disks                     this node's disks: health (online, offline, held, removing,
 *                                       removed), reason, offlines within the window, usage
 * POST   /api/disks/{disk}/clear        an operator brings the disk back (after a passed probe)
 * POST   /api/disks/{disk}/remove       planned removal: its replicas are moved off, then it is removed
 * PUT    /api/faults/disks/{disk}       {"mode": "error"|"hang"|"none", "hangMs"?} (tests; needs
 *                                       cairn.disk-health.fault-injection = on, else 403)
 * GET    /api/fault-tolerance           failures tolerated per domain level (node, block, rack) and
 *                                       component (data, OpLog, metadata), with reasons; resilient capacity
 * GET    /api/events                    the cluster event stream (text/event-stream; ?recent=N, ?kind=PREFIX)
 * GET    /api/events/recent             this node's buffered events, oldest first (?limit=N, ?kind=PREFIX)
 * GET    /api/faults/replication        this node's replication fault injection (tests; needs
 * PUT    /api/faults/replication        {"isolate"?, "dropTo"?: [node id], "dropFrom"?: [node id]}
 * DELETE /api/faults/replication        cairn.replication.fault-injection = on, else 403)
 * </pre>
 *
 * <p>CHAP secrets are write-only: no response carries them (a volume group shows
 * {@code "chap": {"enabled", "user", "mutual", "mutualUser"}}), and no log line names them.
 */
public final class ApiRoutes extends AllDirectives implements ManagementRouteProvider {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ApiRoutes.class);

  private static final Duration TIMEOUT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private static final Duration PLACEMENT_TIMEOUT = Duration.ofSeconds(3);

  private final ActorSystem<?> system;
  private final EventRoutes events;

  ApiRoutes(ExtendedActorSystem classic) {
    this.system = Adapter.toTyped(classic);
    this.events = new EventRoutes(system);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefix("api", () -> handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
        path("status", () -> get(() -> reply(status()))),
        pathPrefix("vdisks", () -> concat(
            pathEnd(() -> concat(
                get(() -> reply(listVDisks())),
                post(() -> entity(Unmarshaller.entityToString(), body -> reply(createVDisk(body)))))),
            path(PathMatchers.segment().slash("extent-groups"), name -> get(() -> reply(vdiskExtentGroups(name)))),
            path(PathMatchers.segment(), name -> concat(
                get(() -> reply(getVDisk(name))),
                patch(() -> entity(Unmarshaller.entityToString(), body -> reply(updateVDisk(name, body)))),
                delete(() -> reply(deleteVDisk(name))))))),
        pathPrefix("volume-groups", () -> concat(
            pathEnd(() -> concat(
                get(() -> reply(config().thenApply(v -> ok(v.volumeGroups().stream().map(this::groupJson).toList())))),
                post(() -> entity(Unmarshaller.entityToString(), body -> reply(createVolumeGroup(body)))))),
            pathPrefix(PathMatchers.segment(), group -> concat(
                pathEnd(() -> get(() -> reply(getVolumeGroup(group)))),
                pathPrefix("initiators", () -> concat(
                    pathEnd(() -> concat(
                        put(() -> entity(Unmarshaller.entityToString(), body -> reply(setInitiators(group, body)))),
                        post(() -> entity(Unmarshaller.entityToString(), body -> reply(addInitiator(group, body)))))),
                    path(PathMatchers.segment(), iqn -> delete(() -> reply(removeInitiator(group, iqn)))))),
                path("chap", () -> concat(
                    put(() -> entity(Unmarshaller.entityToString(), body -> reply(setChap(group, body)))),
                    delete(() -> reply(groupChange(group, r -> new ClusterConfig.ClearVolumeGroupChap(group, r)))))))))),
        path("fault-tolerance", () -> get(() -> reply(faultTolerance()))),
        events.routes(),
        pathPrefix("rebuild", () -> concat(
            pathEnd(() -> get(() -> reply(rebuildStatus()))),
            path("scan", () -> post(() -> reply(startScan()))))),
        pathPrefix("disks", () -> concat(
            pathEnd(() -> get(() -> reply(hades(Hades.GetDisks::new)))),
            path(PathMatchers.segment().slash("clear"), disk -> post(() -> reply(hades(r -> new Hades.Clear(disk, r))))),
            path(PathMatchers.segment().slash("remove"), disk -> post(() -> reply(hades(r -> new Hades.Remove(disk, r))))))),
        path(PathMatchers.segment("faults").slash("disks").slash(PathMatchers.segment()), disk ->
            put(() -> entity(Unmarshaller.entityToString(), body -> reply(hades(r -> new Hades.InjectFault(disk,
                diskFault(body), r)))))),
        path(PathMatchers.segment("faults").slash("replication"), () -> concat(
            get(() -> reply(replicationFaults())),
            put(() -> entity(Unmarshaller.entityToString(), body -> reply(setReplicationFaults(body)))),
            delete(() -> reply(clearReplicationFaults())))),
        path("containers", () -> concat(
            get(() -> reply(config().thenApply(v -> ok(v.containers().stream().map(ApiRoutes::containerJson).toList())))),
            post(() -> entity(Unmarshaller.entityToString(), body -> reply(createContainer(body))))))))));
  }

  // --- handlers -------------------------------------------------------------------------------

  /** The Curator's status with this node's Chronos counters. */
  private CompletionStage<HttpResponse> rebuildStatus() {
    NodeServices.Services node = services();
    CompletableFuture<Curator.Status> curator = AskPattern.<Curator.Command, Curator.Status>ask(node.curator(),
        Curator.GetStatus::new, TIMEOUT, system.scheduler()).toCompletableFuture();
    CompletableFuture<Chronos.Stats> chronos = AskPattern.<Chronos.Command, Chronos.Stats>ask(node.chronos(),
        Chronos.GetStats::new, TIMEOUT, system.scheduler()).toCompletableFuture();
    CompletableFuture<Scrubber.Stats> scrubber = AskPattern.<Scrubber.Command, Scrubber.Stats>ask(node.scrubber(),
        Scrubber.GetStats::new, TIMEOUT, system.scheduler()).toCompletableFuture();
    return CompletableFuture.allOf(curator, chronos, scrubber).thenApply(done -> {
      Curator.Status c = curator.join();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("failedNodes", c.failedNodes());
      out.put("missingNodesMs", c.missingNodes());
      out.put("lostDisks", c.lostDisks());
      Map<String, Object> scan = new LinkedHashMap<>();
      scan.put("completed", c.scansCompleted());
      scan.put("running", c.scanning());
      scan.put("egroups", c.lastScanEgroups());
      scan.put("egroupsByNode", c.lastScanByNode());
      scan.put("underReplicated", c.underReplicated());
      scan.put("orphansWaiting", c.orphansWaiting());
      out.put("scan", scan);
      out.put("orphansRemoved", c.orphansRemoved());
      Map<String, Object> rebuild = new LinkedHashMap<>();
      rebuild.put("pendingTasks", c.pendingTasks());
      rebuild.put("bytesToReprotect", c.bytesToReprotect());
      rebuild.put("bytesReprotected", c.bytesReprotected());
      rebuild.put("rateBytesPerSecond", c.rateBytesPerSecond());
      rebuild.put("etaSeconds", c.etaSeconds());
      rebuild.put("bytesByNode", c.reprotectedBytesByNode());
      rebuild.put("failedTasks", c.failedTasks());
      out.put("rebuild", rebuild);
      out.put("chronos", chronos.join());
      out.put("scrubber", scrubber.join());
      return ok(out);
    });
  }

  /**
   * Fault tolerance from the Curator's last scan (replica spread) and this node's view of the
   * members, with the resilient capacity; see {@link FaultTolerance} for the definitions.
   */
  private CompletionStage<HttpResponse> faultTolerance() {
    NodeServices.Services node = services();
    CompletableFuture<Curator.FaultToleranceData> data = AskPattern.<Curator.Command, Curator.FaultToleranceData>ask(
        node.curator(), Curator.GetFaultTolerance::new, TIMEOUT, system.scheduler()).toCompletableFuture();
    return data.thenCombine(config(), (d, view) -> {
      List<Candidate> live = liveCandidates();
      int maxRf = ReplicationFactors.maxContainerRf(view);
      FaultTolerance.Scan scan = d.scanId() == 0 ? null
          : new FaultTolerance.Scan(d.data(), d.oplog(), "scan " + d.scanId(), d.incompleteReason());
      FaultTolerance.Report report = FaultTolerance.compute(new FaultTolerance.Input(live, clusterMembers(), scan, maxRf));
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Object> sj = new LinkedHashMap<>();
      sj.put("id", d.scanId());
      sj.put("completedAt", d.scanId() == 0 ? null : java.time.Instant.ofEpochMilli(d.completedAtMillis()).toString());
      sj.put("shares", d.shares());
      sj.put("reported", d.reported());
      sj.put("unmapped", d.unmapped());
      sj.put("complete", d.complete());
      sj.put("incomplete", d.scanId() == 0 ? null : d.incompleteReason());
      sj.put("note", d.note());
      sj.put("extentGroups", d.data().items());
      sj.put("openOplogEpisodes", d.oplog().items());
      out.put("scan", sj);
      out.put("members", clusterMembers());
      out.put("liveNodes", live.size());
      Map<String, Object> domains = new LinkedHashMap<>();
      for (Awareness level : LEVELS) {
        Map<String, Object> lj = new LinkedHashMap<>();
        lj.put("count", live.stream().map(c -> Placement.domain(c, level)).distinct().count());
        for (FaultTolerance.Component c : FaultTolerance.Component.values()) {
          lj.put(c.name().toLowerCase(java.util.Locale.ROOT), toleranceJson(report.of(level, c)));
        }
        domains.put(level.label(), lj);
      }
      out.put("domains", domains);
      out.put("capacity", capacityJson(ResilientCapacity.compute(live, maxRf, node.storage().settings().capacity()
          .resilientThreshold()), true));
      return ok(out);
    });
  }

  /** Domain levels as operators read them: node, block, rack. */
  private static final List<Awareness> LEVELS = List.of(Awareness.NODE, Awareness.BLOCK, Awareness.RACK);

  private static Map<String, Object> toleranceJson(FaultTolerance.Tolerance t) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("failures", t.failures() == FaultTolerance.UNKNOWN ? null : t.failures());
    out.put("reason", t.reason());
    List<Map<String, Object>> limits = new ArrayList<>();
    for (FaultTolerance.Limit l : t.limits()) {
      Map<String, Object> lj = new LinkedHashMap<>();
      lj.put("failures", l.failures() == FaultTolerance.UNKNOWN ? null : l.failures());
      lj.put("reason", l.reason());
      limits.add(lj);
    }
    out.put("limits", limits);
    return out;
  }

  /** Resilient capacity at the awareness level (and with {@code byDomain}, at every level). */
  private static Map<String, Object> capacityJson(ResilientCapacity.Summary s, boolean byDomain) {
    ResilientCapacity.Level h = s.headline();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("replicationFactor", s.replicationFactor());
    out.put("failuresPlannedFor", h.failures());
    out.put("domain", s.awareness().label());
    out.put("threshold", h.threshold());
    levelJson(h, out);
    if (byDomain) {
      Map<String, Object> levels = new LinkedHashMap<>();
      for (Awareness a : LEVELS) {
        Map<String, Object> lj = new LinkedHashMap<>();
        lj.put("worstDomains", s.levels().get(a).worst());
        lj.put("worstBytes", s.levels().get(a).worstBytes());
        levelJson(s.levels().get(a), lj);
        levels.put(a.label(), lj);
      }
      out.put("byDomain", levels);
    }
    return out;
  }

  private static void levelJson(ResilientCapacity.Level l, Map<String, Object> out) {
    out.put("totalBytes", l.totalBytes());
    out.put("resilientBytes", l.resilientBytes());
    out.put("usedBytes", l.usedBytes());
    out.put("usedPercent", Double.isNaN(l.ratio()) ? null : Math.round(l.ratio() * 1000) / 10.0);
    out.put("planned", l.planned());
    out.put("overThreshold", l.overThreshold());
    out.put("reason", l.reason());
  }

  /** The Up and reachable members with a directory entry, as placement math sees them. */
  private List<Candidate> liveCandidates() {
    return services().directory().get().members().stream().map(NodeInfo::asCandidate).toList();
  }

  /** Members the split-brain resolver counts for its majority: Up or Leaving, reachable or not. */
  private int clusterMembers() {
    int n = 0;
    for (Member m : Cluster.get(system).state().getMembers()) {
      if (m.status() == MemberStatus.up() || m.status() == MemberStatus.leaving()) n++;
    }
    return n;
  }

  private CompletionStage<HttpResponse> startScan() {
    services().curator().tell(new Curator.StartScan("operator request"));
    return CompletableFuture.completedFuture(HttpResponse.create().withStatus(StatusCodes.ACCEPTED)
        .withEntity(ContentTypes.APPLICATION_JSON, "{\"scan\": \"requested\"}\n"));
  }

  private CompletionStage<HttpResponse> status() {
    NodeServices.Services node = services();
    CairnSettings settings = node.storage().settings();
    Cluster cluster = Cluster.get(system);
    NodeDirectory.View directory = node.directory().get();
    List<Map<String, Object>> members = new ArrayList<>();
    for (Member m : cluster.state().getMembers()) members.add(memberJson(m, cluster, directory));
    return config().thenApply(view -> {
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Object> self = new LinkedHashMap<>();
      self.put("id", settings.node().id());
      self.put("dataDir", settings.node().dataDir().toString());
      self.put("block", settings.node().block());
      self.put("rack", settings.node().rack());
      self.put("iscsiPortal", node.portalAddress());
      self.put("iscsiPortals", node.portals());
      self.put("memberStatus", cluster.selfMember().status().toString());
      out.put("node", self);
      Map<String, Object> cl = new LinkedHashMap<>();
      cl.put("leader", cluster.state().getLeader() == null ? null : cluster.state().getLeader().toString());
      cl.put("members", members);
      cl.put("probation", directory.probation());
      cl.put("unreachable", cluster.state().getUnreachable().size());
      cl.put("domains", domainsJson(directory));
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
      // The fault-domain awareness replicas get per container now, and why (AOS minimum domains).
      List<io.cairn.datapath.placement.Candidate> candidates = directory.members().stream()
          .map(n -> new io.cairn.datapath.placement.Candidate(n.nodeId(), n.block(), n.rack(), 1, 0, 0)).toList();
      List<Map<String, Object>> containers = new ArrayList<>();
      for (var c : view.containers()) {
        Map<String, Object> cj = new LinkedHashMap<>();
        cj.put("name", c.name());
        cj.put("replicationFactor", c.replicationFactor());
        io.cairn.datapath.placement.Placement.Level level =
            io.cairn.datapath.placement.Placement.awareness(candidates, c.replicationFactor());
        cj.put("awareness", level.awareness().toString());
        cj.put("awarenessReason", level.reason());
        cj.put("replicable", candidates.size() >= c.replicationFactor());
        containers.add(cj);
      }
      out.put("containers", containers);
      out.put("capacity", capacityJson(ResilientCapacity.compute(liveCandidates(), ReplicationFactors.maxContainerRf(view),
          settings.capacity().resilientThreshold()), false));
      Map<String, Object> replication = new LinkedHashMap<>();
      replication.put("endpoint", node.replication().endpoint().stats());
      replication.put("faultInjection", node.replication().faultInjection());
      replication.put("faults", faultsJson(node.replication().endpoint().faults()));
      out.put("replication", replication);
      out.put("events", ClusterEvents.get(system).stats());
      return ok(out);
    });
  }

  // --- disk health ----------------------------------------------------------------------------------

  /** Asks this node's Hades; a refusal becomes 404 (no such disk), 409 (refused) or 403 (fault injection off). */
  private CompletionStage<HttpResponse> hades(
      Function<org.apache.pekko.actor.typed.ActorRef<Hades.Reply>, Hades.Command> message) {
    // A clear probes the disk first: allow for a probe that waits behind slow I/O.
    return AskPattern.<Hades.Command, Hades.Reply>ask(services().hades(), message::apply, TIMEOUT.multipliedBy(2),
        system.scheduler()).thenApply(r -> {
          if (r.problem() == null) return ok(r.disks());
          StatusCode code = switch (r.problem()) {
            case NO_SUCH_DISK -> StatusCodes.NOT_FOUND;
            case REFUSED -> StatusCodes.CONFLICT;
            case FORBIDDEN -> StatusCodes.FORBIDDEN;
          };
          return error(code, r.problem().name(), r.error());
        });
  }

  /** {"mode": "error"|"hang"|"none", "hangMs"?: positive (hang only)}. */
  private static DiskFault diskFault(String body) {
    JsonNode req = parseObject(body);
    JsonNode mode = req.get("mode");
    if (mode == null || !mode.isTextual()) throw new BadRequest("\"mode\" must be \"error\", \"hang\" or \"none\"");
    return switch (mode.asText()) {
      case "none" -> DiskFault.NONE;
      case "error" -> DiskFault.error();
      case "hang" -> {
        JsonNode ms = req.get("hangMs");
        if (ms == null || !ms.canConvertToLong() || ms.asLong() <= 0 || ms.asLong() > 600_000) {
          throw new BadRequest("a hang needs \"hangMs\", 1 to 600000");
        }
        yield DiskFault.hang(Duration.ofMillis(ms.asLong()));
      }
      default -> throw new BadRequest("\"mode\" must be \"error\", \"hang\" or \"none\", was \"" + mode.asText() + "\"");
    };
  }

  // --- replication fault injection (tests; only with cairn.replication.fault-injection = on) ----

  private static Map<String, Object> faultsJson(Faults f) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("isolated", f.isolated());
    out.put("dropTo", new java.util.TreeSet<>(f.droppedTo()));
    out.put("dropFrom", new java.util.TreeSet<>(f.droppedFrom()));
    return out;
  }

  private Faults faults() {
    NodeServices.Replication r = services().replication();
    if (!r.faultInjection()) {
      throw new Forbidden("replication fault injection is off on this node (cairn.replication.fault-injection)");
    }
    return r.endpoint().faults();
  }

  private CompletionStage<HttpResponse> replicationFaults() {
    return CompletableFuture.completedFuture(ok(faultsJson(faults())));
  }

  /** {"isolate": bool?, "dropTo": [node id]?, "dropFrom": [node id]?}: replaces every fault of the endpoint. */
  private CompletionStage<HttpResponse> setReplicationFaults(String body) {
    Faults f = faults();
    JsonNode req = parseObject(body);
    boolean isolate = optionalBoolean(req, "isolate", false);
    List<String> to = optionalTextList(req, "dropTo");
    List<String> from = optionalTextList(req, "dropFrom");
    f.clear();
    f.dropTo(java.util.Set.copyOf(to));
    f.dropFrom(java.util.Set.copyOf(from));
    f.isolate(isolate);
    log.warn("replication fault injection set through the API: isolate={}, dropTo={}, dropFrom={}", isolate, to, from);
    return CompletableFuture.completedFuture(ok(faultsJson(f)));
  }

  private CompletionStage<HttpResponse> clearReplicationFaults() {
    Faults f = faults();
    f.clear();
    log.warn("replication fault injection cleared through the API");
    return CompletableFuture.completedFuture(ok(faultsJson(f)));
  }

  /**
   * One member as Pekko sees it (address, status, reachability, roles) with what its node
   * published in the node directory (identity, domains, endpoints, disks), when it has.
   */
  private static Map<String, Object> memberJson(Member m, Cluster cluster, NodeDirectory.View directory) {
    Map<String, Object> mm = new LinkedHashMap<>();
    mm.put("address", m.address().toString());
    mm.put("status", m.status().toString());
    mm.put("roles", m.getRoles());
    mm.put("reachable", !cluster.state().getUnreachable().contains(m));
    mm.put("self", m.equals(cluster.selfMember()));
    NodeInfo info = directory.published().values().stream()
        .filter(n -> n.uid() == m.uniqueAddress().longUid() && n.address().equals(m.address().toString()))
        .findFirst().orElse(null);
    if (info == null) return mm; // not published yet (joining) or not seen here yet
    mm.put("nodeId", info.nodeId());
    mm.put("block", info.block());
    mm.put("rack", info.rack());
    mm.put("iscsiPortals", info.iscsiPortals());
    mm.put("management", info.management().toString());
    mm.put("aeron", info.aeron().toString());
    List<Map<String, Object>> disks = new ArrayList<>();
    for (NodeInfo.Disk d : info.disks()) {
      Map<String, Object> dj = new LinkedHashMap<>();
      dj.put("diskId", d.id());
      dj.put("tier", d.tier());
      dj.put("capacityBytes", d.capacityBytes());
      dj.put("usedBytes", d.usedBytes());
      dj.put("state", d.state());
      disks.add(dj);
    }
    mm.put("disks", disks);
    mm.put("oplogBytes", info.oplogBytes());
    return mm;
  }

  /** How many distinct nodes, blocks and racks the Up and reachable members span (availability domains). */
  private static Map<String, Object> domainsJson(NodeDirectory.View directory) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("nodes", directory.members().size());
    d.put("blocks", directory.members().stream().map(NodeInfo::block).distinct().count());
    d.put("racks", directory.members().stream().map(NodeInfo::rack).distinct().count());
    return d;
  }

  private CompletionStage<HttpResponse> listVDisks() {
    return config().thenCombine(controllerPlacement(), (view, placement) -> {
      List<CompletableFuture<Map<String, Object>>> all = view.vdisks().stream()
          .map(v -> vdiskJson(view, v, placement).toCompletableFuture()).toList();
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .thenApply(x -> ok(all.stream().map(CompletableFuture::join).toList()));
    }).thenCompose(response -> response);
  }

  private CompletionStage<HttpResponse> getVDisk(String name) {
    return config().thenCombine(controllerPlacement(), (view, placement) -> view.vdisk(name)
        .map(v -> vdiskJson(view, v, placement).thenApply(ApiRoutes::ok))
        .orElseGet(() -> CompletableFuture.completedFuture(error(StatusCodes.NOT_FOUND, "NOT_FOUND", "vDisk '" + name + "' does not exist"))))
        .thenCompose(response -> response);
  }

  /** The vDisk's extent groups with the nodes and disks of their replicas. */
  private CompletionStage<HttpResponse> vdiskExtentGroups(String name) {
    return config().thenCompose(view -> view.vdisk(name)
        .map(v -> controller(v.id()).<VDiskController.Stats>ask(VDiskController.GetStats::new, TIMEOUT)
            .thenCompose(stats -> {
              List<CompletableFuture<Map<String, Object>>> all = new ArrayList<>();
              for (long egroup : stats.egroups()) {
                all.add(ClusterSharding.get(system).entityRefFor(ExtentGroup.ENTITY_TYPE_KEY, Long.toString(egroup))
                    .<ExtentGroup.Info>ask(ExtentGroup.Get::new, TIMEOUT).toCompletableFuture()
                    .thenApply(info -> {
                      Map<String, Object> e = new LinkedHashMap<>();
                      e.put("id", egroup);
                      e.put("replicas", info.replicas().stream()
                          .map(r -> Map.of("node", r.nodeId(), "disk", r.diskId())).toList());
                      return e;
                    }));
              }
              return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                  .thenApply(x -> ok(all.stream().map(CompletableFuture::join).toList()));
            }))
        .orElseGet(() -> CompletableFuture.completedFuture(
            error(StatusCodes.NOT_FOUND, "NOT_FOUND", "vDisk '" + name + "' does not exist"))));
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
    JsonNode req = parseObject(body, true);
    String name = requiredText(req, "name");
    List<String> initiators = optionalTextList(req, "initiators");
    ChapSecret[] chap = req.hasNonNull("chap") ? chapFields(objectField(req, "chap")) : new ChapSecret[2];
    return askConfig(r -> new ClusterConfig.CreateVolumeGroup(name, initiators, chap[0], chap[1], r))
        .thenApply(reply -> reply instanceof ClusterConfig.Done d
            ? json(StatusCodes.CREATED, groupJson(d.view().volumeGroup(name).orElseThrow()))
            : rejected(reply));
  }

  private CompletionStage<HttpResponse> getVolumeGroup(String name) {
    return config().thenApply(view -> view.volumeGroup(name).map(g -> ok(groupJson(g)))
        .orElseGet(() -> error(StatusCodes.NOT_FOUND, "NOT_FOUND", "volume group '" + name + "' does not exist")));
  }

  private CompletionStage<HttpResponse> setInitiators(String group, String body) {
    JsonNode req = parseObject(body);
    if (!req.has("initiators")) throw new BadRequest("field 'initiators' is required (a list; [] admits any initiator)");
    List<String> initiators = optionalTextList(req, "initiators");
    return groupChange(group, r -> new ClusterConfig.SetVolumeGroupInitiators(group, initiators, r));
  }

  private CompletionStage<HttpResponse> addInitiator(String group, String body) {
    String name = requiredText(parseObject(body), "name");
    return groupChange(group, r -> new ClusterConfig.ChangeVolumeGroupInitiators(group, List.of(name), List.of(), r));
  }

  private CompletionStage<HttpResponse> removeInitiator(String group, String iqn) {
    return config().thenCompose(view -> {
      VolumeGroupSpec g = view.volumeGroup(group).orElse(null);
      if (g != null && !g.initiators().contains(iqn.toLowerCase(java.util.Locale.ROOT))) {
        return CompletableFuture.completedFuture(error(StatusCodes.NOT_FOUND, "NOT_FOUND",
            "initiator '" + iqn + "' is not on the allow-list of '" + group + "'"));
      }
      return groupChange(group, r -> new ClusterConfig.ChangeVolumeGroupInitiators(group, List.of(), List.of(iqn), r));
    });
  }

  private CompletionStage<HttpResponse> setChap(String group, String body) {
    ChapSecret[] chap = chapFields(parseObject(body, true));
    return groupChange(group, r -> new ClusterConfig.SetVolumeGroupChap(group, chap[0], chap[1], r));
  }

  /** Sends a change of one volume group; answers with the group as it now stands. */
  private CompletionStage<HttpResponse> groupChange(String group,
      Function<org.apache.pekko.actor.typed.ActorRef<ClusterConfig.Reply>, ClusterConfig.Command> command) {
    return askConfig(command).thenApply(reply -> reply instanceof ClusterConfig.Done d
        ? ok(groupJson(d.view().volumeGroup(group).orElseThrow()))
        : rejected(reply));
  }

  /** {"user", "secret", "mutualUser"?, "mutualSecret"?}: initiator credentials, then the target's (or null). */
  private static ChapSecret[] chapFields(JsonNode chap) {
    ChapSecret initiator = new ChapSecret(requiredText(chap, "user"), requiredText(chap, "secret"));
    String mutualUser = optionalText(chap, "mutualUser", null);
    String mutualSecret = optionalText(chap, "mutualSecret", null);
    if ((mutualUser == null) != (mutualSecret == null)) {
      throw new BadRequest("fields 'mutualUser' and 'mutualSecret' go together");
    }
    return new ChapSecret[] {initiator, mutualUser == null ? null : new ChapSecret(mutualUser, mutualSecret)};
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
    return vdiskJson(view, v, Map.of());
  }

  /**
   * Which node runs the controller of each vDisk shard that has started: shard id to node id (or
   * Artery address when the node has not published a directory entry). Empty when sharding does
   * not answer in time: the placement is then simply not shown.
   */
  private CompletionStage<Map<String, String>> controllerPlacement() {
    NodeDirectory.View directory = services().directory().get();
    Address selfAddress = Cluster.get(system).selfMember().address();
    return AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
            ClusterSharding.get(system).shardState(),
            r -> new GetClusterShardingStats(VDiskController.ENTITY_TYPE_KEY, PLACEMENT_TIMEOUT, r),
            PLACEMENT_TIMEOUT.plusSeconds(1), system.scheduler())
        .handle((stats, err) -> {
          Map<String, String> out = new HashMap<>();
          if (stats == null) return out;
          stats.getRegions().forEach((address, region) -> {
            // The local region reports the local address, which has no host.
            Address a = address.host().isDefined() ? address : selfAddress;
            String node = directory.publishedAt(a.toString()).map(NodeInfo::nodeId).orElse(a.toString());
            region.getStats().keySet().forEach(shard -> out.put(shard, node));
          });
          return out;
        });
  }

  /** A vDisk controller's shard id: one shard per vDisk ({@code ControllerLocality.OneShardPerVDisk}). */
  private static String shardOf(long vdiskId) {
    return Long.toString(vdiskId);
  }

  private CompletionStage<Map<String, Object>> vdiskJson(ConfigView view, VDiskSpec v, Map<String, String> placement) {
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
          String controllerNode = placement.get(shardOf(v.id()));
          if (controllerNode != null) out.put("controllerNode", controllerNode);
          // The OpLog peers this node writes the vDisk's replicated records to (its controller's node).
          Map<Long, List<String>> peers = services().replication().oplog().episodePeers(v.id());
          if (!peers.isEmpty()) out.put("oplogPeers", peers);
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

  /** A volume group as operators see it: its access policy, never a CHAP secret. */
  private Map<String, Object> groupJson(VolumeGroupSpec g) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", g.id());
    out.put("name", g.name());
    out.put("iqn", g.iqn());
    out.put("portal", services().portalAddress());
    out.put("portals", services().portals());
    out.put("initiators", g.initiators());
    out.put("anyInitiator", g.initiators().isEmpty());
    Map<String, Object> chap = new LinkedHashMap<>();
    chap.put("enabled", g.chap() != null);
    if (g.chap() != null) chap.put("user", g.chap().user());
    chap.put("mutual", g.mutualChap() != null);
    if (g.mutualChap() != null) chap.put("mutualUser", g.mutualChap().user());
    out.put("chap", chap);
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

  /** A request this node refuses by its configuration: becomes a 403 with its message. */
  static final class Forbidden extends RuntimeException {
    Forbidden(String message) {
      super(message, null, false, false);
    }
  }

  /** A client error found while reading a request: becomes a 400 with its message. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  private static JsonNode parseObject(String body) {
    return parseObject(body, false);
  }

  /**
   * @param secret the body may hold a CHAP secret: a parse error names only the position, never
   *     the text around it
   */
  private static JsonNode parseObject(String body, boolean secret) {
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequest("request body is not valid JSON" + (secret ? "" : ": " + e.getOriginalMessage())
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

  private static JsonNode objectField(JsonNode req, String field) {
    JsonNode n = req.get(field);
    if (n == null || !n.isObject()) throw new BadRequest("field '" + field + "' must be an object");
    return n;
  }

  private static List<String> optionalTextList(JsonNode req, String field) {
    JsonNode n = req.get(field);
    if (n == null || n.isNull()) return List.of();
    if (!n.isArray()) throw new BadRequest("field '" + field + "' must be a list of strings");
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) throw new BadRequest("field '" + field + "' must be a list of strings");
      out.add(e.asText());
    }
    return out;
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
    if (t instanceof Forbidden) return error(StatusCodes.FORBIDDEN, "FORBIDDEN", t.getMessage());
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
