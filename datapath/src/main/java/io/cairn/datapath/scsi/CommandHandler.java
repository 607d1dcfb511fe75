package io.cairn.datapath.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * Executes one command of the {@link CommandTable}. Called on the thread that submitted the command
 * (a portal thread), or on the thread that completed the task it waited for (ORDERED tasks).
 *
 * <p>A handler checks its CDB against the spec before any I/O and throws {@link CheckCondition} on
 * the first field in error. It must not block. The returned future completes when the command's
 * work is finished, including every vDisk I/O it started; it completes exceptionally only with a
 * {@link CheckCondition} or a vDisk failure, which the service maps to sense data. Data-In buffers
 * in the response belong to the service from then on.
 */
@FunctionalInterface
interface CommandHandler {

  CompletableFuture<ScsiResponse> execute(CommandContext ctx);
}
