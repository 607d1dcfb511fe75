package io.cairn.datapath.iscsi.negotiation;

/**
 * A negotiation problem that ends the login: carries the Login Response status (Status-Class in
 * the high byte, Status-Detail in the low byte, RFC 7143 section 11.13.5).
 */
public final class NegotiationException extends Exception {

  private static final long serialVersionUID = 1L;

  private final int loginStatus;

  public NegotiationException(int loginStatus, String message) {
    super(message, null, false, false);
    this.loginStatus = loginStatus;
  }

  public int loginStatus() {
    return loginStatus;
  }
}
