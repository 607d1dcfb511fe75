package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.login.LoginIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's sessions over all its portals, by TSIH and by session identity (InitiatorName, ISID,
 * TargetName, target portal group tag). Assigns TSIHs (unique on the node) and detects session
 * reinstatement: a new session with the identity of an existing normal session on the same portal
 * group displaces it; the same initiator port may hold a session on each portal group (multipath).
 * Thread-safe; used from every event loop.
 */
final class SessionRegistry {

  private record Key(String initiatorName, long isid, String targetName, int portalGroupTag) {}

  /** A newly registered session and the one it displaced (or null). */
  record Registration(IscsiSession session, IscsiSession displaced) {}

  private final Map<Integer, IscsiSession> byTsih = new ConcurrentHashMap<>();
  private final Map<Key, IscsiSession> byIdentity = new ConcurrentHashMap<>();
  private final AtomicInteger nextTsih = new AtomicInteger(1);

  /** Registers a session that completed login on a portal group, assigning it a free non-zero TSIH. */
  Registration register(LoginIdentity identity, int portalGroupTag, IscsiConnection connection) {
    while (true) {
      int tsih = nextTsih.getAndIncrement() & 0xffff;
      if (tsih == 0 || byTsih.containsKey(tsih)) continue;
      IscsiSession session = new IscsiSession(tsih, identity, portalGroupTag, connection);
      if (byTsih.putIfAbsent(tsih, session) != null) continue;
      IscsiSession displaced = identity.discovery() ? null : byIdentity.put(key(session), session);
      return new Registration(session, displaced);
    }
  }

  /** Removes a session (only itself: never a session that displaced it). */
  void remove(IscsiSession session) {
    byTsih.remove(session.tsih(), session);
    if (!session.identity().discovery()) byIdentity.remove(key(session), session);
  }

  /** The normal sessions logged in to a target, on every portal group, at the moment of the call. */
  List<IscsiSession> sessionsOf(String targetName) {
    List<IscsiSession> out = new ArrayList<>();
    for (IscsiSession s : byTsih.values()) {
      if (!s.identity().discovery() && targetName.equals(s.identity().targetName())) out.add(s);
    }
    return out;
  }

  boolean exists(int tsih) {
    return byTsih.containsKey(tsih);
  }

  int size() {
    return byTsih.size();
  }

  private static Key key(IscsiSession s) {
    LoginIdentity id = s.identity();
    return new Key(id.initiatorName(), id.isid(), Objects.requireNonNull(id.targetName()), s.portalGroupTag());
  }
}
