package io.cairn.datapath.scsi;

import static io.cairn.datapath.scsi.Bytes.put16;
import static io.cairn.datapath.scsi.Bytes.put32;
import static io.cairn.datapath.scsi.Bytes.put64;
import static io.cairn.datapath.scsi.Bytes.putAscii;

import io.cairn.datapath.scsi.copy.CopyLimits;
import io.cairn.datapath.scsi.copy.CopyResultsData;
import io.cairn.datapath.target.LunInfo;
import java.util.Locale;
import java.util.UUID;

/**
 * Standard INQUIRY data and the vital product data pages (SPC-4 6.6, 7.8; SBC-3 6.6) of a Cairn
 * vDisk LUN. Every page is a function of the {@link LunInfo} and the settings alone, so it is the
 * same on every node's portal (every path) and across restarts.
 */
final class InquiryData {

  static final String VENDOR = "CAIRN";

  /** Peripheral qualifier 000b, device type 00h: a direct-access block device is connected. */
  static final int DIRECT_ACCESS_DEVICE = 0x00;
  /** Peripheral qualifier 011b, device type 1Fh: no logical unit at this LUN. */
  static final int NO_LOGICAL_UNIT = 0x7F;

  static final int VPD_SUPPORTED_PAGES = 0x00;
  static final int VPD_UNIT_SERIAL_NUMBER = 0x80;
  static final int VPD_DEVICE_IDENTIFICATION = 0x83;
  static final int VPD_THIRD_PARTY_COPY = CopyResultsData.VPD_THIRD_PARTY_COPY;
  static final int VPD_BLOCK_LIMITS = 0xB0;
  static final int VPD_BLOCK_DEVICE_CHARACTERISTICS = 0xB1;
  static final int VPD_LOGICAL_BLOCK_PROVISIONING = 0xB2;

  /** Supported VPD pages, ascending (SPC-4 7.8.16). */
  static final int[] SUPPORTED_PAGES = {
    VPD_SUPPORTED_PAGES, VPD_UNIT_SERIAL_NUMBER, VPD_DEVICE_IDENTIFICATION, VPD_THIRD_PARTY_COPY,
    VPD_BLOCK_LIMITS, VPD_BLOCK_DEVICE_CHARACTERISTICS, VPD_LOGICAL_BLOCK_PROVISIONING
  };

  static final int STANDARD_LENGTH = 96;

  /** Byte 5 bit 3 of standard INQUIRY data: the LUN has a copy manager (EXTENDED COPY, RECEIVE COPY RESULTS). */
  static final int THIRD_PARTY_COPY = 0x08;
  /** Byte 5 TPGS = 01b: implicit asymmetric logical unit access only (SPC-4 5.16, REPORT TARGET PORT GROUPS). */
  static final int TPGS_IMPLICIT = 0x10;

  /** VERSION 06h: the device claims SPC-4. */
  static final int VERSION_SPC4 = 0x06;
  /** Version descriptors (SPC-4 Table 148, "no version claimed" codes): SAM-5, SPC-4, SBC-3, iSCSI. */
  static final int[] VERSION_DESCRIPTORS = {0x00A0, 0x0460, 0x04C0, 0x0960};

  private InquiryData() {}

