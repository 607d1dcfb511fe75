package io.cairn.datapath.scsi.reservation;

import io.cairn.datapath.scsi.ItNexus;
import io.cairn.datapath.scsi.ScsiResponse;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import java.util.ArrayList;
import java.util.List;

/**
 * PERSISTENT RESERVE OUT (SPC-4 6.17, 5.12.7-5.12.11) as a pure function: the state before, the
 * I_T nexus and the command in; the state after (or none when nothing changes) and the outcome out.
 * No I/O, no clock, no shared state: {@link LogicalUnitReservations} persists the new state and
 * only then applies it and answers.
 *
 * <p>Parameter list of every service action but REGISTER AND MOVE (exactly 24 bytes, SPEC_I_PT is
 * not supported):
 *
 * <pre>
 *   0-7   RESERVATION KEY                    8-15  SERVICE ACTION RESERVATION KEY
 *   16-19 obsolete                           20    SPEC_I_PT (3) | ALL_TG_PT (2) | APTPL (0)
 *   21    reserved                           22-23 obsolete
 * </pre>
 *
 * REGISTER AND MOVE:
 *
 * <pre>
 *   0-7   RESERVATION KEY                    8-15  SERVICE ACTION RESERVATION KEY
 *   16    reserved                           17    UNREG (1) | APTPL (0)
 *   18-19 RELATIVE TARGET PORT IDENTIFIER    20-23 TRANSPORTID PARAMETER DATA LENGTH (n - 23)
 *   24-n  TransportID of the destination initiator port (iSCSI, format 01b)
 * </pre>
 *
 * Checks, in order: the parameter list length, the SCOPE and TYPE fields (RESERVE, RELEASE,
 * PREEMPT), the parameter list fields, then the registration of the I_T nexus and its key
 * (RESERVATION CONFLICT), then the service action's own rules.
 */
final class PersistentReserveOut {

  static final int REGISTER = 0x00;
  static final int RESERVE = 0x01;
  static final int RELEASE = 0x02;
  static final int CLEAR = 0x03;
  static final int PREEMPT = 0x04;
  static final int PREEMPT_AND_ABORT = 0x05;
  static final int REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;
  static final int REGISTER_AND_MOVE = 0x07;

  /** PARAMETER LIST LENGTH of every service action but REGISTER AND MOVE (SPEC_I_PT = 0). */
  static final int BASIC_LENGTH = 24;

  static final int RESERVATION_KEY_OFFSET = 0;
  static final int SERVICE_ACTION_KEY_OFFSET = 8;
  static final int FLAGS_OFFSET = 20;
  static final int SPEC_I_PT = 0x08;
  static final int ALL_TG_PT = 0x04;
  static final int APTPL = 0x01;
  static final int MOVE_FLAGS_OFFSET = 17;
  static final int MOVE_UNREG = 0x02;
  static final int MOVE_RELATIVE_TARGET_PORT_OFFSET = 18;
  static final int MOVE_TRANSPORT_ID_LENGTH_OFFSET = 20;
  static final int MOVE_TRANSPORT_ID_OFFSET = 24;

  /** CDB byte 2: SCOPE (7..4) | TYPE (3..0). */
  static final int CDB_SCOPE_TYPE_OFFSET = 2;
  static final int LU_SCOPE = 0x0;

  /**
   * What a PERSISTENT RESERVE OUT does.
   *
   * @param next the state after, or null when the command changes nothing
   */
  record Decision(PersistentReservations next, ProutResult result) {}

  private PersistentReserveOut() {}

