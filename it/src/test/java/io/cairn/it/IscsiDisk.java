package io.cairn.it;

import io.cairn.datapath.iscsi.fixture.RawIscsiClient;
import io.cairn.datapath.iscsi.fixture.RawIscsiClient.ScsiResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A logged-in iSCSI session to one LUN over the data path's byte-level test initiator
 * ({@link RawIscsiClient}): SCSI commands by CDB, sense data decoded, and byte-range reads and
 * writes that assert GOOD status. Each session has its own initiator name and ISID, so sessions
 * never reinstate one another.
 *
 * <p>Threading: one thread per session (the client is blocking and not thread-safe).
 */
final class IscsiDisk implements AutoCloseable {

  static final int STATUS_GOOD = 0x00;
  static final int STATUS_CHECK_CONDITION = 0x02;
  /** Largest transfer per READ(16)/WRITE(16) this helper issues. */
  static final int MAX_TRANSFER = 1 << 20;

  private static final AtomicLong NEXT_ISID = new AtomicLong(0x400001370100L);

  final RawIscsiClient client;
  final int lun;

  private IscsiDisk(RawIscsiClient client, int lun) {
    this.client = client;
    this.lun = lun;
  }

  /** Connects to the portal and logs in to {@code iqn} as initiator {@code ...:<sessionName>}. */
  static IscsiDisk login(int port, String iqn, int lun, String sessionName) throws IOException {
    RawIscsiClient c = RawIscsiClient.connect(port).isid(NEXT_ISID.getAndIncrement());
    c.initiatorName = "iqn.2026-01.io.cairn.it:" + sessionName;
    c.ownMaxRecvDataSegmentLength = 262144;
    try {
      c.login(iqn, Map.of());
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    return new IscsiDisk(c, lun);
  }

  /** Decoded sense data: fixed (70h/71h) or descriptor (72h/73h) format. */
  record Sense(int key, int asc, int ascq) {
    static Sense of(byte[] sense) {
      if (sense == null || sense.length < 4) return null;
      int code = sense[0] & 0x7F;
      if (code == 0x72 || code == 0x73) return new Sense(sense[1] & 0x0F, sense[2] & 0xFF, sense[3] & 0xFF);
      if (sense.length < 14) return null;
      return new Sense(sense[2] & 0x0F, sense[12] & 0xFF, sense[13] & 0xFF);
    }

    @Override
    public String toString() {
      return String.format("key %Xh ASC/ASCQ %02Xh/%02Xh", key, asc, ascq);
    }
  }

  static Sense sense(ScsiResult r) {
    return Sense.of(r.sense());
  }

  static String describe(ScsiResult r) {
    return String.format("response %d status 0x%02x sense %s data-in %d bytes", r.response(), r.status(),
        Sense.of(r.sense()), r.dataIn() == null ? 0 : r.dataIn().length);
  }

  // ---------------------------------------------------------------- commands

  ScsiResult command(byte[] cdb, int edtl) throws IOException {
    return client.read(lun, cdb, edtl);
  }

  ScsiResult writeCommand(byte[] cdb, byte[] data) throws IOException {
    return client.write(lun, cdb, data);
  }

  ScsiResult read16(long lba, int blocks) throws IOException {
    return client.read(lun, cdb16(0x88, lba, blocks), blocks * CairnProcess.BLOCK);
  }

  ScsiResult write16(long lba, byte[] data) throws IOException {
    return client.write(lun, cdb16(0x8A, lba, data.length / CairnProcess.BLOCK), data);
  }

  /** READ CAPACITY(16): {last LBA, block length}. */
  long[] readCapacity16() throws IOException {
    byte[] cdb = new byte[16];
    cdb[0] = (byte) 0x9E;
    cdb[1] = 0x10;
    RawIscsiClient.putInt(cdb, 10, 32);
    ScsiResult r = client.read(lun, cdb, 32);
    if (r.status() != STATUS_GOOD) throw new AssertionError("READ CAPACITY(16): " + describe(r));
    ByteBuffer b = ByteBuffer.wrap(r.dataIn());
    return new long[] {b.getLong(0), b.getInt(8) & 0xFFFFFFFFL};
  }

  ScsiResult testUnitReady() throws IOException {
    return client.read(lun, new byte[6], 0);
  }

  /** Reads a block-aligned byte range, asserting GOOD status and the full length. */
  byte[] read(long offset, int length) throws IOException {
    byte[] out = new byte[length];
    for (int done = 0; done < length; ) {
      int n = Math.min(MAX_TRANSFER, length - done);
      ScsiResult r = read16((offset + done) / CairnProcess.BLOCK, n / CairnProcess.BLOCK);
      if (r.status() != STATUS_GOOD || r.dataIn().length != n) {
        throw new AssertionError("READ(16) of " + n + " bytes at offset " + (offset + done) + ": " + describe(r));
      }
      System.arraycopy(r.dataIn(), 0, out, done, n);
      done += n;
    }
    return out;
  }

  /** Writes a block-aligned byte range in commands of at most 1 MiB, asserting GOOD status. */
  void write(long offset, byte[] data) throws IOException {
    write(offset, data, MAX_TRANSFER);
  }

  /** Writes a block-aligned byte range in commands of at most {@code maxTransfer} bytes, asserting GOOD status. */
  void write(long offset, byte[] data, int maxTransfer) throws IOException {
    for (int done = 0; done < data.length; ) {
      int n = Math.min(maxTransfer, data.length - done);
      byte[] part = RawIscsiClient.slice(data, done, n);
      ScsiResult r = write16((offset + done) / CairnProcess.BLOCK, part);
      if (r.status() != STATUS_GOOD) throw new AssertionError("WRITE(16) at offset " + (offset + done) + ": " + describe(r));
      done += n;
    }
  }

  static byte[] cdb16(int opcode, long lba, int blocks) {
    byte[] cdb = new byte[16];
    cdb[0] = (byte) opcode;
    RawIscsiClient.putInt(cdb, 2, (int) (lba >>> 32));
    RawIscsiClient.putInt(cdb, 6, (int) lba);
    RawIscsiClient.putInt(cdb, 10, blocks);
    return cdb;
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
