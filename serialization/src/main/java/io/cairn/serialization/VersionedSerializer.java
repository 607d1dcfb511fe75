package io.cairn.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * Hand-written serializer for persisted types: writes a format version (varint) before the body so
 * that journals written by older code stay readable. Subclasses write the current version and read
 * every version they have ever written. Immutable and stateless, hence shareable across Kryo instances.
 *
 * @param <T> the serialized type
 */
public abstract class VersionedSerializer<T> extends Serializer<T> {

  protected VersionedSerializer() {
    super(false, true);
  }

  /** The version {@link #writeBody} writes. */
  protected abstract int currentVersion();

  protected abstract void writeBody(Kryo kryo, Output out, T value);

  /** Reads a body written with {@code version}. */
  protected abstract T readBody(Kryo kryo, Input in, int version);

  @Override
  public final void write(Kryo kryo, Output output, T object) {
    output.writeVarInt(currentVersion(), true);
    writeBody(kryo, output, object);
  }

  @Override
  public final T read(Kryo kryo, Input input, Class<? extends T> type) {
    int version = input.readVarInt(true);
    if (version < 1 || version > currentVersion()) {
      throw new KryoException("unknown format version " + version + " of " + type.getName());
    }
    return readBody(kryo, input, version);
  }
}
