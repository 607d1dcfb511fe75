package io.cairn.datapath.scsi;

/**
 * An I_T nexus (SAM-5): one initiator port talking to one target port. In iSCSI the initiator
 * port is the initiator name plus the session's ISID, the target port is the target name plus
 * its portal group tag.
 *
 * @param initiatorName iSCSI initiator name (InitiatorName key)
 * @param isid the session's 48-bit ISID
 * @param targetName iSCSI target name (TargetName key)
 * @param portalGroupTag target portal group tag of the portal the session runs on
 */
public record ItNexus(String initiatorName, long isid, String targetName, int portalGroupTag) {

  /** Initiator port name as SPC-4 formats it for iSCSI: {@code name,i,0x<isid>}. */
  public String initiatorPortName() {
    return initiatorName + ",i,0x" + String.format("%012x", isid);
  }
}
