package io.cairn.actors.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.cairn.datapath.scsi.ItNexus;
import io.cairn.datapath.scsi.reservation.PersistentReservations;
import io.cairn.datapath.scsi.reservation.Registration;
import io.cairn.datapath.scsi.reservation.Reservation;
import io.cairn.datapath.scsi.reservation.ReservationType;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reservation entity: versioned whole-state saves, refusal of stale ones without a write, and
 * recovery of the last saved state (every event, reply and state also goes through the real
 * serializer: the test kit verifies serialization).
 */
class LunReservationsTest {

  private static final ActorTestKit kit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
          .withFallback(ConfigFactory.load()));

  static final ItNexus A = new ItNexus("iqn.1994-05.com.example:host-a", 0x23D000000001L, "iqn.2026-11.io.cairn:demo", 1);
  static final ItNexus B = new ItNexus("iqn.1994-05.com.example:host-b", 0x23D000000002L, "iqn.2026-11.io.cairn:demo", 1);

  static final PersistentReservations REGISTERED = new PersistentReservations(1, false,
      List.of(new Registration(A, false, 0xAAAAL)), null);
  static final PersistentReservations RESERVED = new PersistentReservations(2, true,
      List.of(new Registration(A, false, 0xAAAAL), new Registration(B, true, 0xBBBBL)),
      new Reservation(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY, A));

  private EventSourcedBehaviorTestKit<LunReservations.Command, LunReservations.Event, LunReservations.State> es;

  @BeforeEach
  void fresh() {
    es = EventSourcedBehaviorTestKit.create(kit.system(), LunReservations.create(7, 100));
    es.clear();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private LunReservations.Loaded load() {
    return es.<LunReservations.Loaded>runCommand(LunReservations.Load::new).reply();
  }

  private CommandResultWithReply<LunReservations.Command, LunReservations.Event, LunReservations.State, LunReservations.SaveReply>
      save(long expected, PersistentReservations state) {
    return es.<LunReservations.SaveReply>runCommand(r -> new LunReservations.Save(expected, state, r));
  }

  @Test
  void shouldLoadEmptyStateAtVersionZeroWhenNeverSaved() {
    LunReservations.Loaded loaded = load();

    assertEquals(new LunReservations.Loaded(0, PersistentReservations.EMPTY), loaded);
    assertInstanceOf(LunReservations.Unsaved.class, es.getState());
  }

  @Test
  void shouldPersistEachSaveAndCountVersions() {
    var first = save(0, REGISTERED);
    var second = save(1, RESERVED);

    assertEquals(new LunReservations.Saved(1), first.reply());
    assertEquals(List.of(new LunReservations.ReservationsSaved(REGISTERED)), first.events());
    assertEquals(new LunReservations.Saved(2), second.reply());
    assertEquals(new LunReservations.Loaded(2, RESERVED), load());
  }

  @Test
  void shouldRefuseAStaleSaveWithoutPersistingAndReturnTheStoredState() {
    save(0, REGISTERED);

    var stale = save(0, RESERVED);

    assertEquals(new LunReservations.Stale(1, REGISTERED), stale.reply());
    assertTrue(stale.events().isEmpty(), "a refused save persists nothing");
    assertEquals(new LunReservations.Loaded(1, REGISTERED), load());
  }

  @Test
  void shouldRefuseASaveFromTheFutureOnAnUnsavedEntity() {
    var stale = save(3, RESERVED);

    assertEquals(new LunReservations.Stale(0, PersistentReservations.EMPTY), stale.reply());
    assertTrue(stale.events().isEmpty());
  }

  @Test
  void shouldRecoverTheLastSavedStateAndVersionAfterRestart() {
    save(0, REGISTERED);
    save(1, RESERVED);

    es.restart();

    assertEquals(new LunReservations.Loaded(2, RESERVED), load());
    assertEquals(new LunReservations.Saved(3), save(2, PersistentReservations.EMPTY).reply());
    es.restart();
    assertEquals(new LunReservations.Loaded(3, PersistentReservations.EMPTY), load());
  }
}
