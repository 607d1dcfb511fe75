package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.ScsiHarness.cdb;

import io.cairn.datapath.scsi.ScsiHarness.Outcome;
import java.nio.ByteBuffer;

/** CDB and parameter list builders for the reservation tests, and a runner over a {@link ScsiHarness} LUN. */
final class PrCommands {

  static final int READ_KEYS = 0, READ_RESERVATION = 1, REPORT_CAPABILITIES = 2, READ_FULL_STATUS = 3;
  static final int REGISTER = 0, RESERVE = 1, RELEASE = 2, CLEAR = 3, PREEMPT = 4, PREEMPT_AND_ABORT = 5,
      REGISTER_AND_IGNORE = 6, REGISTER_AND_MOVE = 7;
  static final int WE = 1, EA = 3, WE_RO = 5, EA_RO = 6, WE_AR = 7, EA_AR = 8;
  static final int ALL_TG_PT = 0x04, APTPL = 0x01, SPEC_I_PT = 0x08;

  final ScsiHarness h;
  final int lun;

  PrCommands(ScsiHarness h, int lun) {
    this.h = h;
    this.lun = lun;
  }

  static byte[] prin(int serviceAction, int allocation) {
    return cdb(0x5E, serviceAction, 0, 0, 0, 0, 0, allocation >> 8, allocation & 0xFF, 0);
  }

  static byte[] prout(int serviceAction, int scopeType, int length) {
    return cdb(0x5F, serviceAction, scopeType, 0, 0, length >>> 24, (length >> 16) & 0xFF, (length >> 8) & 0xFF, length & 0xFF, 0);
  }

  /** The 24-byte basic parameter list. */
  static byte[] params(long key, long serviceActionKey, int flags) {
    return ByteBuffer.allocate(24).putLong(key).putLong(serviceActionKey).putInt(0).put((byte) flags).array();
  }

  Outcome in(ItNexus n, int serviceAction) {
    return h.run(n, lun, prin(serviceAction, 16384));
  }

  byte[] data(ItNexus n, int serviceAction) {
    return in(n, serviceAction).assertGood().data();
  }

  Outcome out(ItNexus n, int serviceAction, int type, long key, long serviceActionKey, int flags) {
    byte[] p = params(key, serviceActionKey, flags);
    return h.run(n, lun, prout(serviceAction, type, p.length), p, p.length);
  }

  Outcome register(ItNexus n, long key) {
    return out(n, REGISTER_AND_IGNORE, 0, 0, key, 0);
  }

  Outcome reserve(ItNexus n, long key, int type) {
    return out(n, RESERVE, type, key, 0, 0);
  }

  Outcome release(ItNexus n, long key, int type) {
    return out(n, RELEASE, type, key, 0, 0);
  }

  Outcome read(ItNexus n) {
    return h.run(n, lun, ScsiHarness.rw10(0x28, 0, 1, 1), null, 4096);
  }

  Outcome write(ItNexus n) {
    int bytes = lun == 1 ? 4096 : 512;
    return h.run(n, lun, ScsiHarness.rw10(0x2A, 0, 1, 1), new byte[bytes], bytes);
  }

  /** Sends TEST UNIT READY until it no longer reports a unit attention (at most 8 times). */
  void clearUnitAttentions(ItNexus n) {
    for (int i = 0; i < 8; i++) {
      if (tur(n).status() != ScsiResponse.CHECK_CONDITION) return;
    }
  }

  Outcome tur(ItNexus n) {
    return h.run(n, lun, cdb(0x00, 0, 0, 0, 0, 0));
  }
}
