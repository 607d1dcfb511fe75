package io.cairn.datapath.iscsi.login;

import io.cairn.datapath.iscsi.negotiation.KeyValue;
import io.cairn.datapath.iscsi.negotiation.KeyValueText;
import io.cairn.datapath.iscsi.negotiation.Negotiation;
import io.cairn.datapath.iscsi.negotiation.NegotiationException;
import io.cairn.datapath.iscsi.negotiation.OperationalNegotiator;
import io.cairn.datapath.iscsi.negotiation.SessionParameters;
import io.cairn.datapath.iscsi.negotiation.TargetOffer;
import io.cairn.datapath.iscsi.negotiation.TextFormatException;
import io.cairn.datapath.iscsi.pdu.LoginPdu;
import io.cairn.datapath.iscsi.pdu.PduDecoder;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * The login phase of one connection (RFC 7143 sections 6.3 and 11.12-11.13), free of I/O: takes
 * Login Requests one at a time and says what to answer.
 *
 * <p>It reassembles text continued over several PDUs (C bit), keeps the stages apart (security
 * negotiation through a {@link SecurityNegotiator}, then operational negotiation through an
 * {@link OperationalNegotiator}), grants stage transitions (T bit, CSG/NSG) only when the current
 * stage is done, and refuses a login with the RFC's status: unsupported version (0205), missing
 * InitiatorName or TargetName (0207), unknown target (0203), a key negotiated twice or a malformed
 * request (0200), an unknown session (020a), a second connection for a session (0206), an initiator
 * the target does not admit (0202) or one that fails or skips required authentication (0201).
 *
 * <p>Not thread-safe: one per connection, called on its event loop.
 */
public final class LoginStateMachine {

  static final String INITIATOR_NAME = "InitiatorName";
  static final String INITIATOR_ALIAS = "InitiatorAlias";
  static final String TARGET_NAME = "TargetName";
  static final String SESSION_TYPE = "SessionType";
  static final String TARGET_ALIAS = "TargetAlias";
  static final String TARGET_ADDRESS = "TargetAddress";
  static final String TARGET_PORTAL_GROUP_TAG = "TargetPortalGroupTag";
  static final String SEND_TARGETS = "SendTargets";

  /** Configuration shared by every login of a portal. */
  public record Config(TargetOffer offer, TargetCatalog catalog, int portalGroupTag, int maxTextBytes,
      SecurityNegotiator.Factory security, IntPredicate sessionExists) {}

  private final Config config;
  private final SecurityNegotiator security;
  private final OperationalNegotiator operational;
  private final ByteArrayOutputStream pendingText = new ByteArrayOutputStream();
  private final Set<String> seenKeys = new HashSet<>();

  private boolean first = true;
  private boolean firstTextProcessed;
  private int stage;
  private long isid;
  private int tsih;
  private int cid;
  private int initialCmdSn;
  private boolean securityDone;
  private String initiatorName;
  private String initiatorAlias;
  private String targetName;
  private boolean discovery;
  private TargetInfo target;

  public LoginStateMachine(Config config) {
    this.config = config;
    this.security = config.security().newNegotiation();
    this.operational = new OperationalNegotiator(config.offer());
  }

