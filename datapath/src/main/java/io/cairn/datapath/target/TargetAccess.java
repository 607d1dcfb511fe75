package io.cairn.datapath.target;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who may reach a target (a volume group) and how they authenticate: the initiator allow-list
 * and the CHAP credentials of RFC 7143 section 12.1.3.
 *
 * <ul>
 *   <li>{@code initiators}: the initiator names (IQN or EUI, compared case-insensitively as RFC 3722
 *       normalizes them) that may discover and log in to the target; <b>empty means any initiator</b>.
 *       An initiator not on a non-empty list does not see the target in SendTargets and its login
 *       ends with status 0202h (authorization failure).
 *   <li>{@code chap}: when set, every login must authenticate with CHAP under this name and secret
 *       (a login offering only AuthMethod=None, or skipping the security stage, ends with 0201h).
 *   <li>{@code mutualChap}: the target's own name and secret, used when the initiator asks the
 *       target to authenticate itself (mutual CHAP); only meaningful with {@code chap}.
 * </ul>
 *
 * <p>Immutable; {@link TargetInfo} carries one, read on every login and SendTargets.
 *
 * @param initiators allowed initiator names, lower-cased; empty = open
 * @param chap credentials initiators must present, or null for no authentication
 * @param mutualChap credentials the target presents for mutual CHAP, or null
 */
public record TargetAccess(Set<String> initiators, ChapCredentials chap, ChapCredentials mutualChap) {

  /** Any initiator, no authentication. */
  public static final TargetAccess OPEN = new TargetAccess(Set.of(), null, null);

  public TargetAccess {
    initiators = initiators.stream().map(TargetAccess::normalize).collect(Collectors.toUnmodifiableSet());
    if (mutualChap != null && chap == null) throw new IllegalArgumentException("mutual CHAP needs initiator CHAP");
    if (chap != null && chap.sameSecret(mutualChap)) {
      throw new IllegalArgumentException("the mutual CHAP secret must differ from the initiator CHAP secret");
    }
  }

  /** Whether this initiator may see and log in to the target. */
  public boolean allows(String initiatorName) {
    return initiators.isEmpty() || (initiatorName != null && initiators.contains(normalize(initiatorName)));
  }

  /** Whether logins must authenticate with CHAP. */
  public boolean requiresChap() {
    return chap != null;
  }

  /** iSCSI names compare after RFC 3722 normalization; for the ASCII names in use that is lower-casing. */
  public static String normalize(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
