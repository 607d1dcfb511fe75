package io.cairn.datapath.extentstore;

import io.cairn.config.DiskHealthSettings;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.LongSupplier;

/**
 * The health state of each disk of a node (the Hades role's bookkeeping) and its rules:
 *
 * <ul>
 *   <li>A disk taken offline (an I/O error, an I/O unanswered within {@code io-timeout}) is
 *       {@link State#OFFLINE}: it is probed and comes back {@link State#ONLINE} when a probe passes.
 *   <li>Taken offline {@code offline-limit} times within {@code offline-window}, it is {@link
 *       State#HELD}: offline until an operator clears it, whatever its probes say.
 *   <li>An operator may mark a disk for removal: {@link State#REMOVING} while its replicas are
 *       moved to other disks (it takes no new ones), {@link State#REMOVED} once it holds none.
 * </ul>
 *
 * Every state but {@code ONLINE} means the disk's replicas count as lost for re-protection. The
 * states an operator must act on (held, removing, removed) survive a restart: they are kept in a
 * small properties file of the node's data directory (written atomically); offline ones do not,
 * since a restart opens and checks every disk again. Thread-safe.
 */
public final class DiskHealth {

  /** A disk's health. */
  public enum State {
    ONLINE, OFFLINE, HELD, REMOVING, REMOVED;

    /** The name the API and the node directory use. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the disk serves I/O and takes new replicas. */
    public boolean placeable() {
      return this == ONLINE;
    }
  }

  /**
   * One disk's health.
   *
   * @param diskId the disk
   * @param state its state
   * @param reason why it is in that state (the last error, "operator", ...), empty when online
   * @param offlinesInWindow times it was taken offline within the offline window
   * @param sinceMs when it entered the state (epoch ms)
   */
  public record Status(String diskId, State state, String reason, int offlinesInWindow, long sinceMs) {}

  private static final class Entry {
    State state = State.ONLINE;
    String reason = "";
    long sinceMs;
    final Deque<Long> offlines = new ArrayDeque<>();
  }

  private final DiskHealthSettings settings;
  private final Path stateFile;
  private final LongSupplier clockMs;
  private final Map<String, Entry> disks = new LinkedHashMap<>();

  /**
   * The health of {@code diskIds}, with the held and removal states {@code stateFile} kept (null:
   * nothing is kept across restarts).
   */
  public DiskHealth(List<String> diskIds, DiskHealthSettings settings, Path stateFile, LongSupplier clockMs) {
    this.settings = settings;
    this.stateFile = stateFile;
    this.clockMs = clockMs;
    long now = clockMs.getAsLong();
    for (String id : diskIds) {
      Entry e = new Entry();
      e.sinceMs = now;
      disks.put(id, e);
    }
    load();
  }

  /** The state of disk {@code diskId}. */
  public synchronized State state(String diskId) {
    return entry(diskId).state;
  }

  /** Every disk's status, in configuration order. */
  public synchronized List<Status> statuses() {
    long now = clockMs.getAsLong();
    List<Status> out = new ArrayList<>();
    for (Map.Entry<String, Entry> e : disks.entrySet()) {
      Entry d = e.getValue();
      prune(d, now);
      out.add(new Status(e.getKey(), d.state, d.reason, d.offlines.size(), d.sinceMs));
    }
    return out;
  }

  /**
   * The disk was taken offline for {@code reason}. Counts it against the offline limit; returns
   * the new state: {@code OFFLINE} (probe it), {@code HELD} (the limit is reached: leave it to an
   * operator), or the removal state it was in (a disk being removed stays so).
   */
  public synchronized State wentOffline(String diskId, String reason) {
    Entry d = entry(diskId);
    long now = clockMs.getAsLong();
    prune(d, now);
    d.offlines.addLast(now);
    if (d.state == State.REMOVING || d.state == State.REMOVED) return d.state;
    State next = d.offlines.size() >= settings.offlineLimit() ? State.HELD : State.OFFLINE;
    set(d, next, next == State.HELD
        ? reason + " (offline " + d.offlines.size() + " times within " + settings.offlineWindow() + ": held for an operator)"
        : reason, now);
    return next;
  }