  /** Handles one Login Request. */
  public LoginStep onRequest(LoginRequest req) {
    if (first) {
      first = false;
      isid = req.isid();
      tsih = req.tsih();
      cid = req.cid();
      initialCmdSn = req.cmdSn();
      if (req.versionMin() > LoginPdu.VERSION) {
        return LoginStep.fail(req.currentStage(), LoginStatus.UNSUPPORTED_VERSION);
      }
      if (tsih != 0) {
        // A connection joining an existing session: MaxConnections is 1, so never accepted.
        return LoginStep.fail(req.currentStage(), config.sessionExists().test(tsih)
            ? LoginStatus.TOO_MANY_CONNECTIONS : LoginStatus.SESSION_DOES_NOT_EXIST);
      }
      if (req.currentStage() != LoginPdu.STAGE_SECURITY && req.currentStage() != LoginPdu.STAGE_OPERATIONAL) {
        return LoginStep.fail(req.currentStage(), LoginStatus.INITIATOR_ERROR);
      }
      stage = req.currentStage();
    } else if (req.isid() != isid || req.tsih() != tsih || req.cid() != cid || req.currentStage() != stage) {
      return LoginStep.fail(stage, LoginStatus.INITIATOR_ERROR);
    }
    if (req.transit() && req.cont()) return LoginStep.fail(stage, LoginStatus.INITIATOR_ERROR);
    if (req.transit() && !validTransition(stage, req.nextStage())) {
      return LoginStep.fail(stage, LoginStatus.INITIATOR_ERROR);
    }
    if (pendingText.size() + req.data().length > config.maxTextBytes()) {
      return LoginStep.fail(stage, LoginStatus.OUT_OF_RESOURCES);
    }
    pendingText.writeBytes(req.data());
    if (req.cont()) {
      // The text goes on in the next request: answer with an empty response (section 6.1).
      return new LoginStep(LoginStep.Kind.CONTINUE, false, stage, 0, LoginStatus.SUCCESS, new byte[0]);
    }
    byte[] text = pendingText.toByteArray();
    pendingText.reset();
    try {
      return process(req, KeyValueText.parse(text));
    } catch (TextFormatException e) {
      return LoginStep.fail(stage, LoginStatus.INITIATOR_ERROR);
    } catch (NegotiationException e) {
      return LoginStep.fail(stage, e.loginStatus());
    }
  }

  /** Who logs in (complete once the first request's text is processed). */
  public LoginIdentity identity() {
    return new LoginIdentity(initiatorName, initiatorAlias, targetName, discovery, isid);
  }

  /** The target logged in to (null for discovery). */
  public TargetInfo target() {
    return target;
  }

  public SessionParameters parameters() {
    return operational.result();
  }

  public int cid() {
    return cid;
  }

  /** CmdSN of the first Login Request: the session's first expected CmdSN. */
  public int initialCmdSn() {
    return initialCmdSn;
  }

  private LoginStep process(LoginRequest req, List<KeyValue> keys) throws NegotiationException {
    List<KeyValue> response = new ArrayList<>();
    for (KeyValue kv : keys) {
      // Section 6.2: a key declared or negotiated twice in one login is an initiator error.
      if (!seenKeys.add(kv.key())) {
        throw new NegotiationException(LoginStatus.INITIATOR_ERROR, "key " + kv.key() + " sent twice");
      }
    }
    if (!firstTextProcessed) {
      firstTextProcessed = true;
      declarations(keys);
      // Who may log in to what is decided before any other key is looked at, so a refused login
      // learns nothing more than its status (and never reaches full feature phase).
      switch (security.admit(identity(), target)) {
        case AUTHORIZATION_FAILED:
          return LoginStep.fail(stage, LoginStatus.AUTHORIZATION_FAILURE);
        case AUTHENTICATION_FAILED:
          return LoginStep.fail(stage, LoginStatus.AUTHENTICATION_FAILURE);
        default:
          break;
      }
      if (stage == LoginPdu.STAGE_OPERATIONAL && security.required()) {
        return LoginStep.fail(stage, LoginStatus.AUTHENTICATION_FAILURE);
      }
      if (!discovery) {
        response.add(new KeyValue(TARGET_PORTAL_GROUP_TAG, Integer.toString(config.portalGroupTag())));
        if (target.alias() != null && !target.alias().isEmpty()) {
          response.add(new KeyValue(TARGET_ALIAS, target.alias()));
        }
      }
    }
    if (stage == LoginPdu.STAGE_OPERATIONAL) response.addAll(operational.declarations());
    List<KeyValue> securityKeys = new ArrayList<>();
    for (KeyValue kv : keys) {
      String k = kv.key();
      if (k.equals(INITIATOR_NAME) || k.equals(INITIATOR_ALIAS) || k.equals(TARGET_NAME) || k.equals(SESSION_TYPE)) {
        continue; // declarations, handled above, never answered
      }
      if (security.handles(k)) {
        if (stage == LoginPdu.STAGE_SECURITY) securityKeys.add(kv);
        else response.add(new KeyValue(k, Negotiation.IRRELEVANT));
      } else if (OperationalNegotiator.handles(k)) {
        KeyValue answer = operational.respond(k, kv.value());
        if (answer != null) response.add(answer);
      } else if (k.equals(TARGET_ALIAS) || k.equals(TARGET_ADDRESS) || k.equals(TARGET_PORTAL_GROUP_TAG)
          || k.equals(SEND_TARGETS)) {
        // Keys only a target sends, and SendTargets, which belongs to full feature phase.
        response.add(new KeyValue(k, Negotiation.REJECT));
      } else {
        response.add(new KeyValue(k, Negotiation.NOT_UNDERSTOOD));
      }
    }
    if (stage == LoginPdu.STAGE_SECURITY) {
      switch (security.negotiate(identity(), securityKeys, response)) {
        case DONE:
          securityDone = true;
          break;
        case CONTINUE:
          securityDone = false;
          break;
        case AUTHENTICATION_FAILED:
          return LoginStep.fail(stage, LoginStatus.AUTHENTICATION_FAILURE);
        case AUTHORIZATION_FAILED:
          return LoginStep.fail(stage, LoginStatus.AUTHORIZATION_FAILURE);
        default:
          throw new IllegalStateException();
      }
    }
    boolean transit = req.transit() && mayLeave(response);
    int current = stage;
    byte[] text = KeyValueText.format(response);
    if (text.length > PduDecoder.LOGIN_MAX_DATA_SEGMENT_LENGTH) {
      return LoginStep.fail(stage, LoginStatus.TARGET_ERROR);
    }
    if (!transit) {
      return new LoginStep(LoginStep.Kind.CONTINUE, false, current, 0, LoginStatus.SUCCESS, text);
    }
    stage = req.nextStage();
    LoginStep.Kind kind = stage == LoginPdu.STAGE_FULL_FEATURE ? LoginStep.Kind.COMPLETE : LoginStep.Kind.CONTINUE;
    return new LoginStep(kind, true, current, req.nextStage(), LoginStatus.SUCCESS, text);
  }