  /**
   * Decides one PERSISTENT RESERVE OUT received on {@code n}.
   *
   * @param serviceAction CDB byte 1 bits 4..0
   * @param scope CDB byte 2 bits 7..4
   * @param typeCode CDB byte 2 bits 3..0
   * @param list the parameter list, exactly PARAMETER LIST LENGTH bytes
   */
  static Decision decide(PersistentReservations s, ItNexus n, int serviceAction, int scope, int typeCode, byte[] list) {
    if (serviceAction == REGISTER_AND_MOVE) return registerAndMove(s, n, list);
    if (serviceAction > REGISTER_AND_MOVE) return check(SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_CDB, true, 1, 4));
    boolean registering = serviceAction == REGISTER || serviceAction == REGISTER_AND_IGNORE_EXISTING_KEY;
    if (list.length != BASIC_LENGTH) {
      // A longer list is what SPEC_I_PT = 1 sends along; that is the field not supported.
      if (registering && list.length > BASIC_LENGTH && (list[FLAGS_OFFSET] & SPEC_I_PT) != 0) return invalidParameter(FLAGS_OFFSET, 3);
      return check(SenseData.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR));
    }
    ReservationType type = null;
    if (serviceAction == RESERVE || serviceAction == RELEASE || serviceAction == PREEMPT || serviceAction == PREEMPT_AND_ABORT) {
      if (scope != LU_SCOPE) return check(SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_CDB, true, CDB_SCOPE_TYPE_OFFSET, 7));
      type = ReservationType.of(typeCode);
      if (type == null) return check(SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_CDB, true, CDB_SCOPE_TYPE_OFFSET, 3));
    }
    long key = Be.u64(list, RESERVATION_KEY_OFFSET);
    long serviceActionKey = Be.u64(list, SERVICE_ACTION_KEY_OFFSET);
    int flags = list[FLAGS_OFFSET] & 0xFF;
    if (registering && (flags & SPEC_I_PT) != 0) return invalidParameter(FLAGS_OFFSET, 3);
    return switch (serviceAction) {
      case REGISTER -> register(s, n, key, serviceActionKey, flags, false);
      case REGISTER_AND_IGNORE_EXISTING_KEY -> register(s, n, key, serviceActionKey, flags, true);
      case RESERVE -> reserve(s, n, key, type);
      case RELEASE -> release(s, n, key, type);
      case CLEAR -> clear(s, n, key);
      default -> preempt(s, n, key, serviceActionKey, type, serviceAction == PREEMPT_AND_ABORT);
    };
  }

  /**
   * REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-4 5.12.7, Tables 41 and 42). An unregistered
   * I_T nexus registers SERVICE ACTION RESERVATION KEY (RESERVATION KEY must be 0 for REGISTER); a
   * registered one changes its key to it, or unregisters with 0 (its RESERVATION KEY must match
   * for REGISTER). APTPL is recorded with each registration; ALL_TG_PT with a new registration
   * only, and conflicts when the initiator port is registered through another target port. An
   * unregistered nexus asking to unregister does nothing and gets GOOD.
   */
  private static Decision register(PersistentReservations s, ItNexus n, long key, long newKey, int flags, boolean ignoreKey) {
    Registration mine = s.registrationOf(n);
    boolean aptpl = (flags & APTPL) != 0;
    if (mine == null) {
      if (!ignoreKey && key != 0) return conflict();
      if (newKey == 0) return unchanged();
      Registration added = new Registration(n, (flags & ALL_TG_PT) != 0, newKey);
      // ALL_TG_PT would register this initiator port where it already holds another key: that
      // registration's key was not given, so it conflicts (and no I_T nexus ever has two keys).
      for (Registration r : s.registrations()) {
        if (added.matches(r.nexus())) return conflict();
      }
      return changed(s.withRegistration(added).withAptpl(aptpl).nextGeneration(), ProutResult.GOOD);
    }
    if (!ignoreKey && key != mine.key()) return conflict();
    if (newKey == 0) return unregister(s, mine);
    return changed(s.replacing(mine, mine.withKey(newKey)).withAptpl(aptpl).nextGeneration(), ProutResult.GOOD);
  }

  /**
   * Removes a registration (SPC-4 5.12.11.2.3). The holder of a single-holder reservation takes it
   * along; a registrants-only one so released tells every remaining registrant RESERVATIONS
   * RELEASED. An all-registrants reservation stays while any registrant does.
   */
  private static Decision unregister(PersistentReservations s, Registration mine) {
    Reservation before = s.reservation();
    PersistentReservations next = s.removing(r -> r.equals(mine)).nextGeneration();
    List<ProutResult.UnitAttention> uas = new ArrayList<>();
    if (before != null && next.reservation() == null && before.type().registrantsHaveAccess()) {
      for (Registration r : next.registrations()) uas.add(new ProutResult.UnitAttention(r, SenseCode.RESERVATIONS_RELEASED));
    }
    return changed(next, good(uas, List.of()));
  }

  /**
   * RESERVE (SPC-4 5.12.9): a registered I_T nexus with the right key creates the reservation; the
   * holder asking again for the same type gets GOOD; anything else conflicts.
   */
  private static Decision reserve(PersistentReservations s, ItNexus n, long key, ReservationType type) {
    Registration mine = s.registrationOf(n);
    if (mine == null || key != mine.key()) return conflict();
    Reservation current = s.reservation();
    if (current == null) {
      return changed(s.withReservation(new Reservation(type, type.allRegistrants() ? null : mine.nexus())), ProutResult.GOOD);
    }
    return s.isHolder(n) && current.type() == type ? unchanged() : conflict();
  }

  /**
   * RELEASE (SPC-4 5.12.11.2.2): only the holder releases, with the reservation's own type (else
   * INVALID RELEASE OF PERSISTENT RESERVATION); a registrant that does not hold it, or a logical
   * unit without one, gets GOOD and nothing changes. Releasing a registrants-only or all-registrants
   * reservation tells the other registrants RESERVATIONS RELEASED. The PR generation stays.
   */
  private static Decision release(PersistentReservations s, ItNexus n, long key, ReservationType type) {
    Registration mine = s.registrationOf(n);
    if (mine == null || key != mine.key()) return conflict();
    Reservation current = s.reservation();
    if (current == null || !s.isHolder(n)) return unchanged();
    if (current.type() != type) return check(SenseData.of(SenseCode.INVALID_RELEASE_OF_PERSISTENT_RESERVATION));
    List<ProutResult.UnitAttention> uas = new ArrayList<>();
    if (current.type().registrantsHaveAccess()) {
      for (Registration r : s.registrations()) {
        if (!r.equals(mine)) uas.add(new ProutResult.UnitAttention(r, SenseCode.RESERVATIONS_RELEASED));
      }
    }
    return changed(s.withReservation(null), good(uas, List.of()));
  }

  /**
   * CLEAR (SPC-4 5.12.11.2.6): every registration and the reservation go; every other registrant
   * gets RESERVATIONS PREEMPTED.
   */
  private static Decision clear(PersistentReservations s, ItNexus n, long key) {
    Registration mine = s.registrationOf(n);
    if (mine == null || key != mine.key()) return conflict();
    List<ProutResult.UnitAttention> uas = new ArrayList<>();
    for (Registration r : s.registrations()) {
      if (!r.equals(mine)) uas.add(new ProutResult.UnitAttention(r, SenseCode.RESERVATIONS_PREEMPTED));
    }
    return changed(new PersistentReservations(s.generation() + 1, s.aptpl(), List.of(), null), good(uas, List.of()));
  }

  /**
   * PREEMPT and PREEMPT AND ABORT (SPC-4 5.12.11.4).
   *
   * <p>When SERVICE ACTION RESERVATION KEY names the reservation (the holder's key, or 0 under an
   * all-registrants reservation), the reservation is preempted: the registrations with that key
   * (every other one, for 0) are removed except the preempting nexus's, which now holds a
   * reservation of the CDB's type; if the type changed, the registrants that remain are told
   * RESERVATIONS RELEASED.
   *
   * <p>Otherwise only registrations are removed: every one with that key (the preempting nexus's
   * own included); none: RESERVATION CONFLICT; a key of 0: INVALID FIELD IN PARAMETER LIST.
   *
   * <p>Every removed registration's I_T nexuses are told REGISTRATIONS PREEMPTED; with ABORT their
   * tasks are aborted too. The PR generation goes up.
   */
  private static Decision preempt(PersistentReservations s, ItNexus n, long key, long victimKey, ReservationType type, boolean abort) {
    Registration mine = s.registrationOf(n);
    if (mine == null || key != mine.key()) return conflict();
    Reservation current = s.reservation();
    boolean preemptsReservation = current != null
        && (current.type().allRegistrants() ? victimKey == 0 : victimKey == s.reservationKey());
    List<Registration> victims = new ArrayList<>();
    List<ProutResult.UnitAttention> uas = new ArrayList<>();
    PersistentReservations next;
    if (!preemptsReservation) {
      if (victimKey == 0) return invalidParameter(SERVICE_ACTION_KEY_OFFSET, 7);
      for (Registration r : s.registrations()) if (r.key() == victimKey) victims.add(r);
      if (victims.isEmpty()) return conflict();
      next = s.removing(victims::contains).nextGeneration();
    } else {
      for (Registration r : s.registrations()) {
        if (!r.equals(mine) && (victimKey == 0 || r.key() == victimKey)) victims.add(r);
      }
      next = s.removing(victims::contains)
          .withReservation(new Reservation(type, type.allRegistrants() ? null : mine.nexus()))
          .nextGeneration();
      if (current.type() != type) {
        for (Registration r : next.registrations()) {
          if (!r.equals(mine)) uas.add(new ProutResult.UnitAttention(r, SenseCode.RESERVATIONS_RELEASED));
        }
      }
    }
    for (Registration v : victims) uas.add(new ProutResult.UnitAttention(v, SenseCode.REGISTRATIONS_PREEMPTED));
    return changed(next, good(uas, abort ? victims : List.of()));
  }

  /**
   * REGISTER AND MOVE (SPC-4 5.12.8): the holder of a single-holder reservation registers
   * SERVICE ACTION RESERVATION KEY for another I_T nexus (the TransportID's initiator port on the
   * target port RELATIVE TARGET PORT IDENTIFIER, which is the portal group tag) and hands it the
   * reservation; with UNREG it unregisters itself. No reservation, not the holder, or an
   * all-registrants one: RESERVATION CONFLICT. The destination must be another I_T nexus, named by
   * an iSCSI initiator port TransportID (format 01b).
   */
  private static Decision registerAndMove(PersistentReservations s, ItNexus n, byte[] list) {
    if (list.length < BASIC_LENGTH) return check(SenseData.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR));
    long transportIdLength = Be.u32(list, MOVE_TRANSPORT_ID_LENGTH_OFFSET);
    if (MOVE_TRANSPORT_ID_OFFSET + transportIdLength > list.length) return check(SenseData.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR));
    long key = Be.u64(list, RESERVATION_KEY_OFFSET);
    long newKey = Be.u64(list, SERVICE_ACTION_KEY_OFFSET);
    int flags = list[MOVE_FLAGS_OFFSET] & 0xFF;
    int relativeTargetPort = Be.u16(list, MOVE_RELATIVE_TARGET_PORT_OFFSET);

    Registration mine = s.registrationOf(n);
    if (mine == null || key != mine.key()) return conflict();
    Reservation current = s.reservation();
    if (current == null || current.type().allRegistrants() || !s.isHolder(n)) return conflict();
    if (newKey == 0) return invalidParameter(SERVICE_ACTION_KEY_OFFSET, 7);
    if (relativeTargetPort == 0) return invalidParameter(MOVE_RELATIVE_TARGET_PORT_OFFSET, 7);
    if (transportIdLength < IscsiTransportId.MIN_LENGTH) return invalidParameter(MOVE_TRANSPORT_ID_LENGTH_OFFSET, 7);
    IscsiTransportId.Port port = IscsiTransportId.decodePort(list, MOVE_TRANSPORT_ID_OFFSET, (int) transportIdLength);
    if (port == null) return invalidParameter(MOVE_TRANSPORT_ID_OFFSET, 7);
    ItNexus destination = new ItNexus(port.initiatorName(), port.isid(), n.targetName(), relativeTargetPort);
    if (mine.matches(destination)) return invalidParameter(MOVE_TRANSPORT_ID_OFFSET, 7);

    Registration existing = s.registrationOf(destination);
    Registration moved = existing == null ? new Registration(destination, false, newKey) : existing.withKey(newKey);
    PersistentReservations next = existing == null ? s.withRegistration(moved) : s.replacing(existing, moved);
    next = next.withReservation(new Reservation(current.type(), moved.nexus()));
    if ((flags & MOVE_UNREG) != 0) next = next.removing(r -> r.equals(mine));
    return changed(next.withAptpl((flags & APTPL) != 0).nextGeneration(), ProutResult.GOOD);
  }

  private static Decision changed(PersistentReservations next, ProutResult result) {
    return new Decision(next, result);
  }

  private static Decision unchanged() {
    return new Decision(null, ProutResult.GOOD);
  }

  private static Decision conflict() {
    return new Decision(null, ProutResult.CONFLICT);
  }

  private static Decision check(byte[] sense) {
    return new Decision(null, ProutResult.check(sense));
  }

  private static Decision invalidParameter(int offset, int bit) {
    return check(SenseData.withFieldPointer(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, false, offset, bit));
  }

  private static ProutResult good(List<ProutResult.UnitAttention> uas, List<Registration> aborted) {
    return new ProutResult(ScsiResponse.GOOD, null, uas, aborted);
  }
}
