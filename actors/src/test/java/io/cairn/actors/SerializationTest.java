package io.cairn.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.cairn.actors.config.ChapSecret;
import io.cairn.actors.config.ClusterConfig;
import io.cairn.actors.config.ConfigView;
import io.cairn.actors.config.ContainerSpec;
import io.cairn.actors.config.VDiskSpec;
import io.cairn.actors.config.VolumeGroupSpec;
import io.cairn.actors.curator.Chronos;
import io.cairn.actors.curator.Curator;
import io.cairn.actors.curator.Scrubber;
import io.cairn.actors.egroup.ExtentGroup;
import io.cairn.actors.events.ClusterEvent;
import io.cairn.actors.egroup.Replica;
import io.cairn.actors.reservation.LunReservations;
import io.cairn.actors.vdisk.VDiskController;
import io.cairn.datapath.placement.Candidate;
import io.cairn.datapath.placement.ReplicaSpread;
import io.cairn.datapath.replication.ReplicatedOpLog;
import io.cairn.datapath.scsi.ItNexus;
import io.cairn.datapath.scsi.reservation.PersistentReservations;
import io.cairn.datapath.scsi.reservation.Registration;
import io.cairn.datapath.scsi.reservation.Reservation;
import io.cairn.datapath.scsi.reservation.ReservationType;
import io.cairn.datapath.vdisk.VDiskIoException;
import io.cairn.serialization.KryoPekkoSerializer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every message, event and snapshot of the actors module goes through the real Kryo serializer:
 * round trips, golden bytes for everything persisted (so old journals stay readable), and a check
 * that no message type was left unregistered.
 */
class SerializationTest {

  private static ActorTestKit kit;

  private static final VDiskSpec SPEC = new VDiskSpec(7, "vm-1", new UUID(0x0123456789abcdefL, 0xfedcba9876543210L),
      10L << 30, 512, 4096, "default", "demo", 3, false);

  @BeforeAll
  static void start() {
    Config c = ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load());
    kit = ActorTestKit.create(c);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Serializer serializer(Object o) {
    Serializer s = SerializationExtension.get(kit.system()).findSerializerFor(o);
    assertInstanceOf(KryoPekkoSerializer.class, s, o.getClass().getName());
    return s;
  }

  private static Object roundTrip(Object o) throws Exception {
    Serializer s = serializer(o);
    return s.fromBinary(s.toBinary(o), o.getClass());
  }

  private static String hex(Object o) {
    return HexFormat.of().formatHex(serializer(o).toBinary(o));
  }

  private static final ItNexus NEXUS_A = new ItNexus("iqn.a", 0x23D000000001L, "iqn.t", 1);
  private static final ItNexus NEXUS_B = new ItNexus("iqn.b", 0x23D000000002L, "iqn.t", 2);
  /** Two registrations (the second with ALL_TG_PT), a wrapped generation, APTPL, a single-holder reservation. */
  private static final PersistentReservations PR_HELD = new PersistentReservations(-2, true,
      List.of(new Registration(NEXUS_A, false, 0x0123456789ABCDEFL), new Registration(NEXUS_B, true, -1L)),
      new Reservation(ReservationType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, NEXUS_A));
  /** An all-registrants reservation: no holder nexus is written. */
  private static final PersistentReservations PR_ALL = new PersistentReservations(5, false,
      List.of(new Registration(NEXUS_B, false, 7)), new Reservation(ReservationType.WRITE_EXCLUSIVE_ALL_REGISTRANTS, null));

