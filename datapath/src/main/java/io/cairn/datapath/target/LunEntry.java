package io.cairn.datapath.target;

import io.cairn.datapath.vdisk.VDiskIo;

/** One LUN of a target: its number, its description and the handle that performs its I/O. */
public record LunEntry(int lun, LunInfo info, VDiskIo io) {}
