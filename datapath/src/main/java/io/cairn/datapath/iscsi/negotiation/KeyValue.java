package io.cairn.datapath.iscsi.negotiation;

/** One {@code key=value} pair of iSCSI text (RFC 7143 section 6.1). */
public record KeyValue(String key, String value) {

  @Override
  public String toString() {
    return key + "=" + value;
  }
}
