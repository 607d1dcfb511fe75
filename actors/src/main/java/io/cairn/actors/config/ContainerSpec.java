package io.cairn.actors.config;

import io.cairn.serialization.CairnSerializable;

/**
 * A policy scope of the storage pool.
 *
 * @param id cluster-unique id
 * @param name operator-given name
 * @param replicationFactor copies of every byte (1-3)
 */
public record ContainerSpec(long id, String name, int replicationFactor) implements CairnSerializable {}
