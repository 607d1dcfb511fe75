package io.cairn.datapath.scsi;

import io.cairn.datapath.target.LunInfo;

/**
 * The mode pages of a Cairn LUN (SPC-4 7.5, SBC-3 6.5): Caching (08h), Control (0Ah) and
 * Informational Exceptions Control (1Ch), each in its current, changeable and default form. No page
 * is saveable (PS = 0, PC = saved answers SAVING PARAMETERS NOT SUPPORTED). The only changeable
 * parameter is SWP in the Control page; the others describe how the device behaves and cannot be
 * otherwise.
 */
final class ModePages {

  static final int CACHING = 0x08;
  static final int CONTROL = 0x0A;
  static final int INFORMATIONAL_EXCEPTIONS = 0x1C;
  /** PAGE CODE 3Fh: return all pages. */
  static final int ALL_PAGES = 0x3F;
  /** SUBPAGE CODE FFh: the page and all its subpages (Cairn has none). */
  static final int ALL_SUBPAGES = 0xFF;

  /** Page control (PC) values of MODE SENSE. */
  static final int PC_CURRENT = 0;
  static final int PC_CHANGEABLE = 1;
  static final int PC_DEFAULT = 2;
  static final int PC_SAVED = 3;

  /** Supported pages, ascending: the order of a 3Fh (all pages) answer. */
  static final int[] PAGES = {CACHING, CONTROL, INFORMATIONAL_EXCEPTIONS};

  /** Device-specific parameter (SBC-3 6.5.1): WP, write protected. */
  static final int DSP_WP = 0x80;
  /** Device-specific parameter: DPOFUA, the device accepts DPO and FUA. */
  static final int DSP_DPOFUA = 0x10;

  /** Control page byte 4 bit 3: SWP, software write protect. */
  static final int CONTROL_SWP_OFFSET = 4;
  static final int CONTROL_SWP = 0x08;

  private ModePages() {}

  static boolean supported(int pageCode) {
    for (int p : PAGES) if (p == pageCode) return true;
    return false;
  }

  /**
   * One page, header included.
   *
   * <pre>
   * Caching 08h, 20 bytes: byte 2 WCE = 0 (a write is durable when it is acknowledged, there is
   *   no volatile write cache to enable), RCD = 0 (the read cache is used); all else 0.
   * Control 0Ah, 12 bytes: TST = 000b (one task set for all nexuses), GLTSD = 1 (no log pages to
   *   save), D_SENSE = 0 (fixed-format sense); QUEUE ALGORITHM MODIFIER = 1 (SIMPLE tasks run
   *   unordered), QERR = 00b; SWP (byte 4 bit 3, changeable); TAS = 0; BUSY TIMEOUT PERIOD = 0.
   * Informational Exceptions Control 1Ch, 12 bytes: DEXCPT = 1 (no informational exception
   *   reporting), MRIE = 0.
   * </pre>
   *
   * @param pc {@link #PC_CURRENT}, {@link #PC_CHANGEABLE} (a mask of changeable bits) or {@link #PC_DEFAULT}
   * @param softwareWriteProtect the current SWP
   */
  static byte[] page(int pageCode, int pc, boolean softwareWriteProtect) {
    byte[] p;
    switch (pageCode) {
      case CACHING -> {
        p = header(CACHING, 20);
      }
      case CONTROL -> {
        p = header(CONTROL, 12);
        if (pc == PC_CHANGEABLE) {
          p[CONTROL_SWP_OFFSET] = CONTROL_SWP;
        } else {
          p[2] = 0x02;
          p[3] = 0x10;
          if (pc == PC_CURRENT && softwareWriteProtect) p[CONTROL_SWP_OFFSET] = CONTROL_SWP;
        }
      }
      case INFORMATIONAL_EXCEPTIONS -> {
        p = header(INFORMATIONAL_EXCEPTIONS, 12);
        if (pc != PC_CHANGEABLE) p[2] = 0x08;
      }
      default -> throw new IllegalArgumentException("unsupported mode page " + pageCode);
    }
    return p;
  }

  /** Byte 0: PS = 0, SPF = 0, PAGE CODE; byte 1: PAGE LENGTH (bytes after it). */
  private static byte[] header(int pageCode, int length) {
    byte[] p = new byte[length];
    p[0] = (byte) pageCode;
    p[1] = (byte) (length - 2);
    return p;
  }

  static int pageLength(int pageCode) {
    return page(pageCode, PC_CURRENT, false).length;
  }

  /** Device-specific parameter of the mode parameter header. */
  static int deviceSpecificParameter(LunInfo info, boolean softwareWriteProtect) {
    return DSP_DPOFUA | (info.readOnly() || softwareWriteProtect ? DSP_WP : 0);
  }
}
