package io.cairn.serialization;

/**
 * Marker for every message, event and snapshot that may leave the JVM or reach the journal. Bound
 * to {@link KryoPekkoSerializer} in this module's {@code reference.conf}; each concrete class also
 * needs a registration id under {@code cairn.serialization.registrations} (ids are forever: a
 * persisted event's id and serializer never change meaning).
 */
public interface CairnSerializable {}
