package io.cairn.actors.egroup;

import io.cairn.serialization.CairnSerializable;

/** Where one replica of an extent group lives. @param nodeId the node @param diskId its disk */
public record Replica(String nodeId, String diskId) implements CairnSerializable {}
