package io.cairn.datapath.oplog;

/**
 * OpLog counters.
 *
 * @param undrainedBytes payload bytes appended and not yet drained, all vDisks
 * @param fileBytes bytes held in log files on disk
 * @param files log files on disk
 * @param appends records appended since start
 * @param fsyncs group commits (fsyncs) since start
 * @param drainedBytes payload bytes drained since start
 * @param replayedRecords records recovered at start
 * @param droppedTailRecords torn or corrupt records dropped at start
 */
public record OpLogStats(
    long undrainedBytes,
    long fileBytes,
    int files,
    long appends,
    long fsyncs,
    long drainedBytes,
    long replayedRecords,
    long droppedTailRecords) {}
