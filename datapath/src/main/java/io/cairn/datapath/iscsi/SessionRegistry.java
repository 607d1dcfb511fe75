package io.cairn.datapath.iscsi;

import io.cairn.datapath.iscsi.login.LoginIdentity;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The portal's sessions, by TSIH and by session identity (InitiatorName, ISID, TargetName, on this
 * portal group). Assigns TSIHs and detects session reinstatement: a new session with the identity
 * of an existing normal session displaces it. Thread-safe; used from every event loop.
 */
final class SessionRegistry {

  private record Key(String initiatorName, long isid, String targetName) {}

  /** A newly registered session and the one it displaced (or null). */
  record Registration(IscsiSession session, IscsiSession displaced) {}

  private final Map<Integer, IscsiSession> byTsih = new ConcurrentHashMap<>();
  private final Map<Key, IscsiSession> byIdentity = new ConcurrentHashMap<>();
  private final AtomicInteger nextTsih = new AtomicInteger(1);

  /** Registers a session that completed login, assigning it a free non-zero TSIH. */
  Registration register(LoginIdentity identity, IscsiConnection connection) {
    while (true) {
      int tsih = nextTsih.getAndIncrement() & 0xffff;
      if (tsih == 0 || byTsih.containsKey(tsih)) continue;
      IscsiSession session = new IscsiSession(tsih, identity, connection);
      if (byTsih.putIfAbsent(tsih, session) != null) continue;
      IscsiSession displaced = identity.discovery() ? null : byIdentity.put(key(identity), session);
      return new Registration(session, displaced);
    }
  }

  /** Removes a session (only itself: never a session that displaced it). */
  void remove(IscsiSession session) {
    byTsih.remove(session.tsih(), session);
    if (!session.identity().discovery()) byIdentity.remove(key(session.identity()), session);
  }

  boolean exists(int tsih) {
    return byTsih.containsKey(tsih);
  }

  int size() {
    return byTsih.size();
  }

  private static Key key(LoginIdentity id) {
    return new Key(id.initiatorName(), id.isid(), Objects.requireNonNull(id.targetName()));
  }
}
