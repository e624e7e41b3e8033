package io.cleave.forkd;

/** SIGKILL for processes forkd found in its own cgroups (pids it just listed there). */
final class Kill {
  private Kill() {}

  static void pid(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
