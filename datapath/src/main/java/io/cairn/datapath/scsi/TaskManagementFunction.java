package io.cairn.datapath.scsi;

/** Task management functions of RFC 7143 section 11.5.1, with their function codes. */
public enum TaskManagementFunction {
  ABORT_TASK(1),
  ABORT_TASK_SET(2),
  CLEAR_ACA(3),
  CLEAR_TASK_SET(4),
  LOGICAL_UNIT_RESET(5),
  TARGET_WARM_RESET(6),
  TARGET_COLD_RESET(7),
  TASK_REASSIGN(8);

  public final int code;

  TaskManagementFunction(int code) {
    this.code = code;
  }

  /** The function with this code, or {@code null} when the code is not defined. */
  public static TaskManagementFunction of(int code) {
    for (TaskManagementFunction f : values()) {
      if (f.code == code) return f;
    }
    return null;
  }
}
