package io.cairn.actors.reservation;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.cairn.actors.reservation.LunReservations.ReservationsSaved;
import io.cairn.actors.reservation.LunReservations.Stored;
import io.cairn.actors.reservation.LunReservations.Unsaved;
import io.cairn.datapath.scsi.ItNexus;
import io.cairn.datapath.scsi.reservation.PersistentReservations;
import io.cairn.datapath.scsi.reservation.Registration;
import io.cairn.datapath.scsi.reservation.Reservation;
import io.cairn.datapath.scsi.reservation.ReservationType;
import io.cairn.serialization.VersionedSerializer;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written, versioned serializers of the reservation entity's events and snapshots, and of
 * {@link PersistentReservations} wherever a message carries it.
 *
 * <p>A {@link PersistentReservations} body (v1), written inline by every serializer here:
 *
 * <pre>
 *   generation          int, Kryo fixed 4 bytes (PRGENERATION wraps through negative values)
 *   aptpl               boolean, 1 byte
 *   registrations       varint count, then per registration:
 *                         nexus (initiator name, ISID varlong, target name, portal group tag varint),
 *                         all target ports boolean, key long (Kryo fixed 8 bytes)
 *   reservation         TYPE code byte (0 = none); for a single-holder type the holder's nexus
 * </pre>
 */
public final class ReservationEventSerializers {
  private ReservationEventSerializers() {}

  static void writeNexus(Output out, ItNexus n) {
    out.writeString(n.initiatorName());
    out.writeVarLong(n.isid(), true);
    out.writeString(n.targetName());
    out.writeVarInt(n.portalGroupTag(), true);
  }

  static ItNexus readNexus(Input in) {
    return new ItNexus(in.readString(), in.readVarLong(true), in.readString(), in.readVarInt(true));
  }

  static void writeState(Output out, PersistentReservations s) {
    out.writeInt(s.generation());
    out.writeBoolean(s.aptpl());
    out.writeVarInt(s.registrations().size(), true);
    for (Registration r : s.registrations()) {
      writeNexus(out, r.nexus());
      out.writeBoolean(r.allTargetPorts());
      out.writeLong(r.key());
    }
    Reservation res = s.reservation();
    out.writeByte(res == null ? 0 : res.type().code);
    if (res != null && res.holder() != null) writeNexus(out, res.holder());
  }

  static PersistentReservations readState(Input in) {
    int generation = in.readInt();
    boolean aptpl = in.readBoolean();
    int n = in.readVarInt(true);
    List<Registration> regs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) regs.add(new Registration(readNexus(in), in.readBoolean(), in.readLong()));
    int code = in.readByteUnsigned();
    Reservation res = null;
    if (code != 0) {
      ReservationType type = ReservationType.of(code);
      if (type == null) throw new KryoException("unknown reservation type " + code);
      res = new Reservation(type, type.allRegistrants() ? null : readNexus(in));
    }
    return new PersistentReservations(generation, aptpl, regs, res);
  }

  /** v1: the state body above. */
  public static final class PersistentReservationsSerializer extends VersionedSerializer<PersistentReservations> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, PersistentReservations s) { writeState(out, s); }
    @Override protected PersistentReservations readBody(Kryo k, Input in, int v) { return readState(in); }
  }

  /** v1: the state body. */
  public static final class ReservationsSavedSerializer extends VersionedSerializer<ReservationsSaved> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, ReservationsSaved e) { writeState(out, e.state()); }
    @Override protected ReservationsSaved readBody(Kryo k, Input in, int v) { return new ReservationsSaved(readState(in)); }
  }

  /** v1: empty. */
  public static final class UnsavedSerializer extends VersionedSerializer<Unsaved> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Unsaved s) {}
    @Override protected Unsaved readBody(Kryo k, Input in, int v) { return new Unsaved(); }
  }

  /** v1: version (varlong), the state body. */
  public static final class StoredSerializer extends VersionedSerializer<Stored> {
    @Override protected int currentVersion() { return 1; }
    @Override protected void writeBody(Kryo k, Output out, Stored s) {
      out.writeVarLong(s.version(), true);
      writeState(out, s.state());
    }
    @Override protected Stored readBody(Kryo k, Input in, int v) {
      return new Stored(in.readVarLong(true), readState(in));
    }
  }
}