  /** Persisted events and snapshots with their frozen version-1 bytes. */
  static Stream<Arguments> persisted() {
    VDiskController.ActiveSnapshot snap = new VDiskController.ActiveSnapshot(SPEC, new long[] {0, 1, 9},
        new long[] {4, 5, 12}, 11, 100, 3, 1);
    ExtentGroup.Active egroup = new ExtentGroup.Active(List.of(new Replica("n1", "disk-0")), 4096,
        new long[] {7, 0, 7, 0}, new long[] {1, 0, 2, 0}, 3);
    return Stream.of(
        Arguments.of(new ClusterConfig.ContainerCreated(new ContainerSpec(1, "default", 1)), GOLDEN[0]),
        Arguments.of(new ClusterConfig.VolumeGroupCreated(new VolumeGroupSpec(2, "demo", "iqn.2026-11.io.cairn:demo")), GOLDEN[1]),
        Arguments.of(new ClusterConfig.VDiskCreated(SPEC), GOLDEN[2]),
        Arguments.of(new ClusterConfig.VDiskDeleted(7), GOLDEN[3]),
        Arguments.of(new ClusterConfig.EgroupIdsReserved(65537), GOLDEN[4]),
        Arguments.of(new ClusterConfig.DemoCreated(), GOLDEN[5]),
        Arguments.of(STATE, GOLDEN_STATE_V3),
        Arguments.of(new VDiskController.Initialized(SPEC), GOLDEN[7]),
        Arguments.of(new VDiskController.EgroupIdsReserved(1, 65537), GOLDEN[8]),
        Arguments.of(new VDiskController.EgroupOpened(1), GOLDEN[9]),
        Arguments.of(new VDiskController.BlocksMapped(3, new long[] {0, 1L << 40}, new int[] {0, 3}), GOLDEN[10]),
        Arguments.of(new VDiskController.Destroyed(), GOLDEN[11]),
        Arguments.of(snap, GOLDEN[12]),
        Arguments.of(new ExtentGroup.Created(List.of(new Replica("n1", "disk-0")), 4, 4096), GOLDEN[13]),
        Arguments.of(new ExtentGroup.ExtentsAllocated(7, new long[] {1, 2}, new int[] {0, 2}), GOLDEN[14]),
        Arguments.of(new ExtentGroup.ExtentsReleased(new int[] {0, 2}), GOLDEN[15]),
        Arguments.of(new ExtentGroup.Deleted(), GOLDEN[16]),
        Arguments.of(egroup, GOLDEN[17]),
        Arguments.of(new VDiskController.Uninitialized(), GOLDEN[18]),
        Arguments.of(new VDiskController.Gone(), GOLDEN[19]),
        Arguments.of(new ExtentGroup.Absent(), GOLDEN[20]),
        Arguments.of(new ExtentGroup.Gone(), GOLDEN[21]),
        Arguments.of(new LunReservations.ReservationsSaved(PR_HELD), GOLDEN[22]),
        Arguments.of(new LunReservations.ReservationsSaved(PersistentReservations.EMPTY), GOLDEN[23]),
        Arguments.of(new LunReservations.Unsaved(), GOLDEN[24]),
        Arguments.of(new LunReservations.Stored(300, PR_ALL), GOLDEN[25]),
        Arguments.of(new ClusterConfig.VDiskReadOnlyChanged(7, true), GOLDEN[26]),
        Arguments.of(new VDiskController.BlocksUnmapped(new long[] {3, 4, 5, 1L << 40}), GOLDEN[27]),
        Arguments.of(new ClusterConfig.VolumeGroupInitiatorsSet(2, List.of("iqn.1994-05.com.example:a", "eui.0123456789abcdef")),
            GOLDEN_ACCESS[0]),
        Arguments.of(new ClusterConfig.VolumeGroupChapSet(2, new ChapSecret("host", "secret-of-12"), null), GOLDEN_ACCESS[1]),
        Arguments.of(new ClusterConfig.VolumeGroupChapSet(2, new ChapSecret("host", "secret-of-12"),
            new ChapSecret("tgt", "target-secret")), GOLDEN_ACCESS[2]),
        Arguments.of(new ClusterConfig.VolumeGroupChapCleared(2), GOLDEN_ACCESS[3]));
  }

