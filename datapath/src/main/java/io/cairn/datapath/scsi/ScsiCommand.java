package io.cairn.datapath.scsi;

import io.netty.buffer.ByteBuf;

/**
 * One SCSI command as the transport hands it to the SCSI layer, with all its Data-Out
 * already received.
 *
 * @param lun the LUN number addressed (decoded from the 8-byte LUN field, SAM-5 flat or
 *     peripheral addressing)
 * @param cdb the command descriptor block, exactly as long as the CDB's group code says (the
 *     transport trims the 16-byte BHS field; longer CDBs come from an extended-CDB AHS)
 * @param expectedDataTransferLength the initiator's Expected Data Transfer Length, bytes
 * @param read whether the initiator expects Data-In (R bit)
 * @param write whether the initiator sends Data-Out (W bit)
 * @param taskTag the initiator task tag, unique among the nexus's outstanding tasks
 * @param taskAttribute SAM task attribute: 0 untagged, 1 simple, 2 ordered, 3 head of queue, 4 ACA
 * @param dataOut every Data-Out byte received for the command, or {@code null} when none; owned
 *     by the SCSI layer once passed to {@link ScsiService#execute}, which releases it
 */
public record ScsiCommand(
    int lun,
    byte[] cdb,
    int expectedDataTransferLength,
    boolean read,
    boolean write,
    int taskTag,
    int taskAttribute,
    ByteBuf dataOut) {

  /** The operation code. */
  public int opcode() {
    return cdb[0] & 0xff;
  }

  /** Bytes of Data-Out received. */
  public int dataOutLength() {
    return dataOut == null ? 0 : dataOut.readableBytes();
  }
}
