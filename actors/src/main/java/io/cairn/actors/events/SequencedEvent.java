package io.cairn.actors.events;

/**
 * An event as one node's buffer numbered it: {@code seq} increases by one per event the node
 * received (from 1 at the node's start), so a gap tells a follower it missed events. Node-local:
 * never sent to another node.
 */
public record SequencedEvent(long seq, ClusterEvent event) {}
