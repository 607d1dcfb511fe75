package io.cairn.datapath.scsi.copy;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/**
 * Test helper: builds EXTENDED COPY parameter lists byte by byte, as an initiator would (SPC-4 6.4),
 * independent of the parser under test. Defaults: LID1, list identifier 1, LIST ID USAGE 10b.
 */
public final class XcopyList {

  private int serviceAction = CopyParameterList.LID1;
  private long listId = 1;
  private int listIdUsage = CopyParameterList.LIST_ID_USAGE_NO_HOLD;
  private final ByteArrayOutputStream cscds = new ByteArrayOutputStream();
  private final ByteArrayOutputStream segments = new ByteArrayOutputStream();

  public static XcopyList lid1() {
    return new XcopyList();
  }

  public static XcopyList lid4() {
    XcopyList l = new XcopyList();
    l.serviceAction = CopyParameterList.LID4;
    return l;
  }

  public XcopyList listId(long id) {
    this.listId = id;
    return this;
  }

  public XcopyList usage(int usage) {
    this.listIdUsage = usage;
    return this;
  }

  /** An identification (E4h) CSCD descriptor for a binary NAA designator of a direct-access LU. */
  public XcopyList naa(long naa, int diskBlockLength) {
    byte[] d = new byte[8];
    for (int i = 0; i < 8; i++) d[i] = (byte) (naa >>> (56 - 8 * i));
    return cscd(0xE4, 0x00, 0x01, 0x03, d, diskBlockLength);
  }

  /** Any 32-byte CSCD descriptor; byte 5 = {@code associationAndType}. */
  public XcopyList cscd(int type, int byte1, int codeSet, int associationAndType, byte[] designator, int diskBlockLength) {
    byte[] c = new byte[32];
    c[0] = (byte) type;
    c[1] = (byte) byte1;
    c[4] = (byte) codeSet;
    c[5] = (byte) associationAndType;
    c[7] = (byte) designator.length;
    System.arraycopy(designator, 0, c, 8, Math.min(designator.length, 20));
    c[29] = (byte) (diskBlockLength >> 16);
    c[30] = (byte) (diskBlockLength >> 8);
    c[31] = (byte) diskBlockLength;
    cscds.writeBytes(c);
    return this;
  }

  /** A block-to-block (02h) segment descriptor. */
  public XcopyList b2b(int source, int destination, int blocks, long sourceLba, long destinationLba) {
    return b2b(0, source, destination, blocks, sourceLba, destinationLba);
  }

  public XcopyList b2b(int flags, int source, int destination, int blocks, long sourceLba, long destinationLba) {
    byte[] s = new byte[28];
    s[0] = 0x02;
    s[1] = (byte) flags;
    s[3] = 0x18;
    s[4] = (byte) (source >> 8);
    s[5] = (byte) source;
    s[6] = (byte) (destination >> 8);
    s[7] = (byte) destination;
    s[10] = (byte) (blocks >> 8);
    s[11] = (byte) blocks;
    for (int i = 0; i < 8; i++) {
      s[12 + i] = (byte) (sourceLba >>> (56 - 8 * i));
      s[20 + i] = (byte) (destinationLba >>> (56 - 8 * i));
    }
    segments.writeBytes(s);
    return this;
  }

  /** Raw segment descriptor bytes. */
  public XcopyList segment(byte[] raw) {
    segments.writeBytes(raw);
    return this;
  }

  public int cscdLength() {
    return cscds.size();
  }

  public int segmentLength() {
    return segments.size();
  }

  public byte[] build() {
    byte[] c = cscds.toByteArray();
    byte[] s = segments.toByteArray();
    byte[] h;
    if (serviceAction == CopyParameterList.LID4) {
      h = new byte[48];
      h[0] = 0x01;
      h[1] = (byte) (listIdUsage << 3);
      for (int i = 0; i < 4; i++) h[20 + i] = (byte) (listId >>> (24 - 8 * i));
      h[42] = (byte) (c.length >> 8);
      h[43] = (byte) c.length;
      h[44] = (byte) (s.length >> 8);
      h[45] = (byte) s.length;
    } else {
      h = new byte[16];
      h[0] = (byte) listId;
      h[1] = (byte) (listIdUsage << 3);
      h[2] = (byte) (c.length >> 8);
      h[3] = (byte) c.length;
      for (int i = 0; i < 4; i++) h[8 + i] = (byte) (s.length >>> (24 - 8 * i));
    }
    byte[] out = new byte[h.length + c.length + s.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(c, 0, out, h.length, c.length);
    System.arraycopy(s, 0, out, h.length + c.length, s.length);
    return out;
  }

  public static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
  }
}