  /**
   * Standard INQUIRY data (SPC-4 Table 142), 96 bytes.
   *
   * <pre>
   *   0     PERIPHERAL QUALIFIER | DEVICE TYPE        1   RMB = 0 (not removable)
   *   2     VERSION = 06h (SPC-4)                     3   HISUP = 1, RESPONSE DATA FORMAT = 2
   *   4     ADDITIONAL LENGTH = 91                    5   TPGS = 01b (implicit ALUA), 3PC = 1, others 0
   *   6     ENCSERV MULTIP ADDR16 = 0                 7   CMDQUE = 1
   *   8-15  T10 VENDOR IDENTIFICATION "CAIRN"         16-31 PRODUCT IDENTIFICATION (vDisk name)
   *   32-35 PRODUCT REVISION LEVEL                    36-57 vendor specific, reserved = 0
   *   58-73 VERSION DESCRIPTORS 1-8                   74-95 reserved
   * </pre>
   */
  static byte[] standard(LunInfo info, ScsiSettings settings) {
    byte[] d = new byte[STANDARD_LENGTH];
    d[0] = (byte) (info == null ? NO_LOGICAL_UNIT : DIRECT_ACCESS_DEVICE);
    d[2] = VERSION_SPC4;
    d[3] = 0x10 | 0x02;
    d[4] = (byte) (STANDARD_LENGTH - 5);
    if (info != null) d[5] = TPGS_IMPLICIT | THIRD_PARTY_COPY;
    d[7] = 0x02;
    putAscii(d, 8, 8, VENDOR);
    putAscii(d, 16, 16, info == null ? "" : productIdentification(info));
    putAscii(d, 32, 4, settings.productRevision());
    for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) put16(d, 58 + 2 * i, VERSION_DESCRIPTORS[i]);
    return d;
  }

  /** The vDisk name, or "VDISK" when it has none; truncated to 16 characters by the caller. */
  static String productIdentification(LunInfo info) {
    return info.name() == null || info.name().isBlank() ? "VDISK" : info.name();
  }

  /** Whether INQUIRY EVPD = 1 answers this page code. */
  static boolean supported(int pageCode) {
    for (int p : SUPPORTED_PAGES) if (p == pageCode) return true;
    return false;
  }

  /** The VPD page; the caller checked {@link #supported}. */
  static byte[] page(int pageCode, LunInfo info, ScsiSettings settings) {
    return switch (pageCode) {
      case VPD_SUPPORTED_PAGES -> supportedPages();
      case VPD_UNIT_SERIAL_NUMBER -> unitSerialNumber(info);
      case VPD_DEVICE_IDENTIFICATION -> deviceIdentification(info);
      case VPD_THIRD_PARTY_COPY -> thirdPartyCopy();
      case VPD_BLOCK_LIMITS -> blockLimits(info, settings);
      case VPD_BLOCK_DEVICE_CHARACTERISTICS -> blockDeviceCharacteristics();
      case VPD_LOGICAL_BLOCK_PROVISIONING -> logicalBlockProvisioning(info);
      default -> throw new IllegalArgumentException("unsupported VPD page " + pageCode);
    };
  }

  /** A page with its 4-byte header: qualifier/type, page code, PAGE LENGTH (n - 3). */
  private static byte[] vpd(int pageCode, int pageLength) {
    byte[] d = new byte[4 + pageLength];
    d[0] = DIRECT_ACCESS_DEVICE;
    d[1] = (byte) pageCode;
    put16(d, 2, pageLength);
    return d;
  }

  /** 00h Supported VPD Pages (SPC-4 7.8.16). */
  static byte[] supportedPages() {
    byte[] d = vpd(VPD_SUPPORTED_PAGES, SUPPORTED_PAGES.length);
    for (int i = 0; i < SUPPORTED_PAGES.length; i++) d[4 + i] = (byte) SUPPORTED_PAGES[i];
    return d;
  }

  /** The unit serial number: the vDisk uuid as 32 lower-case hex digits. */
  static String serialNumber(UUID uuid) {
    return String.format(Locale.ROOT, "%016x%016x", uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
  }

  /** 80h Unit Serial Number (SPC-4 7.8.17): 32 ASCII characters. */
  static byte[] unitSerialNumber(LunInfo info) {
    String serial = serialNumber(info.uuid());
    byte[] d = vpd(VPD_UNIT_SERIAL_NUMBER, serial.length());
    putAscii(d, 4, serial.length(), serial);
    return d;
  }

  /**
   * The 60-bit value of the NAA locally assigned designator: the two halves of the uuid folded by
   * XOR, keeping the low 60 bits. A deterministic function of the uuid, so every path and every
   * restart reports the same identifier. NAA 3h is the format for identifiers a party assigns
   * without an IEEE company id (SPC-4 7.8.6.6.4); Cairn has none to put in an NAA 5h/6h designator.
   */
  static long naaLocallyAssignedValue(UUID uuid) {
    return (uuid.getMostSignificantBits() ^ uuid.getLeastSignificantBits()) & 0x0FFF_FFFF_FFFF_FFFFL;
  }

  /**
   * 83h Device Identification (SPC-4 7.8.6), two designation descriptors, both with ASSOCIATION
   * 00b (the logical unit) and PIV = 0:
   *
   * <pre>
   *   NAA, binary (code set 1h, designator type 3h), 8 bytes:
   *     NAA = 3h (locally assigned) in bits 63..60 | {@link #naaLocallyAssignedValue} in bits 59..0
   *   T10 vendor ID based, ASCII (code set 2h, designator type 1h), 40 bytes:
   *     T10 VENDOR IDENTIFICATION "CAIRN   " | the unit serial number (32 hex digits)
   * </pre>
   */
  static byte[] deviceIdentification(LunInfo info) {
    String serial = serialNumber(info.uuid());
    int naaLength = 8;
    int t10Length = 8 + serial.length();
    byte[] d = vpd(VPD_DEVICE_IDENTIFICATION, (4 + naaLength) + (4 + t10Length));
    int p = 4;
    d[p] = 0x01;
    d[p + 1] = 0x03;
    d[p + 3] = (byte) naaLength;
    put64(d, p + 4, (0x3L << 60) | naaLocallyAssignedValue(info.uuid()));
    p += 4 + naaLength;
    d[p] = 0x02;
    d[p + 1] = 0x01;
    d[p + 3] = (byte) t10Length;
    putAscii(d, p + 4, 8, VENDOR);
    putAscii(d, p + 12, serial.length(), serial);
    return d;
  }

  /** 8Fh Third-party Copy (SPC-4 7.8.17): the copy manager's commands, descriptors and limits. */
  static byte[] thirdPartyCopy() {
    return CopyResultsData.thirdPartyCopyVpd(CopyLimits.DEFAULT);
  }

  /**
   * 83h Device Identification as seen through one target port: the logical unit's designators of
   * {@link #deviceIdentification(LunInfo)} (identical on every path), then four describing the
   * port the command came through (SPC-4 7.8.6; all with ASSOCIATION 01b target port but the last):
   *
   * <pre>
   *   relative target port, binary (code set 1h, type 4h), 4 bytes: 0000h | RELATIVE TARGET PORT ID
   *   target port group, binary (code set 1h, type 5h), 4 bytes:    0000h | TARGET PORT GROUP
   *   SCSI name string, UTF-8, PIV = 1, protocol 5h iSCSI (type 8h): "TARGET,t,0xTPGT" NUL-padded
   *   SCSI name string, association 10b target device (type 8h):     "TARGET" NUL-padded
   * </pre>
   *
   * The iSCSI target port is the target name plus the target portal group tag (RFC 7143 section
   * 4.4.1), so the tag serves as both the relative target port identifier and the target port
   * group: one port per group, one group per portal group.
   */
  static byte[] deviceIdentification(LunInfo info, ItNexus nexus) {
    byte[] lu = deviceIdentification(info);
    int tpgt = nexus.portalGroupTag();
    byte[] portName = scsiName(nexus.targetName() + ",t,0x" + String.format(Locale.ROOT, "%04x", tpgt));
    byte[] deviceName = scsiName(nexus.targetName());
    int extra = 8 + 8 + 4 + portName.length + 4 + deviceName.length;
    byte[] d = java.util.Arrays.copyOf(lu, lu.length + extra);
    put16(d, 2, d.length - 4);
    int p = lu.length;
    d[p] = 0x01;
    d[p + 1] = 0x14;
    d[p + 3] = 4;
    put16(d, p + 6, tpgt);
    p += 8;
    d[p] = 0x01;
    d[p + 1] = 0x15;
    d[p + 3] = 4;
    put16(d, p + 6, tpgt);
    p += 8;
    d[p] = 0x53;
    d[p + 1] = (byte) 0x98;
    d[p + 3] = (byte) portName.length;
    System.arraycopy(portName, 0, d, p + 4, portName.length);
    p += 4 + portName.length;
    d[p] = 0x53;
    d[p + 1] = (byte) 0xA8;
    d[p + 3] = (byte) deviceName.length;
    System.arraycopy(deviceName, 0, d, p + 4, deviceName.length);
    return d;
  }

  /** A SCSI name string designator's value: UTF-8, NUL-terminated, padded with NULs to a multiple of 4, at most 252 bytes. */
  static byte[] scsiName(String name) {
    byte[] utf8 = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int length = Math.min(252, (utf8.length + 4) & ~3);
    byte[] out = new byte[length];
    System.arraycopy(utf8, 0, out, 0, Math.min(utf8.length, length - 1));
    return out;
  }

  /**
   * B0h Block Limits (SBC-3 6.6.4, SBC-4 6.6.4), page length 3Ch. Every limit is one the commands
   * enforce (INVALID FIELD IN CDB or IN PARAMETER LIST beyond it), see {@link SbcDataCommands}.
   *
   * <pre>
   *   4     WSNZ = 0 (WRITE SAME with NUMBER OF LOGICAL BLOCKS 0 goes to the last block)
   *   5     MAXIMUM COMPARE AND WRITE LENGTH = 255 blocks
   *   6-7   OPTIMAL TRANSFER LENGTH GRANULARITY = physical / logical block size
   *   8-11  MAXIMUM TRANSFER LENGTH (blocks)       12-15 OPTIMAL TRANSFER LENGTH (blocks, 0 = none)
   *   16-19 MAXIMUM PREFETCH LENGTH = 0 (PRE-FETCH fetches nothing)
   *   20-23 MAXIMUM UNMAP LBA COUNT = 512 MiB in blocks (the sum over one UNMAP's descriptors)
   *   24-27 MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT = 256
   *   28-31 OPTIMAL UNMAP GRANULARITY = {@link #unmapGranularityBytes} in blocks
   *   32-35 UGAVALID = 1 | UNMAP GRANULARITY ALIGNMENT = 0
   *   36-43 MAXIMUM WRITE SAME LENGTH = 16 MiB in blocks
   *   44-47 MAXIMUM ATOMIC TRANSFER LENGTH = 1 MiB in blocks (one OpLog record)
   *   48-51 ATOMIC ALIGNMENT = 0, 52-55 ATOMIC TRANSFER LENGTH GRANULARITY = 0 (any block, any length)
   *   56-63 MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY, MAXIMUM ATOMIC BOUNDARY SIZE = 0
   * </pre>
   *
   * A LUN without logical block provisioning management reports no UNMAP limits (0).
   */
  static byte[] blockLimits(LunInfo info, ScsiSettings settings) {
    byte[] d = vpd(VPD_BLOCK_LIMITS, 0x3C);
    int lbs = info.logicalBlockSize();
    d[5] = (byte) SbcDataCommands.MAX_COMPARE_AND_WRITE_BLOCKS;
    put16(d, 6, info.physicalBlockSize() / lbs);
    put32(d, 8, settings.maxTransferLengthBytes() / lbs);
    put32(d, 12, settings.optimalTransferLengthBytes() / lbs);
    if (provisioningManagement(info)) {
      put32(d, 20, SbcDataCommands.MAX_UNMAP_BYTES / lbs);
      put32(d, 24, SbcDataCommands.MAX_UNMAP_DESCRIPTORS);
      put32(d, 28, Math.max(1, unmapGranularityBytes(info) / lbs));
      put32(d, 32, 0x8000_0000L);
    }
    put64(d, 36, SbcDataCommands.MAX_WRITE_SAME_BYTES / lbs);
    put32(d, 44, SbcDataCommands.maxAtomicBytes(settings) / lbs);
    return d;
  }

  /**
   * The OPTIMAL UNMAP GRANULARITY of a LUN, bytes: the extent-store slice (4 KiB, the unit that
   * an unmap deallocates), doubled while the LUN would hold more than
   * {@link #MAX_UNMAP_GRANULES} granules. Any multiple of the slice is a true hint (such an unmap
   * releases everything it covers), and some initiators keep a bit per granule for the whole LUN
   * (QEMU's iSCSI driver does, and fails to open a LUN whose map it cannot allocate), so a huge
   * vDisk reports a coarser granule rather than ask for gigabytes of bitmap.
   */
  static long unmapGranularityBytes(LunInfo info) {
    long g = SbcDataCommands.UNMAP_GRANULARITY_BYTES;
    while (info.sizeBytes() / g > MAX_UNMAP_GRANULES) g <<= 1;
    return g;
  }

  /** Most granules of {@link #unmapGranularityBytes} a LUN holds: 2^28 (a 32 MiB bitmap). */
  static final long MAX_UNMAP_GRANULES = 1L << 28;

  /**
   * B1h Block Device Characteristics (SBC-3 6.6.2): MEDIUM ROTATION RATE 0001h, non-rotating
   * medium; WABEREQ (byte 7 bits 7..6) = 01b: a read after SANITIZE BLOCK ERASE completes without
   * error (it returns zeros); WACEREQ = 00b (no CRYPTOGRAPHIC ERASE).
   */
  static byte[] blockDeviceCharacteristics() {
    byte[] d = vpd(VPD_BLOCK_DEVICE_CHARACTERISTICS, 0x3C);
    put16(d, 4, 0x0001);
    d[7] = 0x40;
    return d;
  }

  /**
   * B2h Logical Block Provisioning (SBC-3 6.6.5, SBC-4 6.6.6), page length 4. A thin vDisk:
   *
   * <pre>
   *   4  THRESHOLD EXPONENT = 0 (no provisioning thresholds)
   *   5  LBPU = 1 (UNMAP), LBPWS = 1 (WRITE SAME(16) with UNMAP), LBPWS10 = 1 (WRITE SAME(10) with
   *      UNMAP), LBPRZ = 001b (bits 4..2: a deallocated block reads zeros), ANC_SUP = 0 (no
   *      anchored state), DP = 0
   *   6  MINIMUM PERCENTAGE = 0, PROVISIONING TYPE = 010b (thin provisioned)
   *   7  THRESHOLD PERCENTAGE = 0
   * </pre>
   *
   * A LUN that is not thin reports nothing (PROVISIONING TYPE 000b, fully provisioned).
   */
  static byte[] logicalBlockProvisioning(LunInfo info) {
    byte[] d = vpd(VPD_LOGICAL_BLOCK_PROVISIONING, 4);
    if (provisioningManagement(info)) {
      d[5] = (byte) 0xE4;
      d[6] = 0x02;
    }
    return d;
  }

  /**
   * Whether the LUN has logical block provisioning management (READ CAPACITY(16) LBPME, the thin
   * provisioning type): every thin vDisk, since UNMAP, WRITE SAME with UNMAP and GET LBA STATUS
   * work on it and deallocated blocks read zeros (LBPRZ).
   */
  static boolean provisioningManagement(LunInfo info) {
    return info.thin();
  }
}
