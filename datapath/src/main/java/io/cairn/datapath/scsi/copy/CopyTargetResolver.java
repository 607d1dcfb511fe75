package io.cairn.datapath.scsi.copy;

import io.cairn.datapath.scsi.copy.CopyParameterList.Cscd;

/**
 * Finds the logical units an EXTENDED COPY names. Implemented by the SCSI layer over the target
 * catalog; it decides which logical units the copy's I_T nexus may reach.
 */
public interface CopyTargetResolver {

  /** The logical unit whose designator (VPD page 83h) the descriptor gives, or null when none is reachable. */
  CopyTarget resolve(Cscd cscd);

  /** The logical unit the EXTENDED COPY was sent to (CSCD descriptor ID FFFFh). */
  CopyTarget addressed();
}
