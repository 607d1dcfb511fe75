package io.cairn.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.Pool;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.NotSerializableException;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko serializer for every {@link CairnSerializable}, on Kryo with explicit registration ids.
 *
 * <p>Registrations come from {@code cairn.serialization.registrations} (class name → id) in every
 * module's {@code reference.conf}, merged by Typesafe Config; {@code cairn.serialization.serializers}
 * names a hand-written serializer for a class (all persisted events and snapshots have one). Kryo
 * instances are not thread-safe: each call borrows one from a pool. Any typed {@link ActorRef} is
 * written as its serialization path (resolved through {@link ActorRefResolver}); any {@link List} or
 * {@link Map} is written element by element and read back as an immutable copy; a {@link ByteBuf}
 * payload is copied inline and read back as an unpooled heap buffer (only messages that cross
 * nodes are ever serialized; bulk bytes between nodes belong on the Aeron data plane).
 *
 * <p>The bytes are: Kryo class id (varint) then the object. Pekko's own manifest is not used.
 */
public final class KryoPekkoSerializer extends JSerializer {

  /** Pekko serializer id of this serializer; never change it (it is stored in the journal). */
  public static final int IDENTIFIER = 7_311_001;

  /** Registration ids below this are reserved for the built-in types registered here. */
  private static final int FIRST_USER_ID = 100;

  private final ActorRefResolver resolver;
  private final Map<Class<?>, Integer> registrations;
  private final Map<Class<?>, Serializer<?>> customSerializers;
  private final Pool<Kryo> pool;

  public KryoPekkoSerializer(ExtendedActorSystem system) {
    this(system.settings().config(), ActorRefResolver.get(Adapter.toTyped(system)));
  }

