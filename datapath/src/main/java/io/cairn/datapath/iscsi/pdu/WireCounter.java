package io.cairn.datapath.iscsi.pdu;

/** Receives one call per PDU framed or encoded, with its size on the wire. Called on the channel's event loop. */
@FunctionalInterface
public interface WireCounter {

  WireCounter NONE = bytes -> {};

  void pdu(int wireBytes);
}
