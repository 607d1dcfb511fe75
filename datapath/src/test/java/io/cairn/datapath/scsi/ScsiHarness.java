package io.cairn.datapath.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.datapath.scsi.reservation.ReservationStore;
import io.cairn.datapath.scsi.sense.SenseCode;
import io.cairn.datapath.scsi.sense.SenseData;
import io.cairn.datapath.target.LunEntry;
import io.cairn.datapath.target.LunInfo;
import io.cairn.datapath.target.TargetCatalog;
import io.cairn.datapath.target.TargetInfo;
import io.cairn.datapath.vdisk.VDiskIo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A ScsiTargetService over one target with fixed LUNs, plus helpers to build CDBs and run commands
 * the way the transport does (Data-Out as a pooled buffer, Data-In copied then released).
 *
 * <pre>
 *   LUN 0  "db-disk"   512-byte logical / 4096-byte physical blocks, 2048 blocks (1 MiB), thin
 *   LUN 1  "logs"      4096-byte blocks, 256 blocks (1 MiB)
 *   LUN 2  "golden"    read-only, 512-byte blocks, 2048 blocks
 *   LUN 3  "huge"      512-byte blocks, 2^32 + 16 blocks (sparse)
 *   LUN 7  does not exist
 * </pre>
 */
final class ScsiHarness {

  static final String IQN = "iqn.2026-11.io.cairn:vg1";
  static final UUID UUID0 = UUID.fromString("6f1e2d3c-4b5a-4978-8a69-5b4c3d2e1f00");
  static final UUID UUID1 = UUID.fromString("00000000-0000-4000-8000-000000000001");
  static final UUID UUID2 = UUID.fromString("00000000-0000-4000-8000-000000000002");
  static final UUID UUID3 = UUID.fromString("00000000-0000-4000-8000-000000000003");
  static final int MISSING_LUN = 7;

  static final ItNexus A = new ItNexus("iqn.1994-05.com.example:host-a", 0x23D000000001L, IQN, 1);
  static final ItNexus B = new ItNexus("iqn.1994-05.com.example:host-b", 0x23D000000002L, IQN, 1);

  final TargetCatalog catalog = new TargetCatalog();
  final RamVDiskIo disk0 = new RamVDiskIo();
  final RamVDiskIo disk1 = new RamVDiskIo();
  final RamVDiskIo disk2 = new RamVDiskIo();
  final RamVDiskIo disk3 = new RamVDiskIo();
  final ScsiTargetService service;
  private final List<ByteBuf> dataOuts = new ArrayList<>();
  private int nextTag = 1;

  ScsiHarness() {
    this(ScsiSettings.DEFAULT);
  }

  ScsiHarness(ScsiSettings settings) {
    this(settings, ReservationStore.inMemory());
  }

  /** A harness whose persistent reservations live in {@code store} (share one to "restart" the service). */
  ScsiHarness(ScsiSettings settings, ReservationStore store) {
    catalog.put(new TargetInfo(IQN, "vg1", List.of(
        new LunEntry(0, new LunInfo(10, "db-disk", UUID0, 2048L * 512, 512, 4096, false, true), disk0),
        new LunEntry(1, new LunInfo(11, "logs", UUID1, 256L * 4096, 4096, 4096, false, false), disk1),
        new LunEntry(2, new LunInfo(12, "golden", UUID2, 2048L * 512, 512, 512, true, false), disk2),
        new LunEntry(3, new LunInfo(13, "huge", UUID3, ((1L << 32) + 16) * 512, 512, 512, false, true), disk3))));
    service = new ScsiTargetService(catalog, settings, store);
  }

  static ScsiSettings withTimeout(Duration ioTimeout) {
    ScsiSettings d = ScsiSettings.DEFAULT;
    return new ScsiSettings(ioTimeout, d.maxTransferLengthBytes(), d.optimalTransferLengthBytes(), d.productRevision());
  }

  /** Replaces LUN {@code lun}'s I/O with {@code io} (same description). */
  void replaceIo(int lun, VDiskIo io) {
    TargetInfo t = catalog.target(IQN).orElseThrow();
    List<LunEntry> luns = new ArrayList<>();
    for (LunEntry e : t.luns()) luns.add(e.lun() == lun ? new LunEntry(lun, e.info(), io) : e);
    catalog.put(new TargetInfo(IQN, t.alias(), luns));
  }

  /** What the transport would see of a command. */
  record Outcome(int status, byte[] data, byte[] sense, long transferLength) {

    SenseCode senseCode() {
      assertNotNull(sense, "no sense data; status " + status);
      return SenseData.code(sense);
    }

    Outcome assertGood() {
      assertEquals(ScsiResponse.GOOD, status, () -> "expected GOOD, got sense " + (sense == null ? "none" : SenseData.code(sense)));
      return this;
    }

    Outcome assertCheck(SenseCode code) {
      assertEquals(ScsiResponse.CHECK_CONDITION, status, "status");
      assertEquals(code, senseCode());
      return this;
    }