  /** The declarations of the first request: who logs in, to what, for which kind of session. */
  private void declarations(List<KeyValue> keys) throws NegotiationException {
    String sessionType = "Normal";
    for (KeyValue kv : keys) {
      switch (kv.key()) {
        case INITIATOR_NAME -> initiatorName = kv.value();
        case INITIATOR_ALIAS -> initiatorAlias = kv.value();
        case TARGET_NAME -> targetName = kv.value();
        case SESSION_TYPE -> sessionType = kv.value();
        default -> { }
      }
    }
    if (initiatorName == null || initiatorName.isEmpty()) {
      throw new NegotiationException(LoginStatus.MISSING_PARAMETER, "no InitiatorName");
    }
    if (sessionType.equals("Discovery")) {
      discovery = true;
    } else if (!sessionType.equals("Normal")) {
      throw new NegotiationException(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, "SessionType " + sessionType);
    }
    operational.sessionType(discovery);
    if (!discovery) {
      if (targetName == null || targetName.isEmpty()) {
        throw new NegotiationException(LoginStatus.MISSING_PARAMETER, "no TargetName");
      }
      Optional<TargetInfo> t = config.catalog().target(targetName);
      if (t.isEmpty()) throw new NegotiationException(LoginStatus.NOT_FOUND, "no target " + targetName);
      target = t.get();
    }
  }

  /** Whether the current stage is complete, so the login may move to the requested next stage. */
  private boolean mayLeave(List<KeyValue> response) {
    if (stage == LoginPdu.STAGE_SECURITY) return securityDone;
    // Before leaving the operational stage the target has its say once: it proposes what the
    // initiator left at an unacceptable default, in a response without T, and waits for answers.
    List<KeyValue> proposals = operational.proposals();
    response.addAll(proposals);
    return proposals.isEmpty() && !operational.awaitingAnswers();
  }

  private static boolean validTransition(int from, int to) {
    if (from == LoginPdu.STAGE_SECURITY) return to == LoginPdu.STAGE_OPERATIONAL || to == LoginPdu.STAGE_FULL_FEATURE;
    return from == LoginPdu.STAGE_OPERATIONAL && to == LoginPdu.STAGE_FULL_FEATURE;
  }
}
