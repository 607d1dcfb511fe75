package io.cairn.datapath.iscsi.negotiation;

/** iSCSI text that does not follow the key=value grammar of RFC 7143 section 6.1. */
public final class TextFormatException extends Exception {

  private static final long serialVersionUID = 1L;

  public TextFormatException(String message) {
    super(message, null, false, false);
  }
}
