package io.cairn.datapath.iscsi.login;

import io.cairn.datapath.iscsi.pdu.LoginPdu;
import io.cairn.datapath.iscsi.pdu.Pdu;
import io.netty.buffer.ByteBuf;

/**
 * The fields of one Login Request PDU the login state machine needs (RFC 7143 section 11.12),
 * decoupled from the buffer.
 *
 * @param data the PDU's data segment (a chunk of key=value text)
 */
public record LoginRequest(
    boolean transit,
    boolean cont,
    int currentStage,
    int nextStage,
    int versionMax,
    int versionMin,
    long isid,
    int tsih,
    int itt,
    int cid,
    int cmdSn,
    int expStatSn,
    byte[] data) {

  public static LoginRequest of(Pdu pdu) {
    ByteBuf b = pdu.bhs();
    return new LoginRequest(
        LoginPdu.transit(b), LoginPdu.continueBit(b), LoginPdu.currentStage(b), LoginPdu.nextStage(b),
        LoginPdu.versionMax(b), LoginPdu.versionMin(b), LoginPdu.isid(b), LoginPdu.tsih(b),
        pdu.initiatorTaskTag(), LoginPdu.cid(b), b.getInt(LoginPdu.CMD_SN_OFFSET),
        b.getInt(LoginPdu.EXP_STAT_SN_OFFSET), pdu.dataBytes());
  }
}
