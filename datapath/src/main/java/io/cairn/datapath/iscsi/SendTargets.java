package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.iscsi.negotiation.Negotiation;
import io.cairn.datapath.iscsi.negotiation.OperationalNegotiator;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers the keys of a full-feature Text Request (RFC 7143 section 13.3 and Appendix C):
 * SendTargets lists TargetName and TargetAddress ({@code address:port,tpgt}) for every target of
 * the catalog ({@code All}), for one named target, or, when empty, for the session's own target.
 * Operational keys cannot be renegotiated here (Reject); anything else is NotUnderstood.
 */
final class SendTargets {

  static final String SEND_TARGETS = "SendTargets";
  static final String TARGET_NAME = "TargetName";
  static final String TARGET_ADDRESS = "TargetAddress";

  private final TargetCatalog catalog;
  private final String address;
  private final int portalGroupTag;
  private final String sessionTarget;

  /**
   * @param local the address the initiator reached this portal on
   * @param sessionTarget the session's target name, or null in a discovery session
   */
  SendTargets(TargetCatalog catalog, InetSocketAddress local, int portalGroupTag, String sessionTarget) {
    this.catalog = catalog;
    this.address = format(local);
    this.portalGroupTag = portalGroupTag;
    this.sessionTarget = sessionTarget;
  }

  List<KeyValue> respond(List<KeyValue> keys) {
    List<KeyValue> out = new ArrayList<>();
    for (KeyValue kv : keys) {
      if (kv.key().equals(SEND_TARGETS)) {
        String v = kv.value();
        if (v.equals("All") || (v.isEmpty() && sessionTarget == null)) {
          for (TargetInfo t : catalog.targets()) describe(t.iqn(), out);
        } else {
          String name = v.isEmpty() ? sessionTarget : v;
          if (catalog.target(name).isPresent()) describe(name, out);
        }
      } else if (OperationalNegotiator.handles(kv.key())) {
        out.add(new KeyValue(kv.key(), Negotiation.REJECT));
      } else {
        out.add(new KeyValue(kv.key(), Negotiation.NOT_UNDERSTOOD));
      }
    }
    return out;
  }

  private void describe(String iqn, List<KeyValue> out) {
    out.add(new KeyValue(TARGET_NAME, iqn));
    out.add(new KeyValue(TARGET_ADDRESS, address + "," + portalGroupTag));
  }

  static String format(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    if (a.getAddress() instanceof Inet6Address) {
      int zone = host.indexOf('%');
      host = "[" + (zone >= 0 ? host.substring(0, zone) : host) + "]";
    }
    return host + ":" + a.getPort();
  }
}
