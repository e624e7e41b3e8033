package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/instances}: start a cold instance, a seed, or a fork of a seed.
 * For {@link Mode#FORK} only {@code fnId}, {@code appId}, {@code memoryMb}, {@code env} and
 * {@code seedId} matter: the child runs the seed's bundle and command.
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
    String seedId) {

  /** How the instance comes to life. */
  public enum Mode {
    COLD("cold"),
    SEED("seed"),
    FORK("fork");

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
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, Mode.COLD, null);
  }

  public static StartRequest seed(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, Mode.SEED, null);
  }

  public static StartRequest fork(String seedId, String fnId, String appId, int memoryMb,
      Map<String, String> env) {
    return new StartRequest(fnId, appId, null, memoryMb, null, env, Mode.FORK, seedId);
  }
}
