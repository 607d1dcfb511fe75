package io.cairn.datapath.scsi.reservation;

import io.cairn.datapath.scsi.ItNexus;
import java.util.Objects;

/**
 * The persistent reservation of a logical unit (scope LU_SCOPE, the only scope SPC-4 keeps).
 *
 * @param type the reservation type
 * @param holder the {@link Registration#nexus()} of the holder's registration; {@code null} for the
 *     all-registrants types, whose holders are every registered I_T nexus
 */
public record Reservation(ReservationType type, ItNexus holder) {

  public Reservation {
    Objects.requireNonNull(type, "type");
    if (type.allRegistrants() != (holder == null)) {
      throw new IllegalArgumentException("an all-registrants reservation has no single holder, every other type has one");
    }
  }
}
