package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.cleave.common.model.StartMode;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/instances}: start a cold instance, a seed (started cold, {@code seed} true), or a
 * fork of a seed. For {@link StartMode#FORK} only {@code fnId}, {@code appId}, {@code memoryMb},
 * {@code env} and {@code seedId} matter: the child runs the seed's bundle and command.
 *
 * <p>On the wire a seed's {@code mode} is {@code "seed"}, so the JSON keeps one field for both.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StartRequest(
    String fnId,
    String appId,
    String bundleDir,
    Integer memoryMb,
    List<String> command,
    Map<String, String> env,
    @JsonIgnore StartMode mode,
    @JsonIgnore boolean seed,
    String seedId) {

  private static final String SEED = "seed";

  public static StartRequest cold(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.COLD, false, null);
  }

  public static StartRequest seed(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.COLD, true, null);
  }

  public static StartRequest fork(String seedId, String fnId, String appId, int memoryMb,
      Map<String, String> env) {
    return new StartRequest(fnId, appId, null, memoryMb, null, env, StartMode.FORK, false, seedId);
  }

  /** {@code cold}, {@code seed} or {@code fork}: forkd starts no other way. */
  @JsonCreator
  static StartRequest fromWire(
      @JsonProperty("fn_id") String fnId,
      @JsonProperty("app_id") String appId,
      @JsonProperty("bundle_dir") String bundleDir,
      @JsonProperty("memory_mb") Integer memoryMb,
      @JsonProperty("command") List<String> command,
      @JsonProperty("env") Map<String, String> env,
      @JsonProperty("mode") String mode,
      @JsonProperty("seed_id") String seedId) {
    boolean seed = SEED.equals(mode);
    StartMode startMode = mode == null ? null : seed ? StartMode.COLD : StartMode.fromWireName(mode);
    if (startMode != null && startMode != StartMode.COLD && startMode != StartMode.FORK) {
      throw new IllegalArgumentException("mode must be one of cold, seed, fork");
    }
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, startMode, seed, seedId);
  }

  @JsonProperty("mode")
  String wireMode() {
    return seed ? SEED : mode == null ? null : mode.wireName();
  }
}
