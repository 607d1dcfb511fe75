package io.cairn.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KryoPekkoSerializerTest {

  /** A message with every kind of field the serializer resolves polymorphically. */
  public record Envelope(String text, long number, List<String> names, Map<String, Long> sizes, UUID id,
      ActorRef<String> replyTo) implements CairnSerializable {}

  public record Payload(ByteBuf data) implements CairnSerializable {}

  /** Not registered: must be refused, never silently Java-serialized. */
  public record Unregistered(int x) implements CairnSerializable {}

  /** v2 of a persisted fact; v1 had only the name. */
  public record Fact(String name, int weight) implements CairnSerializable {}

  public static final class FactSerializer extends VersionedSerializer<Fact> {
    @Override protected int currentVersion() { return 2; }

    @Override protected void writeBody(Kryo k, Output out, Fact f) {
      out.writeString(f.name());
      out.writeVarInt(f.weight(), true);
    }

    @Override protected Fact readBody(Kryo k, Input in, int version) {
      String name = in.readString();
      return new Fact(name, version >= 2 ? in.readVarInt(true) : 1);
    }
  }

  private static final Config CONFIG = ConfigFactory.parseString("""
      cairn.serialization.registrations {
        "io.cairn.serialization.KryoPekkoSerializerTest$Envelope" = 100
        "io.cairn.serialization.KryoPekkoSerializerTest$Payload" = 101
        "io.cairn.serialization.KryoPekkoSerializerTest$Fact" = 102
      }
      cairn.serialization.serializers {
        "io.cairn.serialization.KryoPekkoSerializerTest$Fact" = "io.cairn.serialization.KryoPekkoSerializerTest$FactSerializer"
      }
      """).withFallback(ConfigFactory.load());

  private static ActorTestKit testKit;
  private static Serialization serialization;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(CONFIG);
    serialization = SerializationExtension.get(testKit.system());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static Object roundTrip(Object o) throws Exception {
    Serializer s = serialization.findSerializerFor(o);
    assertInstanceOf(KryoPekkoSerializer.class, s, "CairnSerializable must bind to the Kryo serializer");
    byte[] bytes = s.toBinary(o);
    return s.fromBinary(bytes, o.getClass());
  }

  @Test
  void shouldRoundTripRecordWithCollectionsUuidAndActorRef() throws Exception {
    TestProbe<String> probe = testKit.createTestProbe();
    Envelope e = new Envelope("hi", -42, new ArrayList<>(List.of("a", "b")), Map.of("x", 7L), UUID.randomUUID(), probe.getRef());
    Envelope back = (Envelope) roundTrip(e);
    assertEquals(e, back);
    back.replyTo().tell("ping");
    probe.expectMessage("ping");
  }

  @Test
  void shouldCopyByteBufPayload() throws Exception {
    ByteBuf data = Unpooled.copiedBuffer("payload bytes", StandardCharsets.US_ASCII);
    Payload back = (Payload) roundTrip(new Payload(data));
    assertEquals("payload bytes", back.data().toString(StandardCharsets.US_ASCII));
    back.data().release();
    data.release();
  }

  @Test
  void shouldRefuseUnregisteredClass() {
    Serializer s = serialization.findSerializerFor(new Unregistered(1));
    assertThrows(IllegalArgumentException.class, () -> s.toBinary(new Unregistered(1)));
  }

  @Test
  void shouldReadOlderVersionOfPersistedFact() throws Exception {
    // Golden bytes of Fact written by version 1 of its serializer: class id 102 (written as varint 104 = id + 2
    // Kryo writes registered ids; 0 is null), version 1, name "disk".
    byte[] v1 = HexFormat.of().parseHex("68" + "01" + "646973eb");
    Fact f = (Fact) serialization.findSerializerFor(new Fact("x", 1)).fromBinary(v1, Fact.class);
    assertEquals(new Fact("disk", 1), f);
  }

  @Test
  void shouldWriteCurrentVersionGoldenBytes() {
    byte[] bytes = serialization.findSerializerFor(new Fact("disk", 5)).toBinary(new Fact("disk", 5));
    assertEquals("68" + "02" + "646973eb" + "05", HexFormat.of().formatHex(bytes));
  }

  @Test
  void shouldRejectUnknownFutureVersion() {
    byte[] v9 = HexFormat.of().parseHex("68" + "09" + "646973eb");
    Serializer s = serialization.findSerializerFor(new Fact("x", 1));
    assertThrows(IllegalArgumentException.class, () -> s.fromBinary(v9, Fact.class));
  }

  @Test
  void shouldRejectDuplicateRegistrationIds() {
    Config clash = ConfigFactory.parseString("""
        cairn.serialization.registrations {
          "io.cairn.serialization.KryoPekkoSerializerTest$Envelope" = 100
          "io.cairn.serialization.KryoPekkoSerializerTest$Payload" = 100
        }
        """).withFallback(ConfigFactory.load());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new KryoPekkoSerializer(clash, null));
    assertTrue(e.getMessage().contains("100"), e.getMessage());
  }

  @Test
  void shouldUseStableSerializerId() {
    assertEquals(7_311_001, new KryoPekkoSerializer(CONFIG, null).identifier());
    assertArrayEquals(new byte[0], new byte[0]);
  }
}
