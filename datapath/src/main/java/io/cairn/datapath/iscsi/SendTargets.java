package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.iscsi.negotiation.Negotiation;
import io.cairn.datapath.iscsi.negotiation.OperationalNegotiator;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers the keys of a full-feature Text Request (RFC 7143 section 13.3 and Appendix C):
 * SendTargets lists TargetName and one TargetAddress ({@code address:port,tpgt}) per portal of the
 * node for every target of the catalog ({@code All}), for one named target, or, when empty, for
 * the session's own target. A target whose allow-list does not admit the session's initiator is
 * never listed. Operational keys cannot be renegotiated here (Reject); anything else is
 * NotUnderstood.
 */
final class SendTargets {

  static final String SEND_TARGETS = "SendTargets";
  static final String TARGET_NAME = "TargetName";
  static final String TARGET_ADDRESS = "TargetAddress";

  private final TargetCatalog catalog;
  private final List<String> addresses;
  private final String initiatorName;
  private final String sessionTarget;

  /**
   * @param local the address the initiator reached this portal on
   * @param portalGroupTag the tag of that portal
   * @param initiatorName the session's initiator
   * @param sessionTarget the session's target name, or null in a discovery session
   */
  SendTargets(TargetCatalog catalog, PortalList portals, InetSocketAddress local, int portalGroupTag,
      String initiatorName, String sessionTarget) {
    this.catalog = catalog;
    this.addresses = portals.targetAddresses(local, portalGroupTag);
    this.initiatorName = initiatorName;
    this.sessionTarget = sessionTarget;
  }

  List<KeyValue> respond(List<KeyValue> keys) {
    List<KeyValue> out = new ArrayList<>();
    for (KeyValue kv : keys) {
      if (kv.key().equals(SEND_TARGETS)) {
        String v = kv.value();
        if (v.equals("All") || (v.isEmpty() && sessionTarget == null)) {
          for (TargetInfo t : catalog.targets()) describe(t, out);
        } else {
          catalog.target(v.isEmpty() ? sessionTarget : v).ifPresent(t -> describe(t, out));
        }
      } else if (OperationalNegotiator.handles(kv.key())) {
        out.add(new KeyValue(kv.key(), Negotiation.REJECT));
      } else {
        out.add(new KeyValue(kv.key(), Negotiation.NOT_UNDERSTOOD));
      }
    }
    return out;
  }

  private void describe(TargetInfo t, List<KeyValue> out) {
    if (!t.access().allows(initiatorName)) return;
    out.add(new KeyValue(TARGET_NAME, t.iqn()));
    for (String a : addresses) out.add(new KeyValue(TARGET_ADDRESS, a));
  }
}