  /** A configuration with an open volume group and one with an allow-list and mutual CHAP. */
  static final ClusterConfig.State STATE = new ClusterConfig.State(List.of(new ContainerSpec(1, "default", 1)),
      List.of(new VolumeGroupSpec(2, "demo", "iqn.2026-11.io.cairn:demo"),
          new VolumeGroupSpec(9, "prod", "iqn.2026-11.io.cairn:prod", List.of("iqn.1994-05.com.example:a"),
              new ChapSecret("host", "secret-of-12"), new ChapSecret("tgt", "target-secret"))),
      List.of(SPEC), 10, 65537, true);

  /** The snapshot's current (version-3) bytes: volume groups with access policy, vDisks with read-only flags. */
  static final String GOLDEN_STATE_V3 = "8e0803010164656661756cf401020264656def69716e2e323032362d31312e696f2e636169726e3a64656def"
      + "0000000970726fe469716e2e323032362d31312e696f2e636169726e3a70726fe40169716e2e313939342d30352e636f6d2e6578616d706c"
      + "653ae101686f73f47365637265742d6f662d31b2017467f47461726765742d7365637265f40107766d2db1efcdab89674523011032547698"
      + "badcfe80808080288004802064656661756cf464656def03000a81800401";

  /** The snapshot's version-2 bytes (volume groups with allow-list and CHAP). */
  static final String GOLDEN_STATE_V2 = "8e0802010164656661756cf401020264656def69716e2e323032362d31312e696f2e636169726e3a64656d"
      + "ef0000000970726fe469716e2e323032362d31312e696f2e636169726e3a70726fe40169716e2e313939342d30352e636f6d2e6578616d7"
      + "06c653ae101686f73f47365637265742d6f662d31b2017467f47461726765742d7365637265f40107766d2db1efcdab89674523011032"
      + "547698badcfe80808080288004802064656661756cf464656def030a81800401";

  /** Version-1 bytes of the volume group access events (ids 1044-1046). */
  static final String[] GOLDEN_ACCESS = {
      "960801020269716e2e313939342d30352e636f6d2e6578616d706c653ae16575692e303132333435363738396162636465e6",
      "9708010201686f73f47365637265742d6f662d31b200",
      "9708010201686f73f47365637265742d6f662d31b2017467f47461726765742d7365637265f4",
      "98080102",
  };

  @Test
  void shouldReadAVersion1SnapshotWithOpenVolumeGroups() throws Exception {
    ClusterConfig.State v1 = (ClusterConfig.State) serializer(STATE).fromBinary(HexFormat.of().parseHex(GOLDEN[6]),
        ClusterConfig.State.class);

    assertEquals(new ClusterConfig.State(List.of(new ContainerSpec(1, "default", 1)),
        List.of(new VolumeGroupSpec(2, "demo", "iqn.2026-11.io.cairn:demo")), List.of(SPEC), 8, 65537, true), v1);
    assertEquals(List.of(), v1.volumeGroups().get(0).initiators());
    assertEquals(null, v1.volumeGroups().get(0).chap());
  }

  @Test
  void shouldNeverPrintAChapSecret() {
    assertFalse(STATE.toString().contains("secret-of-12"));
    assertFalse(STATE.toString().contains("target-secret"));
  }

  /**
   * Current bytes: registration id + 2 as a varint (Kryo's encoding), format version, body. A change
   * of layout is a new version: its old bytes move to {@link #olderVersions}, which must keep reading.
   */
  static final String[] GOLDEN = {
      // [6] is the version-1 snapshot; version 2 is GOLDEN_STATE_V2, the current one GOLDEN_STATE_V3
      "8808010164656661756cf401",
      "8908010264656def69716e2e323032362d31312e696f2e636169726e3a64656def",
      "8a080207766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def0300",
      "8b080107",
      "8c0801818004",
      "8d0801",
      "8e0801010164656661756cf401010264656def69716e2e323032362d31312e696f2e636169726e3a64656def0107766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def030881800401",
      "e2080207766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def0300",
      "e3080101818004",
      "e4080101",
      "e508010302000080808080802003",
      "e60801",
      "e9080207766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def03000b6403010300040105080c",
      "bc0901016eb16469736b2db0048020",
      "bd090107020102020002",
      "be0901020002",
      "bf0901",
      "c10901016eb16469736b2db080200407000700040100020003",
      "e70801",
      "e80801",
      "c00901",
      "c20901",
      "aa0a01feffffff010269716e2ee18180808080fa0869716e2ef40100efcdab896745230169716e2ee28280808080fa0869716e2ef40201ffffffffffffffff0669716e2ee18180808080fa0869716e2ef401",
      "aa0a0100000000000000",
      "b40a01",
      "b50a01ac0205000000000169716e2ee28280808080fa0869716e2ef40200070000000000000007",
      "8f08010701",
      "ea080104030101fbffffffff1f",
  };

