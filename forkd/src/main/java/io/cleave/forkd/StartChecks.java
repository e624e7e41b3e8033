package io.cleave.forkd;

import io.cleave.forkd.api.StartRequest;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Checks of {@code POST /v1/instances} requests: each bad field is a 400 that says what is wrong. */
final class StartChecks {
  private static final long MIB = 1024 * 1024;
  private static final int MIN_MEMORY_MB = 16;

  private final Path dataDir;
  private final long memTotalBytes = ProcFs.memTotalBytes();

  StartChecks(Path dataDir) {
    this.dataDir = dataDir;
  }

  /** What every mode needs: a mode, the ids, memory within the node's, an env the kernel takes. */
  StartSpec spec(StartRequest r) {
    if (r.mode() == null) {
      throw bad("mode must be one of cold, seed, fork, remote-fork, instance");
    }
    String fnId = required(r.fnId(), "fn_id");
    String appId = required(r.appId(), "app_id");
    return new StartSpec(fnId, appId, memory(r.memoryMb()), checkedEnv(r.env()), r.network());
  }

  static String required(String value, String field) {
    if (value == null || value.isBlank()) {
      throw bad(field + " is required");
    }
    return value;
  }

  private int memory(Integer memoryMb) {
    if (memoryMb == null) {
      throw bad("memory_mb is required");
    }
    long maxMb = memTotalBytes / MIB;
    if (memoryMb < MIN_MEMORY_MB || memoryMb > maxMb) {
      throw bad("memory_mb must be within " + MIN_MEMORY_MB + ".." + maxMb + ", got " + memoryMb);
    }
    return memoryMb;
  }

  private static Map<String, String> checkedEnv(Map<String, String> env) {
    if (env == null) {
      return Map.of();
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      String k = e.getKey();
      if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0) {
        throw bad("env name '" + k + "' is not a valid variable name");
      }
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw bad("env " + k + " needs a string value without NUL bytes");
      }
    }
    return env;
  }

  /** The bundle dir, resolved: the container binds what it really is. */
  Path bundle(String bundleDir) {
    String dir = required(bundleDir, "bundle_dir");
    Path p = Path.of(dir);
    if (!p.isAbsolute()) {
      throw bad("bundle_dir must be an absolute path, got " + dir);
    }
    if (!Files.isDirectory(p)) {
      throw bad("bundle_dir " + dir + " is not a directory");
    }
    try {
      return p.toRealPath();
    } catch (IOException e) {
      throw bad("bundle_dir " + dir + ": " + e.getMessage());
    }
  }

  /** command[0] must be an executable the container can see: the read-only host root or /function. */
  List<String> command(List<String> command, Path bundle) {
    if (command == null || command.isEmpty()) {
      throw bad("command is required (a non-empty array)");
    }
    for (String arg : command) {
      if (arg == null || arg.indexOf('\0') >= 0) {
        throw bad("command arguments must be strings without NUL bytes");
      }
    }
    String exe = command.get(0);
    if (!exe.startsWith("/")) {
      throw bad("command[0] must be an absolute path, got " + exe);
    }
    Path inside = Path.of(exe).normalize();
    Path host;
    if (inside.startsWith("/function")) {
      host = bundle.resolve(Path.of("/function").relativize(inside).toString()).normalize();
      if (!host.startsWith(bundle)) {
        throw bad("command[0] " + exe + " leaves /function");
      }
    } else if (Stream.of("/tmp", "/proc", "/dev", "/cleave").anyMatch(inside::startsWith)
        || inside.startsWith(dataDir)) {
      throw bad("command[0] " + exe + " is not visible inside the container");
    } else {
      host = inside;
    }
    try {
      if (!Files.isRegularFile(host)
          || !Files.getPosixFilePermissions(host).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        throw bad("command[0] " + exe + " is not an executable file for an unprivileged user");
      }
    } catch (IOException e) {
      throw bad("command[0] " + exe + " does not exist");
    }
    return command;
  }

  static ApiError bad(String message) {
    return new ApiError(400, message);
  }

  /** The kept instance's call a child follows: for kept instances only, a call id and a wait within an hour. */
  static StartRequest.ForkAfter after(Instance.Seed from, StartRequest r) {
    StartRequest.ForkAfter after = r.after();
    if (after == null) {
      return null;
    }
    if (!from.kept) {
      throw bad("after is for forks of a kept instance");
    }
    if (after.callId() == null || after.callId().isEmpty() || after.callId().length() > 200
        || after.waitSeconds() < 0 || after.waitSeconds() > 3600) {
      throw bad("after needs a call_id (1-200 characters) and wait_seconds within 0-3600");
    }
    return after;
  }
}
