package io.cairn.datapath.scsi.reservation;

import io.cairn.datapath.scsi.ItNexus;
import java.util.Objects;

/**
 * One registered reservation key (SPC-4 5.12.7): the I_T nexus that registered it and whether the
 * registration covers the initiator port on every target port of the target (ALL_TG_PT = 1).
 *
 * @param nexus the I_T nexus the PERSISTENT RESERVE OUT was received on (for an ALL_TG_PT
 *     registration, its portal group tag only records where it came from)
 * @param allTargetPorts registered with ALL_TG_PT = 1: every I_T nexus of this initiator port to
 *     this target is registered
 * @param key the reservation key, never 0 (a key of 0 means "not registered")
 */
public record Registration(ItNexus nexus, boolean allTargetPorts, long key) {

  public Registration {
    Objects.requireNonNull(nexus, "nexus");
    if (key == 0) throw new IllegalArgumentException("a registration's key is never 0");
  }

  /** Whether commands on {@code n} act through this registration. */
  public boolean matches(ItNexus n) {
    if (nexus.equals(n)) return true;
    return allTargetPorts && nexus.isid() == n.isid() && nexus.initiatorName().equals(n.initiatorName())
        && nexus.targetName().equals(n.targetName());
  }

  Registration withKey(long newKey) {
    return new Registration(nexus, allTargetPorts, newKey);
  }
}
