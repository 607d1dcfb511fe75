package io.cairn.datapath.oplog;

import java.util.List;

/**
 * One page of a vDisk's live replica records, in write-sequence order.
 *
 * @param records the records whose bytes verified
 * @param unreadable write sequences of live records whose stored bytes failed their checksum (not
 *     in {@code records}); the caller must find those writes elsewhere
 * @param next the write sequence to ask for next, or -1 when there are no more records
 */
public record ReplicaPage(List<ReplicaRecord> records, List<Long> unreadable, long next) {
  public ReplicaPage {
    records = List.copyOf(records);
    unreadable = List.copyOf(unreadable);
  }
}
