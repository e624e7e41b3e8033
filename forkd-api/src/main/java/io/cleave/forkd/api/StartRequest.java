package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/instances}: start a cold instance, a seed, a fork of a seed on this node, or a
 * remote fork of a seed prepared on any node.
 * For {@link Mode#FORK} only {@code fnId}, {@code appId}, {@code memoryMb}, {@code env} and
 * {@code seedId} matter: the child runs the seed's bundle and command. {@code prepare} (seeds
 * only) snapshots the seed for remote forks once it is ready. For {@link Mode#REMOTE_FORK},
 * {@code remote} names the snapshot and {@code bundleDir} is this node's copy of the seed's
 * bundle; {@code command} is ignored.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StartRequest(
    String fnId,
    String appId,
    String bundleDir,
    Integer memoryMb,
    List<String> command,
    Map<String, String> env,
    Mode mode,
    String seedId,
    Boolean prepare,
    RemoteRef remote) {

  /** How the instance comes to life. */
  public enum Mode {
    COLD("cold"),
    SEED("seed"),
    FORK("fork"),
    REMOTE_FORK("remote-fork");

    private final String wireName;

    Mode(String wireName) {
      this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
      return wireName;
    }
  }

  public static StartRequest cold(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, Mode.COLD, null, null, null);
  }

  public static StartRequest seed(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, Mode.SEED, null, null, null);
  }

  /** A seed that is also snapshotted for remote forks once it is ready (answered as {@code remote}). */
  public static StartRequest preparedSeed(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, Mode.SEED, null, true, null);
  }

  public static StartRequest fork(String seedId, String fnId, String appId, int memoryMb,
      Map<String, String> env) {
    return new StartRequest(fnId, appId, null, memoryMb, null, env, Mode.FORK, seedId, null, null);
  }

  /** A child of a seed prepared on any node, resumed here with this node's copy of its bundle. */
  public static StartRequest remoteFork(RemoteRef remote, String fnId, String appId, String bundleDir,
      int memoryMb, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, null, env, Mode.REMOTE_FORK, null, null, remote);
  }
}
