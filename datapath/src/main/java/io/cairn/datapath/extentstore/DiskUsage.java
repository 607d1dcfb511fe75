package io.cairn.datapath.extentstore;

/**
 * One disk's figures.
 *
 * @param diskId disk id
 * @param tier "ssd" or "hdd"
 * @param path directory of the disk
 * @param capacityBytes configured capacity
 * @param usedBytes bytes allocated to extent groups on it (physical, thin)
 * @param egroups extent group replicas on it
 * @param online whether the disk is serving I/O
 */
public record DiskUsage(String diskId, String tier, String path, long capacityBytes, long usedBytes, long egroups, boolean online) {}
