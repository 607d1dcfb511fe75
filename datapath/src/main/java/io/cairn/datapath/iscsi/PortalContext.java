package io.cairn.datapath.iscsi;

import io.cairn.config.IscsiSettings;
import io.cairn.datapath.iscsi.login.LoginStateMachine;
import io.cairn.datapath.iscsi.login.SecurityNegotiator;
import io.cairn.datapath.iscsi.negotiation.TargetOffer;
import io.cairn.datapath.scsi.ScsiService;
import io.cairn.datapath.target.TargetCatalog;

/** What every connection of one portal shares. Immutable apart from the counters and registry, which are thread-safe. */
record PortalContext(
    IscsiSettings settings,
    TargetCatalog catalog,
    ScsiService scsi,
    int portalGroupTag,
    PortalLimits limits,
    PortalCounters counters,
    SessionRegistry registry,
    LoginStateMachine.Config loginConfig) {

  static PortalContext create(IscsiSettings settings, TargetCatalog catalog, ScsiService scsi, int portalGroupTag,
      PortalLimits limits, SecurityNegotiator.Factory security) {
    SessionRegistry registry = new SessionRegistry();
    LoginStateMachine.Config login = new LoginStateMachine.Config(
        TargetOffer.from(settings), catalog, portalGroupTag, limits.maxTextBytes(), security, registry::exists);
    return new PortalContext(settings, catalog, scsi, portalGroupTag, limits, new PortalCounters(), registry, login);
  }
}