  /**
   * Bytes written by version 1 of serializers that are now at version 2 (the vDisk spec gained its
   * read-only flag): they must still read back, with readOnly = false.
   */
  static Stream<Arguments> olderVersions() {
    return Stream.of(
        Arguments.of(new ClusterConfig.VDiskCreated(SPEC), "8a080107766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def03"),
        Arguments.of(new VDiskController.Initialized(SPEC), "e2080107766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def03"),
        Arguments.of(new ClusterConfig.State(List.of(new ContainerSpec(1, "default", 1)),
            List.of(new VolumeGroupSpec(2, "demo", "iqn.2026-11.io.cairn:demo")), List.of(SPEC), 8, 65537, true),
            "8e0801010164656661756cf401010264656def69716e2e323032362d31312e696f2e636169726e3a64656def0107766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def030881800401"),
        Arguments.of(STATE, GOLDEN_STATE_V2),
        Arguments.of(new VDiskController.ActiveSnapshot(SPEC, new long[] {0, 1, 9}, new long[] {4, 5, 12}, 11, 100, 3, 1),
            "e9080107766d2db1efcdab89674523011032547698badcfe80808080288004802064656661756cf464656def030b6403010300040105080c"));
  }

  @ParameterizedTest
  @MethodSource("olderVersions")
  void shouldStillReadBytesOfOlderVersions(Object current, String v1) throws Exception {
    Object back = serializer(current).fromBinary(HexFormat.of().parseHex(v1), current.getClass());
    assertEquals(hex(current), hex(back), "v1 bytes read as the same value (readOnly = false)");
  }

  @ParameterizedTest
  @MethodSource("persisted")
  void shouldWriteFrozenBytesAndReadThemBack(Object event, String golden) throws Exception {
    String actual = hex(event);
    assertEquals(golden, actual, event.getClass().getName());
    Object back = serializer(event).fromBinary(HexFormat.of().parseHex(golden), event.getClass());
    assertEquals(actual, hex(back), "reading the golden bytes yields the same value");
  }

  /** A spread with an under-replicated egroup (n4 gone) and a holder whose domains are unknown. */
  private static final ReplicaSpread SPREAD = new ReplicaSpread.Builder(
      Map.of("n1", new Candidate("n1", "b1", "r1", 1L << 40, 1 << 30, 0), "n2", new Candidate("n2", "b2", "r1", 1L << 40, 0, 0)),
      Map.of())
      .add(3, "egroup 3", 2, List.of("n1", "n2"))
      .add(5, "egroup 5", 2, List.of("n1", "n4"))
      .add(9, "egroup 9", 1, List.of("n2"))
      .build();

