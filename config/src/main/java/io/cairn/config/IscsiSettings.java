package io.cairn.config;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

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
    Duration nopInInterval) {

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
        c.getDuration("nop-in-interval"));
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
