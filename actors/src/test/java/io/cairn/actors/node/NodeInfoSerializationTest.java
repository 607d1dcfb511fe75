package io.cairn.actors.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.cairn.config.HostPort;
import io.cairn.serialization.KryoPekkoSerializer;
import java.util.HexFormat;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link NodeInfo} through the real serializer: frozen version-1 bytes (nodes of different
 * versions share one directory), and the Distributed Data map that carries it between nodes.
 */
class NodeInfoSerializationTest {

  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create(ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.port = 0
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static final NodeInfo INFO = new NodeInfo("n2", "block-2", "rack-1", "pekko://cairn@127.0.0.1:13311", 0x0102030405060708L,
      new HostPort("127.0.0.1", 13411), List.of("127.0.0.1:13312,1", "10.0.0.2:3260,2"), new HostPort("127.0.0.1", 13313),
      List.of(new NodeInfo.Disk("disk-0", "SSD", 64L << 30, 3L << 20), new NodeInfo.Disk("hdd-1", "HDD", 1L << 40, 0)),
      4096);

  /** Registration id 1400 + 2 as a varint, format version 1, then the body of {@link NodeInfoSerializer}. */
  static final String GOLDEN_V1 = "fa0a01"                                   // id 1400 + 2, version 1
      + "6eb2" + "626c6f636b2db2" + "7261636b2db1"                            // n2, block-2, rack-1
      + "70656b6b6f3a2f2f636169726e403132372e302e302e313a31333331b1"        // pekko://cairn@127.0.0.1:13311
      + "0807060504030201"                                                  // uid
      + "3132372e302e302eb1" + "e368"                                       // aeron 127.0.0.1:13411
      + "02" + "3132372e302e302e313a31333331322cb1" + "31302e302e302e323a333236302cb2"   // 2 portals
      + "3132372e302e302eb1" + "8168"                                       // management 127.0.0.1:13313
      + "02" + "6469736b2db0" + "5353c4" + "808080808002" + "8080c001"     // disk-0 SSD 64 GiB, 3 MiB used
      + "6864642db1" + "4844c4" + "808080808020" + "00"                     // hdd-1 HDD 1 TiB, 0 used
      + "8020";                                                             // OpLog 4096 bytes

  /** The same node with its HDD held offline, in format version 2 (each disk's state appended). */
  static final NodeInfo INFO_V2 = new NodeInfo(INFO.nodeId(), INFO.block(), INFO.rack(), INFO.address(), INFO.uid(),
      INFO.aeron(), INFO.iscsiPortals(), INFO.management(),
      List.of(INFO.disks().get(0), new NodeInfo.Disk("hdd-1", "HDD", 1L << 40, 0, "held")), INFO.oplogBytes());

  static final String GOLDEN_V2 = "fa0a02" + GOLDEN_V1.substring(6)
      + "6f6e6c696ee5" + "68656ce4";                                        // online, held

  private static Serializer serializer() {
    Serializer s = SerializationExtension.get(kit.system()).findSerializerFor(INFO);
    assertInstanceOf(KryoPekkoSerializer.class, s);
    return s;
  }

  @Test
  void shouldReadFrozenVersion1BytesWithEveryDiskOnline() throws Exception {
    NodeInfo read = (NodeInfo) serializer().fromBinary(HexFormat.of().parseHex(GOLDEN_V1), NodeInfo.class);

    assertEquals(INFO, read);
    assertTrue(read.disks().stream().allMatch(NodeInfo.Disk::online));
  }

  @Test
  void shouldWriteFrozenVersion2BytesAndReadThemBack() throws Exception {
    byte[] bytes = serializer().toBinary(INFO_V2);

    assertEquals(GOLDEN_V2, HexFormat.of().formatHex(bytes));
    NodeInfo read = (NodeInfo) serializer().fromBinary(HexFormat.of().parseHex(GOLDEN_V2), NodeInfo.class);
    assertEquals(INFO_V2, read);
    assertEquals(64L << 30, read.capacityBytes(), "a held disk's capacity takes no replica");
  }

  @Test
  void shouldRejectAVersionFromTheFuture() {
    byte[] future = HexFormat.of().parseHex("fa0a03" + GOLDEN_V2.substring(6));

    assertThrows(IllegalArgumentException.class, () -> serializer().fromBinary(future, NodeInfo.class));
  }

  @Test
  void shouldRoundTripANodeWithoutPortalsOrDisks() throws Exception {
    NodeInfo bare = new NodeInfo("n", "b", "r", "pekko://cairn@h:1", -1, new HostPort("h", 2), List.of(), new HostPort("h", 3),
        List.of(), 0);

    assertEquals(bare, serializer().fromBinary(serializer().toBinary(bare), NodeInfo.class));
  }

  /** Distributed Data serializes the map with its own serializer and each value with ours. */
  @Test
  void shouldCarryTheDirectoryMapThroughDistributedDataSerialization() throws Exception {
    UniqueAddress writer = new UniqueAddress(new Address("pekko", "cairn", "127.0.0.1", 13311), 7L);
    LWWMap<String, NodeInfo> map = LWWMap.<String, NodeInfo>create().put(new SelfUniqueAddress(writer), "n2", INFO);
    Serialization serialization = SerializationExtension.get(kit.system());

    byte[] bytes = serialization.serialize(map).get();
    Serializer ddata = serialization.findSerializerFor(map);
    @SuppressWarnings("unchecked")
    LWWMap<String, NodeInfo> back = (LWWMap<String, NodeInfo>) serialization
        .deserialize(bytes, ddata.identifier(), org.apache.pekko.serialization.Serializers.manifestFor(ddata, map)).get();

    assertEquals(INFO, back.getEntries().get("n2"));
  }
}