  @Test
  void shouldRoundTripCommandsAndRepliesWithActorRefs() throws Exception {
    TestProbe<Object> probe = kit.createTestProbe();
    var cfgReply = kit.<ClusterConfig.Reply>createTestProbe();
    List<Object> messages = List.of(
        new ClusterConfig.CreateVDisk("vm", 1 << 30, 512, 4096, "demo", "default", true, cfgReply.getRef()),
        new ClusterConfig.Done(new ConfigView(List.of(new ContainerSpec(1, "c", 1)), List.of(), List.of(SPEC))),
        new ClusterConfig.Rejected(ClusterConfig.Error.NOT_FOUND, "no"),
        new ClusterConfig.IdRange(1, 2),
        new ClusterConfig.ConfigChanged(new ConfigView(List.of(), List.of(), List.of(SPEC))),
        new ClusterConfig.ConfigChanged(new ConfigView(List.of(), STATE.volumeGroups(), List.of())),
        new ClusterConfig.CreateVolumeGroup("prod", List.of("iqn.1994-05.com.example:a"),
            new ChapSecret("host", "secret-of-12"), null, cfgReply.getRef()),
        new ClusterConfig.SetVolumeGroupInitiators("prod", List.of(), cfgReply.getRef()),
        new ClusterConfig.SetVolumeGroupChap("prod", new ChapSecret("host", "secret-of-12"),
            new ChapSecret("tgt", "target-secret"), cfgReply.getRef()),
        new ClusterConfig.ClearVolumeGroupChap("prod", cfgReply.getRef()),
        new ClusterConfig.ChangeVolumeGroupInitiators("prod", List.of("iqn.1994-05.com.example:a"), List.of(),
            cfgReply.getRef()),
        new VDiskController.Initialize(SPEC, kit.<VDiskController.Ack>createTestProbe().getRef()),
        new VDiskController.Read(512, 4096, kit.<VDiskController.ReadResult>createTestProbe().getRef()),
        new VDiskController.IoResult(VDiskIoException.Kind.LBA_OUT_OF_RANGE, "beyond"),
        new VDiskController.Stats(7, true, 3, new long[] {1, 2}, 4096, 0),
        new ExtentGroup.Allocate(7, new long[] {1, 2}, List.of(new Replica("n", "d")), 4, kit.<ExtentGroup.Allocated>createTestProbe().getRef()),
        new ExtentGroup.Info(3, true, List.of(new Replica("n", "d")), 4, 4096, new long[] {7, 0, 0, 0}, new long[] {1, 0, 0, 0}),
        new ExtentGroup.ReleaseExtents(7, new int[] {0, 3}, kit.<ExtentGroup.Released>createTestProbe().getRef()),
        new VDiskController.Unmap(1L << 20, 8192, kit.<VDiskController.IoResult>createTestProbe().getRef()),
        new VDiskController.GetProvisioning(4096, 16, kit.<VDiskController.ProvisioningResult>createTestProbe().getRef()),
        new VDiskController.ProvisioningResult(0, new long[] {4096, 1L << 20}, new byte[] {1, 0}, null, null),
        new VDiskController.ProvisioningResult(0, new long[0], new byte[0], VDiskIoException.Kind.NOT_READY, "gone"),
        new VDiskController.CompareResult(511, null, null),
        new LunReservations.Load(kit.<LunReservations.Loaded>createTestProbe().getRef()),
        new LunReservations.Save(4, PR_HELD, kit.<LunReservations.SaveReply>createTestProbe().getRef()),
        new LunReservations.Loaded(4, PR_ALL),
        new LunReservations.Saved(5),
        new LunReservations.Stale(6, PR_HELD),
        new ExtentGroup.ReplaceReplica(new Replica("n1", "d0"), new Replica("n4", "d1"),
            kit.<ExtentGroup.Replaced>createTestProbe().getRef()),
        new ExtentGroup.Replaced(3, true, List.of(new Replica("n4", "d1"), new Replica("n2", "d0"))),
        new ExtentGroup.ReplicaReplaced(new Replica("n1", "d0"), new Replica("n4", "d1")),
        new VDiskController.FenceEgroup(3, kit.<VDiskController.Fenced>createTestProbe().getRef()),
        new VDiskController.Fenced(3, 9, null),
        new VDiskController.CommitReplica(3, 9, new Replica("n1", "d0"), new Replica("n4", "d1"),
            kit.<VDiskController.ReplicaCommitted>createTestProbe().getRef()),
        new VDiskController.ReplicaCommitted(3, false, List.of(), "lost"),
        new VDiskController.ReleaseFence(9),
        new VDiskController.ScrubRepair(3, 8192, 4096, new Replica("n2", "d0"),
            kit.<VDiskController.ScrubRepaired>createTestProbe().getRef()),
        new VDiskController.ScrubRepaired(3, true, null),
        new Scrubber.GetStats(kit.<Scrubber.Stats>createTestProbe().getRef()),
        new Scrubber.Stats("n2", true, 2, 1 << 20, 1, 1, 0, 6, 2, 5),
        new Curator.MapDone(2, "n1", 40, List.of(new Curator.Endangered(3, List.of("n2"), 1)), List.of("n4"),
            new Chronos.Orphans(2, 1), null),
        new Curator.TaskDone(2, 3, "n2", 4 << 20, 1, null),
        new Curator.StartScan("test"),
        new Curator.Status(List.of("n4"), Map.of("n4", 3000L), 2, false, 40, Map.of("n1", 20, "n2", 20), 1, 0, 0,
            4 << 20, 1 << 20, 0, Map.of("n2", 4L << 20), 0, 3, 1, List.of("n2/disk-1"), List.of("n1", "n2")),
        new Chronos.MapScan(2, 0, 3, List.of("n4"), List.of("n2/disk-1", "n3/disk-0"), List.of("n3/disk-0"),
            kit.<Curator.Command>createTestProbe().getRef()),
        new Chronos.ReReplicate(2, 3, 1, List.of("n4"), List.of("n2/disk-1"), List.of(),
            kit.<Curator.Command>createTestProbe().getRef()),
        new Chronos.Stats("n2", 4 << 20, 1, 0, 0, 0),
        new Curator.SpreadMapped(2, 3, "n1", SPREAD, new ReplicatedOpLog.OpLogReport(
            List.of(new ReplicatedOpLog.EpisodeCopies(7, 1, 2, List.of("n1", "n2"))), List.of(7L),
            List.of(new ReplicatedOpLog.HeldEpisode(8, 0, 2)))),
        new Curator.GetFaultTolerance(kit.<Curator.FaultToleranceData>createTestProbe().getRef()),
        new Curator.FaultToleranceData(2, 1_700_000_000_000L, 3, 2, List.of("n5"), false, SPREAD, SPREAD,
            "scan 3 was incomplete"),
        ClusterEvent.of(ClusterEvent.MEMBER_REMOVED, ClusterEvent.Severity.WARNING, "node n4 was removed",
            eventDetails()).withOrigin("n1", 1_765_000_000_123L),
        ClusterEvent.of(ClusterEvent.REBUILD_STARTED, ClusterEvent.Severity.INFO, "no details").withOrigin("n2", 1));
    for (Object m : messages) {
      Object back = roundTrip(m);
      assertEquals(hex(m), hex(back), m.getClass().getName());
    }
    Curator.FaultToleranceData ft = new Curator.FaultToleranceData(2, 1_700_000_000_000L, 3, 2, List.of("n5"), false, SPREAD,
        SPREAD, null);
    assertEquals(ft, roundTrip(ft), "the spread comes back whole (buckets, least spreads, holders)");
    ClusterConfig.CreateVDisk back = (ClusterConfig.CreateVDisk) roundTrip(messages.get(0));
    back.replyTo().tell(new ClusterConfig.IdRange(5, 6));
    cfgReply.expectMessage(new ClusterConfig.IdRange(5, 6));
    probe.expectNoMessage(java.time.Duration.ofMillis(10));
  }