  /** A probe of the disk passed: an {@code OFFLINE} disk is {@code ONLINE} again (true); any other state stays. */
  public synchronized boolean probePassed(String diskId) {
    Entry d = entry(diskId);
    if (d.state != State.OFFLINE) return false;
    set(d, State.ONLINE, "", clockMs.getAsLong());
    return true;
  }

  /**
   * An operator cleared the disk: whatever its state, it is {@code ONLINE} again with no offline
   * history (a removal is cancelled). The caller probes it first. Returns the state it left.
   */
  public synchronized State clear(String diskId) {
    Entry d = entry(diskId);
    State was = d.state;
    d.offlines.clear();
    set(d, State.ONLINE, "", clockMs.getAsLong());
    return was;
  }

  /** An operator marked the disk for removal; returns false when it is already removing or removed. */
  public synchronized boolean remove(String diskId) {
    Entry d = entry(diskId);
    if (d.state == State.REMOVING || d.state == State.REMOVED) return false;
    set(d, State.REMOVING, "operator", clockMs.getAsLong());
    return true;
  }

  /** A disk being removed holds no replica any more: it is {@code REMOVED} (true), or was not removing. */
  public synchronized boolean removalDone(String diskId) {
    Entry d = entry(diskId);
    if (d.state != State.REMOVING) return false;
    set(d, State.REMOVED, "operator; every replica moved off", clockMs.getAsLong());
    return true;
  }

  private Entry entry(String diskId) {
    Entry d = disks.get(diskId);
    if (d == null) throw new IllegalArgumentException("no disk '" + diskId + "' on this node");
    return d;
  }

  private void prune(Entry d, long now) {
    long from = now - settings.offlineWindow().toMillis();
    while (!d.offlines.isEmpty() && d.offlines.peekFirst() <= from) d.offlines.removeFirst();
  }

  private void set(Entry d, State state, String reason, long now) {
    boolean kept = persisted(d.state) || persisted(state);
    d.state = state;
    d.reason = reason;
    d.sinceMs = now;
    if (kept) save();
  }

  private static boolean persisted(State s) {
    return s == State.HELD || s == State.REMOVING || s == State.REMOVED;
  }

  // ---- the state file ------------------------------------------------------------------------------

  private void load() {
    if (stateFile == null || !Files.exists(stateFile)) return;
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(stateFile, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the disk health file " + stateFile, e);
    }
    for (Map.Entry<String, Entry> e : disks.entrySet()) {
      String state = p.getProperty(e.getKey() + ".state");
      if (state == null) continue;
      Entry d = e.getValue();
      try {
        d.state = State.valueOf(state.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException bad) {
        throw new IllegalStateException("disk health file " + stateFile + ": disk " + e.getKey() + " has unknown state '"
            + state + "'");
      }
      d.reason = p.getProperty(e.getKey() + ".reason", "");
      d.sinceMs = Long.parseLong(p.getProperty(e.getKey() + ".since", Long.toString(d.sinceMs)));
    }
  }

  private void save() {
    if (stateFile == null) return;
    Properties p = new Properties();
    for (Map.Entry<String, Entry> e : disks.entrySet()) {
      Entry d = e.getValue();
      if (!persisted(d.state)) continue;
      p.setProperty(e.getKey() + ".state", d.state.label());
      p.setProperty(e.getKey() + ".reason", d.reason);
      p.setProperty(e.getKey() + ".since", Long.toString(d.sinceMs));
    }
    Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ExtentStoreFormat.TMP_SUFFIX);
    try {
      Files.createDirectories(stateFile.getParent());
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(w, "Cairn disk health: disks held for an operator or being removed");
      }
      Files.move(tmp, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the disk health file " + stateFile, e);
    }
  }
}
