package io.cairn.datapath.iscsi;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The portals of one node (multipath: each its own listening socket and target portal group), as
 * SendTargets reports them. Filled once every socket is bound; read from any event loop.
 */
final class PortalList {

  /**
   * One bound portal.
   *
   * @param address the address it is bound to (possibly a wildcard)
   * @param port the bound TCP port
   * @param portalGroupTag its target portal group tag
   */
  record Endpoint(InetAddress address, int port, int portalGroupTag) {}

  private volatile List<Endpoint> endpoints = List.of();

  void set(List<Endpoint> bound) {
    endpoints = List.copyOf(bound);
  }

  List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * The TargetAddress values ({@code address:port,tag}, RFC 7143 Appendix C) of every portal, the
   * one the connection arrived on first. A portal bound to a wildcard address is reported with
   * the address the initiator reached this node on.
   *
   * @param local the connection's local address
   * @param arrivedOn the tag of the portal the connection arrived on
   */
  List<String> targetAddresses(InetSocketAddress local, int arrivedOn) {
    List<String> first = new ArrayList<>(1);
    List<String> others = new ArrayList<>();
    for (Endpoint e : endpoints) {
      InetAddress a = e.address() == null || e.address().isAnyLocalAddress() ? local.getAddress() : e.address();
      String value = format(a, e.port()) + "," + e.portalGroupTag();
      (e.portalGroupTag() == arrivedOn ? first : others).add(value);
    }
    if (first.isEmpty()) first.add(format(local.getAddress(), local.getPort()) + "," + arrivedOn);
    first.addAll(others);
    return first;
  }

  static String format(InetAddress address, int port) {
    String host = address.getHostAddress();
    if (address instanceof Inet6Address) {
      int zone = host.indexOf('%');
      host = "[" + (zone >= 0 ? host.substring(0, zone) : host) + "]";
    }
    return host + ":" + port;
  }
}