  /** Every kind of detail value, in an order that must survive. */
  private static Map<String, Object> eventDetails() {
    Map<String, Object> d = new java.util.LinkedHashMap<>();
    d.put("member", "n4");
    d.put("uid", "-8070450532247928832");
    d.put("bytes", 4L << 30);
    d.put("ratio", 0.75);
    d.put("failed", true);
    return d;
  }

  @Test
  void shouldCarryClusterEventsWithTheirDetailsInOrder() throws Exception {
    ClusterEvent e = ClusterEvent.of(ClusterEvent.CAPACITY_OVER_THRESHOLD, ClusterEvent.Severity.CRITICAL, "over",
        eventDetails()).withOrigin("n1", 42);
    ClusterEvent back = (ClusterEvent) roundTrip(e);
    assertEquals(e, back);
    assertEquals(List.copyOf(e.details().keySet()), List.copyOf(back.details().keySet()));
    assertEquals(4L << 30, back.details().get("bytes"));
    assertEquals(Boolean.TRUE, back.details().get("failed"));
  }

  @Test
  void shouldCarryWritePayloadBytes() throws Exception {
    ByteBuf data = Unpooled.copiedBuffer("sector bytes", StandardCharsets.US_ASCII);
    var w = new VDiskController.Write(4096, data, kit.<VDiskController.IoResult>createTestProbe().getRef());
    VDiskController.Write back = (VDiskController.Write) roundTrip(w);
    assertEquals("sector bytes", back.data().toString(StandardCharsets.US_ASCII));
    back.data().release();
    data.release();
  }

