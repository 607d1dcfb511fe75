package io.cairn.datapath.iscsi.login;

/**
 * Who is logging in to what: the declarations of the leading Login Request.
 *
 * @param initiatorName InitiatorName (never null once the first request is processed)
 * @param initiatorAlias InitiatorAlias, or null
 * @param targetName TargetName, or null in a discovery session that did not name one
 * @param discovery SessionType=Discovery
 * @param isid the session's ISID (48 bits)
 */
public record LoginIdentity(String initiatorName, String initiatorAlias, String targetName, boolean discovery, long isid) {}
