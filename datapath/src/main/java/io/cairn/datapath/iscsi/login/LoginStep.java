package io.cairn.datapath.iscsi.login;

/**
 * What to answer one Login Request with.
 *
 * @param kind whether the login goes on, failed, or reached full feature phase
 * @param transit T bit of the response
 * @param currentStage CSG of the response
 * @param nextStage NSG of the response (meaningful with T)
 * @param status Login status (class and detail, {@link LoginStatus})
 * @param text the response's key=value text, possibly empty
 */
public record LoginStep(Kind kind, boolean transit, int currentStage, int nextStage, int status, byte[] text) {

  public enum Kind {
    /** Send the response and wait for the next Login Request. */
    CONTINUE,
    /** Send the response (a login reject) and close the connection. */
    FAIL,
    /** Send the final response (T=1, NSG=3): the connection enters full feature phase. */
    COMPLETE
  }

  static LoginStep fail(int stage, int status) {
    return new LoginStep(Kind.FAIL, false, stage, 0, status, new byte[0]);
  }
}
