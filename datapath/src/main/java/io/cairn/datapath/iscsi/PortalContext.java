package io.cairn.datapath.iscsi;

import io.cairn.config.IscsiSettings;
import io.cairn.datapath.iscsi.login.LoginStateMachine;
import io.cairn.datapath.iscsi.login.SecurityNegotiator;
import io.cairn.datapath.iscsi.negotiation.TargetOffer;
import io.cairn.datapath.scsi.ScsiService;
import io.cairn.datapath.target.TargetCatalog;

/**
 * What every connection of one portal (one listening socket, one target portal group) shares.
 * The counters, the session registry and the portal list are shared by all portals of the node and
 * are thread-safe; the rest is immutable.
 */
record PortalContext(
    IscsiSettings settings,
    TargetCatalog catalog,
    ScsiService scsi,
    int portalGroupTag,
    PortalLimits limits,
    PortalCounters counters,
    SessionRegistry registry,
    PortalList portals,
    LoginStateMachine.Config loginConfig) {

  static PortalContext create(IscsiSettings settings, TargetCatalog catalog, ScsiService scsi, int portalGroupTag,
      PortalLimits limits, SecurityNegotiator.Factory security, PortalCounters counters, SessionRegistry registry,
      PortalList portals) {
    LoginStateMachine.Config login = new LoginStateMachine.Config(
        TargetOffer.from(settings), catalog, portalGroupTag, limits.maxTextBytes(), security, registry::exists);
    return new PortalContext(settings, catalog, scsi, portalGroupTag, limits, counters, registry, portals, login);
  }
}
