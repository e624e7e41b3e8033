package io.cleave.forkd.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.cleave.common.model.FnNetwork;
import io.cleave.common.model.StartMode;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/instances}: start a cold instance, a seed (started cold, {@code seed} true), a
 * fork of a seed on this node, or a remote fork of a seed prepared on any node. For
 * {@link StartMode#FORK} only {@code fnId}, {@code appId}, {@code memoryMb}, {@code env} and
 * {@code seedId} matter: the child runs the seed's bundle and command. {@code prepare} (seeds only)
 * snapshots the seed for remote forks once it is ready. For {@link StartMode#REMOTE_FORK},
 * {@code remote} names the snapshot and {@code bundleDir} is this node's copy of the seed's bundle;
 * {@code command} is ignored. {@code network} is the function's (absent on the wire means
 * {@link FnNetwork#NONE}, loopback only); a fork child shares its seed's network, so a fork's is ignored.
 *
 * <p>{@code keep} (seeds only) starts a <em>kept instance</em> for a flow's fork edges: it serves
 * calls on its listener like a cold instance, keeps what the function passed to
 * {@code fdk.state.keep}, and forks children on order like a seed. A fork of a kept instance
 * names the consumer's code: {@code bundleDir} and {@code command} are the consumer function's,
 * and the child loads that function instead of the kept one's (same interpreter required).
 *
 * <p>{@code jvm} (cold starts only) starts a <em>JVM seed</em>: {@code command} runs a JVM that
 * hosts several instances of the function, and its first instance serves calls at once. Later
 * instances in it are {@link StartMode#INSTANCE} starts naming it as {@code seedId} (the
 * {@code seedId} of the first instance's answer); only {@code fnId}, {@code appId},
 * {@code memoryMb} and {@code env} matter for them. A JVM seed never forks.
 *
 * <p>{@code after} (forks of a kept instance only) names the producer's call the child must
 * follow: the kept instance takes the order while that call runs (or before it arrives) and forks
 * the moment it answered it, so the fork does not wait for the answer to travel to the invoker and
 * the order back; forkd waits up to {@code waitSeconds} (the call's own timeout) beyond its start
 * timeout for it. A child of a call that failed is refused (502).
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
    String seedId,
    Boolean prepare,
    RemoteRef remote,
    @JsonIgnore FnNetwork network,
    Boolean keep,
    Boolean jvm,
    ForkAfter after) {

  private static final String SEED = "seed";

  /** The kept instance's call whose answered state a fork's child holds ({@code Fn-Call-Id}), and how long it may run. */
  public record ForkAfter(String callId, int waitSeconds) {}

  public StartRequest {
    network = network == null ? FnNetwork.NONE : network;
  }

  public static StartRequest cold(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.COLD, false, null, null, null,
        FnNetwork.NONE, null, null, null);
  }

  public static StartRequest seed(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.COLD, true, null, null, null,
        FnNetwork.NONE, null, null, null);
  }

  /** A seed that is also snapshotted for remote forks once it is ready (answered as {@code remote}). */
  public static StartRequest preparedSeed(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.COLD, true, null, true, null,
        FnNetwork.NONE, null, null, null);
  }

  public static StartRequest fork(String seedId, String fnId, String appId, int memoryMb,
      Map<String, String> env) {
    return new StartRequest(fnId, appId, null, memoryMb, null, env, StartMode.FORK, false, seedId, null, null,
        FnNetwork.NONE, null, null, null);
  }

  /** A child of a seed prepared on any node, resumed here with this node's copy of its bundle. */
  public static StartRequest remoteFork(RemoteRef remote, String fnId, String appId, String bundleDir,
      int memoryMb, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, null, env, StartMode.REMOTE_FORK, false, null, null,
        remote, FnNetwork.NONE, null, null, null);
  }

  /** The same request for a function whose instances get {@code network}. */
  public StartRequest withNetwork(FnNetwork network) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, mode, seed, seedId, prepare, remote,
        network, keep, jvm, after);
  }

  /** A kept instance: serves the flow producer's call, then forks consumers from what it kept. */
  public static StartRequest kept(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.COLD, true, null, null, null,
        FnNetwork.NONE, true, null, null);
  }

  /**
   * A child of kept instance {@code keptId} that runs the consumer function of {@code bundleDir} and
   * {@code command}, forked once the instance answered the call {@code after} names (null: now).
   */
  public static StartRequest forkOfKept(String keptId, String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env, ForkAfter after) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.FORK, false, keptId, null,
        null, FnNetwork.NONE, null, null, after);
  }

  /** A JVM seed whose first instance serves calls at once ({@code command} runs the JVM). */
  public static StartRequest jvmSeed(String fnId, String appId, String bundleDir, int memoryMb,
      List<String> command, Map<String, String> env) {
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, StartMode.COLD, false, null, null, null,
        FnNetwork.NONE, null, true, null);
  }

  /** A new instance inside running JVM seed {@code jvmSeedId}, with its own config ({@code env}). */
  public static StartRequest instance(String jvmSeedId, String fnId, String appId, int memoryMb,
      Map<String, String> env) {
    return new StartRequest(fnId, appId, null, memoryMb, null, env, StartMode.INSTANCE, false, jvmSeedId, null, null,
        FnNetwork.NONE, null, null, null);
  }

  /** {@code cold}, {@code seed}, {@code fork}, {@code remote-fork} or {@code instance}: forkd starts no other way. */
  @JsonCreator
  static StartRequest fromWire(
      @JsonProperty("fn_id") String fnId,
      @JsonProperty("app_id") String appId,
      @JsonProperty("bundle_dir") String bundleDir,
      @JsonProperty("memory_mb") Integer memoryMb,
      @JsonProperty("command") List<String> command,
      @JsonProperty("env") Map<String, String> env,
      @JsonProperty("mode") String mode,
      @JsonProperty("seed_id") String seedId,
      @JsonProperty("prepare") Boolean prepare,
      @JsonProperty("remote") RemoteRef remote,
      @JsonProperty("network") String network,
      @JsonProperty("keep") Boolean keep,
      @JsonProperty("jvm") Boolean jvm,
      @JsonProperty("after") ForkAfter after) {
    boolean seed = SEED.equals(mode);
    StartMode startMode = mode == null ? null : seed ? StartMode.COLD : StartMode.fromWireName(mode);
    if (startMode != null && startMode != StartMode.COLD && startMode != StartMode.FORK
        && startMode != StartMode.REMOTE_FORK && startMode != StartMode.INSTANCE) {
      throw new IllegalArgumentException("mode must be one of cold, seed, fork, remote-fork, instance");
    }
    return new StartRequest(fnId, appId, bundleDir, memoryMb, command, env, startMode, seed, seedId, prepare, remote,
        network == null ? null : FnNetwork.fromWireName(network), keep, jvm, after);
  }

  @JsonProperty("mode")
  String wireMode() {
    return seed ? SEED : mode == null ? null : mode.wireName();
  }

  /** Left out for loopback-only functions, so a forkd that predates the field reads the request as before. */
  @JsonProperty("network")
  String wireNetwork() {
    return network == FnNetwork.NONE ? null : network.wireName();
  }
}
