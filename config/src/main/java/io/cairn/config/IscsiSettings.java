package io.cairn.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The iSCSI portal and the values the target offers in login negotiation (RFC 7143 section 13).
 *
 * @param host portal bind address
 * @param port portal TCP port
 * @param iqnPrefix IQN prefix of exported targets
 * @param ioThreads Netty event-loop threads (0 = one per core)
 * @param maxRecvDataSegmentLength largest data segment the target receives, bytes
 * @param maxBurstLength largest solicited or unsolicited sequence, bytes
 * @param firstBurstLength largest unsolicited data per command, bytes
 * @param maxOutstandingR2t R2Ts the target keeps open per task
 * @param immediateData whether the target accepts immediate data
 * @param initialR2t whether the target requires an R2T before any unsolicited data
 * @param headerDigests header digests accepted, in preference order
 * @param dataDigests data digests accepted, in preference order
 * @param loginTimeout time a connection may stay in the login phase
 * @param maxCmdWindow commands a session may have queued (MaxCmdSN - ExpCmdSN + 1)
 * @param nopInInterval idle time before the target pings with NOP-In (zero = off)
 * @param portalGroupTag target portal group tag of the portal at {@code host:port} (1-65535)
 * @param additionalPortals further portals of this node (multipath), each its own listening socket
 *     and target portal group; every target is exported on every portal
 * @param discoveryChap CHAP required of discovery sessions, or {@link Chap#NONE} (discovery open)
 */
public record IscsiSettings(
    String host,
    int port,
    String iqnPrefix,
    int ioThreads,
    int maxRecvDataSegmentLength,
    int maxBurstLength,
    int firstBurstLength,
    int maxOutstandingR2t,
    boolean immediateData,
    boolean initialR2t,
    List<String> headerDigests,
    List<String> dataDigests,
    Duration loginTimeout,
    int maxCmdWindow,
    Duration nopInInterval,
    int portalGroupTag,
    List<Portal> additionalPortals,
    Chap discoveryChap) {

  /**
   * One additional portal: {@code host:port} with its target portal group tag.
   *
   * @param host bind address (a wildcard address lists the connection's local address in SendTargets)
   * @param port TCP port (0 = ephemeral)
   * @param portalGroupTag target portal group tag, unique among the node's portals
   */
  public record Portal(String host, int port, int portalGroupTag) {}

  /**
   * CHAP credentials from the configuration; empty strings mean unset. The secrets never appear in
   * {@link #toString()}.
   *
   * @param user CHAP name an initiator must present ({@code ""} = no CHAP)
   * @param secret its secret
   * @param mutualUser the target's own CHAP name for mutual CHAP ({@code ""} = none)
   * @param mutualSecret the target's secret for mutual CHAP
   */
  public record Chap(String user, String secret, String mutualUser, String mutualSecret) {
    public static final Chap NONE = new Chap("", "", "", "");

    public boolean enabled() {
      return !user.isEmpty();
    }

    public boolean mutual() {
      return !mutualUser.isEmpty();
    }

    @Override
    public String toString() {
      return "Chap[user=" + user + ", mutualUser=" + mutualUser + ", secrets=<redacted>]";
    }
  }

  /** Settings with one portal (tag 1) and open discovery. */
  public IscsiSettings(String host, int port, String iqnPrefix, int ioThreads, int maxRecvDataSegmentLength,
      int maxBurstLength, int firstBurstLength, int maxOutstandingR2t, boolean immediateData, boolean initialR2t,
      List<String> headerDigests, List<String> dataDigests, Duration loginTimeout, int maxCmdWindow,
      Duration nopInInterval) {
    this(host, port, iqnPrefix, ioThreads, maxRecvDataSegmentLength, maxBurstLength, firstBurstLength,
        maxOutstandingR2t, immediateData, initialR2t, headerDigests, dataDigests, loginTimeout, maxCmdWindow,
        nopInInterval, 1, List.of(), Chap.NONE);
  }

  /** The same settings with other additional portals. */
  public IscsiSettings withAdditionalPortals(List<Portal> portals) {
    return new IscsiSettings(host, port, iqnPrefix, ioThreads, maxRecvDataSegmentLength, maxBurstLength,
        firstBurstLength, maxOutstandingR2t, immediateData, initialR2t, headerDigests, dataDigests, loginTimeout,
        maxCmdWindow, nopInInterval, portalGroupTag, portals, discoveryChap);
  }

  /** RFC 7143 bounds for the data-length keys: 512 to 2^24 - 1. */
  private static final long MIN_LENGTH = 512;
  private static final long MAX_LENGTH = (1 << 24) - 1;

  public static IscsiSettings from(Config c) {
    int mrdsl = (int) Checks.between("iscsi.max-recv-data-segment-length", c.getInt("max-recv-data-segment-length"), MIN_LENGTH, MAX_LENGTH);
    int mbl = (int) Checks.between("iscsi.max-burst-length", c.getInt("max-burst-length"), MIN_LENGTH, MAX_LENGTH);
    int fbl = (int) Checks.between("iscsi.first-burst-length", c.getInt("first-burst-length"), MIN_LENGTH, MAX_LENGTH);
    if (fbl > mbl) throw new SettingsException("iscsi.first-burst-length", "must not exceed max-burst-length");
    List<String> hd = digests("iscsi.header-digest", c.getStringList("header-digest"));
    List<String> dd = digests("iscsi.data-digest", c.getStringList("data-digest"));
    String prefix = c.getString("iqn-prefix");
    if (!prefix.matches("iqn\\.\\d{4}-\\d{2}\\.[a-z0-9.-]+(:[^\\s]*)?")) {
      throw new SettingsException("iscsi.iqn-prefix", "must look like iqn.YYYY-MM.reversed.domain, was '" + prefix + "'");
    }
    return new IscsiSettings(
        c.getString("host"),
        Checks.port("iscsi.port", c.getInt("port")),
        prefix,
        (int) Checks.between("iscsi.io-threads", c.getInt("io-threads"), 0, 256),
        mrdsl, mbl, fbl,
        (int) Checks.between("iscsi.max-outstanding-r2t", c.getInt("max-outstanding-r2t"), 1, 65535),
        c.getBoolean("immediate-data"),
        c.getBoolean("initial-r2t"),
        hd, dd,
        c.getDuration("login-timeout"),
        (int) Checks.between("iscsi.max-cmd-window", c.getInt("max-cmd-window"), 1, 1 << 20),
        c.getDuration("nop-in-interval"),
        tag("iscsi.portal-group-tag", c.getInt("portal-group-tag")),
        portals(c),
        chap(c.getConfig("discovery-chap")));
  }

  private static int tag(String path, int value) {
    return (int) Checks.between(path, value, 1, 65535);
  }

  /**
   * {@code additional-portals}: strings {@code HOST:PORT[,TAG]} ({@code [v6]:PORT} for IPv6); a
   * portal without a tag gets the next free one. Tags and addresses must be unique.
   */
  private static List<Portal> portals(Config c) {
    String path = "iscsi.additional-portals";
    List<Portal> out = new ArrayList<>();
    Set<Integer> tags = new HashSet<>();
    Set<String> addresses = new HashSet<>();
    tags.add(c.getInt("portal-group-tag"));
    addresses.add(c.getString("host") + ":" + c.getInt("port"));
    for (String spec : c.getStringList("additional-portals")) {
      Matcher m = PORTAL.matcher(spec.trim());
      if (!m.matches()) throw new SettingsException(path, "'" + spec + "' is not HOST:PORT[,TAG]");
      String host = m.group(1) != null ? m.group(1) : m.group(2);
      int port = Checks.port(path, Integer.parseInt(m.group(3)));
      int tag;
      if (m.group(4) != null) {
        tag = tag(path, Integer.parseInt(m.group(4)));
      } else {
        tag = 1;
        while (tags.contains(tag)) tag++;
      }
      if (!tags.add(tag)) throw new SettingsException(path, "portal group tag " + tag + " is used twice");
      if (port != 0 && !addresses.add(host + ":" + port)) {
        throw new SettingsException(path, "portal " + host + ":" + port + " is listed twice");
      }
      out.add(new Portal(host, port, tag));
    }
    return List.copyOf(out);
  }

  private static final Pattern PORTAL = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)\\]|([^:\\[\\],]+)):(\\d{1,5})(?:,(\\d{1,5}))?");

  /** {@code discovery-chap}: user and secret both set or both empty; mutual likewise, and only with CHAP. */
  private static Chap chap(Config c) {
    String path = "iscsi.discovery-chap";
    Chap chap = new Chap(c.getString("user"), c.getString("secret"), c.getString("mutual-user"),
        c.getString("mutual-secret"));
    if (chap.user().isEmpty() != chap.secret().isEmpty()) {
      throw new SettingsException(path, "user and secret must both be set or both be empty");
    }
    if (chap.mutualUser().isEmpty() != chap.mutualSecret().isEmpty()) {
      throw new SettingsException(path, "mutual-user and mutual-secret must both be set or both be empty");
    }
    if (chap.mutual() && !chap.enabled()) throw new SettingsException(path, "mutual CHAP needs user and secret");
    if (chap.enabled() && (chap.secret().length() < 12 || chap.secret().length() > 255)) {
      throw new SettingsException(path, "secret must be 12 to 255 characters");
    }
    if (chap.mutual() && (chap.mutualSecret().length() < 12 || chap.mutualSecret().length() > 255)) {
      throw new SettingsException(path, "mutual-secret must be 12 to 255 characters");
    }
    if (chap.mutual() && chap.mutualSecret().equals(chap.secret())) {
      throw new SettingsException(path, "mutual-secret must differ from secret");
    }
    return chap;
  }

  private static List<String> digests(String path, List<String> values) {
    if (values.isEmpty()) throw new SettingsException(path, "must name at least one of None, CRC32C");
    for (String v : values) {
      if (!v.equals("None") && !v.equals("CRC32C")) {
        throw new SettingsException(path, "unknown digest '" + v + "' (None or CRC32C)");
      }
    }
    return List.copyOf(values);
  }
}