  /** For tests and tools without an actor system: typed ActorRefs cannot be (de)serialized. */
  public KryoPekkoSerializer(Config config, ActorRefResolver resolver) {
    this.resolver = resolver;
    this.registrations = readRegistrations(config.getConfig("cairn.serialization"));
    this.customSerializers = readSerializers(config.getConfig("cairn.serialization"));
    this.pool = new Pool<>(true, false, 64) {
      @Override
      protected Kryo create() {
        return newKryo();
      }
    };
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = pool.obtain();
    try {
      Output out = new Output(256, -1);
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } catch (KryoException e) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName() + ": " + e.getMessage(), e);
    } finally {
      pool.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = pool.obtain();
    try {
      return kryo.readClassAndObject(new Input(bytes));
    } catch (KryoException e) {
      throw new IllegalArgumentException(new NotSerializableException("cannot deserialize: " + e.getMessage()));
    } finally {
      pool.free(kryo);
    }
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo(new PolymorphicResolver(), null);
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.register(UUID.class, new UuidSerializer(), 10);
    kryo.register(ActorRef.class, new ActorRefSerializer(resolver), 11);
    kryo.register(List.class, new ListSerializer(), 12);
    kryo.register(Map.class, new MapSerializer(), 13);
    kryo.register(long[].class, 14);
    kryo.register(int[].class, 15);
    kryo.register(byte[].class, 16);
    kryo.register(String[].class, 17);
    kryo.register(ByteBuf.class, new ByteBufSerializer(), 18);
    for (Map.Entry<Class<?>, Integer> r : registrations.entrySet()) {
      Serializer<?> custom = customSerializers.get(r.getKey());
      if (custom != null) {
        kryo.register(r.getKey(), custom, r.getValue());
      } else {
        kryo.register(r.getKey(), r.getValue());
      }
    }
    return kryo;
  }

  private static Map<Class<?>, Integer> readRegistrations(Config c) {
    Map<Class<?>, Integer> out = new HashMap<>();
    Map<Integer, String> byId = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : c.getConfig("registrations").root().entrySet()) {
      String name = e.getKey();
      int id = ((Number) e.getValue().unwrapped()).intValue();
      if (id < FIRST_USER_ID) {
        throw new IllegalStateException("registration id " + id + " of " + name + " is reserved (< " + FIRST_USER_ID + ")");
      }
      String clash = byId.put(id, name);
      if (clash != null) {
        throw new IllegalStateException("registration id " + id + " used by both " + clash + " and " + name);
      }
      out.put(loadClass(name), id);
    }
    return out;
  }

  private static Map<Class<?>, Serializer<?>> readSerializers(Config c) {
    Map<Class<?>, Serializer<?>> out = new HashMap<>();
    if (!c.hasPath("serializers")) return out;
    for (Map.Entry<String, ConfigValue> e : c.getConfig("serializers").root().entrySet()) {
      try {
        Constructor<?> ctor = loadClass((String) e.getValue().unwrapped()).getDeclaredConstructor();
        out.put(loadClass(e.getKey()), (Serializer<?>) ctor.newInstance());
      } catch (ReflectiveOperationException ex) {
        throw new IllegalStateException("cannot create serializer for " + e.getKey() + ": " + ex, ex);
      }
    }
    return out;
  }

  private static Class<?> loadClass(String name) {
    try {
      return Class.forName(name, false, KryoPekkoSerializer.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("registered class not found: " + name, e);
    }
  }

  /**
   * Resolves every implementation of ActorRef, List and Map to the one registration of the
   * interface, so that registration stays required for everything else.
   */
  private static final class PolymorphicResolver extends DefaultClassResolver {
    @Override
    public Registration getRegistration(Class type) {
      Registration r = super.getRegistration(type);
      if (r != null) return r;
      if (ActorRef.class.isAssignableFrom(type)) return super.getRegistration(ActorRef.class);
      if (List.class.isAssignableFrom(type)) return super.getRegistration(List.class);
      if (Map.class.isAssignableFrom(type)) return super.getRegistration(Map.class);
      if (ByteBuf.class.isAssignableFrom(type)) return super.getRegistration(ByteBuf.class);
      return null;
    }
  }

  private static final class UuidSerializer extends Serializer<UUID> {
    UuidSerializer() {
      super(false, true);
    }

    @Override
    public void write(Kryo kryo, Output out, UUID u) {
      out.writeLong(u.getMostSignificantBits());
      out.writeLong(u.getLeastSignificantBits());
    }

    @Override
    public UUID read(Kryo kryo, Input in, Class<? extends UUID> type) {
      return new UUID(in.readLong(), in.readLong());
    }
  }

  @SuppressWarnings("rawtypes")
  private static final class ActorRefSerializer extends Serializer<ActorRef> {
    private final ActorRefResolver resolver;

    ActorRefSerializer(ActorRefResolver resolver) {
      super(false, true);
      this.resolver = resolver;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void write(Kryo kryo, Output out, ActorRef ref) {
      if (resolver == null) throw new KryoException("no actor system: cannot serialize ActorRef");
      out.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef read(Kryo kryo, Input in, Class<? extends ActorRef> type) {
      if (resolver == null) throw new KryoException("no actor system: cannot deserialize ActorRef");
      return resolver.resolveActorRef(in.readString());
    }
  }

  private static final class ByteBufSerializer extends Serializer<ByteBuf> {
    ByteBufSerializer() {
      super(false, true);
    }

    @Override
    public void write(Kryo kryo, Output out, ByteBuf buf) {
      out.writeVarInt(buf.readableBytes(), true);
      byte[] bytes = new byte[buf.readableBytes()];
      buf.getBytes(buf.readerIndex(), bytes);
      out.writeBytes(bytes);
    }

    @Override
    public ByteBuf read(Kryo kryo, Input in, Class<? extends ByteBuf> type) {
      return Unpooled.wrappedBuffer(in.readBytes(in.readVarInt(true)));
    }
  }

  @SuppressWarnings("rawtypes")
  private static final class ListSerializer extends Serializer<List> {
    ListSerializer() {
      super(false, true);
    }

    @Override
    public void write(Kryo kryo, Output out, List list) {
      out.writeVarInt(list.size(), true);
      for (Object o : list) kryo.writeClassAndObject(out, o);
    }

    @Override
    public List read(Kryo kryo, Input in, Class<? extends List> type) {
      int n = in.readVarInt(true);
      List<Object> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) list.add(kryo.readClassAndObject(in));
      return List.copyOf(list);
    }
  }

  @SuppressWarnings("rawtypes")
  private static final class MapSerializer extends Serializer<Map> {
    MapSerializer() {
      super(false, true);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void write(Kryo kryo, Output out, Map map) {
      out.writeVarInt(map.size(), true);
      for (Map.Entry e : (java.util.Set<Map.Entry>) map.entrySet()) {
        kryo.writeClassAndObject(out, e.getKey());
        kryo.writeClassAndObject(out, e.getValue());
      }
    }

    @Override
    public Map read(Kryo kryo, Input in, Class<? extends Map> type) {
      int n = in.readVarInt(true);
      Map<Object, Object> map = new java.util.LinkedHashMap<>();
      for (int i = 0; i < n; i++) map.put(kryo.readClassAndObject(in), kryo.readClassAndObject(in));
      return java.util.Collections.unmodifiableMap(map);
    }
  }
}