    /** CHECK CONDITION INVALID FIELD IN CDB pointing at {@code byteOffset}/{@code bit}. */
    Outcome assertInvalidField(int byteOffset, int bit) {
      assertCheck(SenseCode.INVALID_FIELD_IN_CDB);
      assertTrue(SenseData.pointsIntoCdb(sense), "C/D");
      assertEquals(byteOffset, SenseData.fieldPointer(sense), "field pointer");
      assertEquals(bit, SenseData.bitPointer(sense), "bit pointer");
      return this;
    }
  }

  static byte[] cdb(int... bytes) {
    byte[] c = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) c[i] = (byte) bytes[i];
    return c;
  }

  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
  }

  static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Concatenation. */
  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) n += p.length;
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  static byte[] pattern(int length, int seed) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) b[i] = (byte) (i * 31 + seed * 7 + (i >> 9));
    return b;
  }

  // ---- CDB builders -------------------------------------------------------------------------

  static byte[] rw6(int opcode, long lba, int blocks) {
    return cdb(opcode, (int) (lba >> 16) & 0x1F, (int) (lba >> 8) & 0xFF, (int) lba & 0xFF, blocks & 0xFF, 0);
  }

  static byte[] rw10(int opcode, int flags, long lba, int blocks) {
    return cdb(opcode, flags, (int) (lba >> 24) & 0xFF, (int) (lba >> 16) & 0xFF, (int) (lba >> 8) & 0xFF, (int) lba & 0xFF,
        0, (blocks >> 8) & 0xFF, blocks & 0xFF, 0);
  }

  static byte[] rw12(int opcode, int flags, long lba, long blocks) {
    return cdb(opcode, flags, (int) (lba >> 24) & 0xFF, (int) (lba >> 16) & 0xFF, (int) (lba >> 8) & 0xFF, (int) lba & 0xFF,
        (int) (blocks >> 24) & 0xFF, (int) (blocks >> 16) & 0xFF, (int) (blocks >> 8) & 0xFF, (int) blocks & 0xFF, 0, 0);
  }

  static byte[] rw16(int opcode, int flags, long lba, long blocks) {
    byte[] c = new byte[16];
    c[0] = (byte) opcode;
    c[1] = (byte) flags;
    for (int i = 0; i < 8; i++) c[2 + i] = (byte) (lba >>> (56 - 8 * i));
    for (int i = 0; i < 4; i++) c[10 + i] = (byte) (blocks >>> (24 - 8 * i));
    return c;
  }

  /** A READ/WRITE/VERIFY CDB of the given size (6, 10, 12, 16). */
  static byte[] rw(int size, int opcode, int flags, long lba, long blocks) {
    return switch (size) {
      case 6 -> rw6(opcode, lba, (int) blocks);
      case 10 -> rw10(opcode, flags, lba, (int) blocks);
      case 12 -> rw12(opcode, flags, lba, blocks);
      default -> rw16(opcode, flags, lba, blocks);
    };
  }

  // ---- running commands ---------------------------------------------------------------------

  /** Runs a command without Data-Out and waits for it. */
  Outcome run(ItNexus nexus, int lun, byte[] cdb) {
    return run(nexus, lun, cdb, null, 4096);
  }

  Outcome run(int lun, byte[] cdb) {
    return run(A, lun, cdb);
  }

  Outcome run(int lun, byte[] cdb, byte[] dataOut) {
    return run(A, lun, cdb, dataOut, dataOut.length);
  }

  Outcome run(ItNexus nexus, int lun, byte[] cdb, byte[] dataOut, int expectedDataTransferLength) {
    return await(submit(nexus, lun, cdb, dataOut, expectedDataTransferLength, Task.SIMPLE, nextTag++));
  }

  /** Submits a command; Data-Out (when not null) goes in a leak-tracked pooled buffer checked later. */
  CompletableFuture<ScsiResponse> submit(ItNexus nexus, int lun, byte[] cdb, byte[] dataOut, int edtl, int attribute, int tag) {
    ByteBuf out = null;
    if (dataOut != null) {
      out = ByteBufAllocator.DEFAULT.buffer(dataOut.length);
      out.writeBytes(dataOut);
      dataOuts.add(out);
    }
    ScsiCommand c = new ScsiCommand(lun, cdb, edtl, dataOut == null, dataOut != null, tag, attribute, out);
    return service.execute(nexus, c);
  }

  int tag() {
    return nextTag++;
  }

  /** Waits for a response as the transport would, copying then releasing the Data-In. */
  static Outcome await(CompletableFuture<ScsiResponse> f) {
    try {
      return outcome(f.get(5, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new AssertionError("command did not complete", e);
    }
  }

  static Outcome outcome(ScsiResponse r) {
    byte[] data = new byte[0];
    if (r.dataIn() != null) {
      data = new byte[r.dataIn().readableBytes()];
      r.dataIn().getBytes(r.dataIn().readerIndex(), data);
      r.dataIn().release();
    }
    return new Outcome(r.status(), data, r.sense(), r.transferLength());
  }

  /** Every Data-Out buffer handed to the service and every buffer the RAM disks read was released. */
  void assertNoBufferLeft() {
    for (ByteBuf b : dataOuts) assertEquals(0, b.refCnt(), "Data-Out buffer not released");
    for (RamVDiskIo d : List.of(disk0, disk1, disk2, disk3)) assertTrue(d.allReadBuffersReleased(), "read buffer not released");
  }
}