  @Test
  void shouldCarryCompareAndWriteAndAtomicWritePayloads() throws Exception {
    ByteBuf cmp = Unpooled.copiedBuffer("old!", StandardCharsets.US_ASCII);
    ByteBuf dat = Unpooled.copiedBuffer("new!", StandardCharsets.US_ASCII);
    var caw = new VDiskController.CompareAndWrite(512, cmp, dat, kit.<VDiskController.CompareResult>createTestProbe().getRef());
    VDiskController.CompareAndWrite back = (VDiskController.CompareAndWrite) roundTrip(caw);
    assertEquals("old!", back.compare().toString(StandardCharsets.US_ASCII));
    assertEquals("new!", back.data().toString(StandardCharsets.US_ASCII));
    back.compare().release();
    back.data().release();
    var wa = new VDiskController.WriteAtomic(1024, dat, kit.<VDiskController.IoResult>createTestProbe().getRef());
    VDiskController.WriteAtomic wback = (VDiskController.WriteAtomic) roundTrip(wa);
    assertEquals("new!", wback.data().toString(StandardCharsets.US_ASCII));
    wback.data().release();
    cmp.release();
    dat.release();
  }

  /** Every type of a sealed message hierarchy is registered, except those that never leave the node. */
  @Test
  void shouldRegisterEverySerializableType() {
    // Internal and Local* messages never leave the node; Active is persisted as ActiveSnapshot.
    Set<String> localOnly = Set.of("LocalRead", "LocalWrite", "LocalWriteAtomic", "LocalCompareAndWrite", "LocalUnmap",
        "LocalGetProvisioning", "Captured", "RoundStep", "IdsReplied", "Allocation", "Resume", "UnmapRange", "Internal", "HandOff",
        "MapFinished", "TaskFinished", "StartNext", "Check", "ScanTick", "MapTimeout", "ChronosListing", "ChronosIdentified", "ChronosUnanswered",
        "Tick", "Verified", "Repaired");
    Config regs = kit.system().settings().config().getConfig("cairn.serialization.registrations");
    List<String> missing = new ArrayList<>();
    for (Class<?> root : List.of(ClusterConfig.Command.class, ClusterConfig.Reply.class, ClusterConfig.Event.class,
        VDiskController.Command.class, VDiskController.Event.class, VDiskController.State.class,
        ExtentGroup.Command.class, ExtentGroup.Event.class, ExtentGroup.State.class,
        LunReservations.Command.class, LunReservations.SaveReply.class, LunReservations.Event.class,
        LunReservations.State.class, Curator.Command.class, Chronos.Command.class, Scrubber.Command.class)) {
      for (Class<?> c : root.getPermittedSubclasses()) {
        if (localOnly.contains(c.getSimpleName()) || c == VDiskController.Active.class) continue;
        if (!regs.hasPath("\"" + c.getName() + "\"")) missing.add(c.getName());
      }
    }
    assertTrue(missing.isEmpty(), "not registered: " + missing);
    assertTrue(Arrays.stream(VDiskController.Command.class.getPermittedSubclasses()).anyMatch(c -> c.getSimpleName().equals("Internal")));
  }
}
