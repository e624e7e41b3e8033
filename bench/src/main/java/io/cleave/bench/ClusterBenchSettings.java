package io.cleave.bench;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * How much the cluster benchmark measures. Counts are per function.
 *
 * @param nodes cluster nodes; node 1 holds the seeds, the others restore children of them
 * @param coldCalls counted calls on the cold-only server
 * @param warmupCalls uncounted back-to-back calls on every node first (the fresh nodes' JIT)
 * @param warmupRounds uncounted rounds first (the start paths' JIT, connections)
 * @param rounds counted rounds: in each, once every instance idled out, a burst on node 1 (local
 *     forks), then one on each other node in turn (remote forks)
 * @param burst concurrent calls per node and round; with more than one, a call may find another
 *     call's fresh instance free before its own is up and be served warm (not counted), which
 *     leaves the slower starts unseen, so one call is the default
 * @param warmCalls calls to idle instances on the nodes without the seed, in turn
 * @param rateRounds rounds of the rate test: {@code rateBurst} calls to every node without the seed at once
 * @param rateBurst calls per node in a rate round
 * @param imageDir the photographs the image function reads
 * @param forkAhead the nodes' {@code --fork-ahead}: 2 (the server's default, and this one's) lets
 *     calls take children forked or restored ahead; 0 times every fork and remote fork made when
 *     its call comes
 * @param rateWarmupRounds uncounted rate rounds before the counted ones, at most: until the
 *     servers' JIT compilers settled over one (the remote-fork path, which warm calls never take)
 * @param jitWarmupSeconds at most this long, warm calls on every node at once before anything is
 *     timed, until the servers' JIT settled (0: none)
 */
public record ClusterBenchSettings(int nodes, int coldCalls, int warmupCalls, int warmupRounds, int rounds, int burst, int warmCalls,
    int rateRounds, int rateBurst, Path imageDir, int forkAhead, int rateWarmupRounds, int jitWarmupSeconds) {

  public static final int MIN_NODES = 2;
  public static final int MAX_NODES = 8;

  public ClusterBenchSettings {
    if (nodes < MIN_NODES || nodes > MAX_NODES) {
      throw new IllegalArgumentException("--nodes must be between " + MIN_NODES + " and " + MAX_NODES + " (one node holds"
          + " the seeds, the others restore children of them), got " + nodes);
    }
    if (coldCalls < 1 || rounds < 1 || burst < 1 || warmCalls < 1 || rateRounds < 1 || rateBurst < 1 || warmupCalls < 0
        || warmupRounds < 0 || forkAhead < 0 || jitWarmupSeconds < 0
        || rateWarmupRounds < 0) {
      throw new IllegalArgumentException("every count must be at least 1 (warm-up calls and rounds, fork-ahead, rate warm-up"
          + " rounds and JIT warm-up seconds at least 0)");
    }
  }

  /** A few minutes on a 2-core machine with 3 nodes. */
  public static ClusterBenchSettings full(int nodes, Path imageDir) {
    return new ClusterBenchSettings(nodes, 10, 200, 2, 20, 1, 200, 3, 16, imageDir, 2, 6, 30);
  }

  /** About two minutes with 3 nodes, cluster start and teardown included. */
  public static ClusterBenchSettings quick(int nodes, Path imageDir) {
    return new ClusterBenchSettings(nodes, 4, 50, 1, 6, 1, 40, 2, 8, imageDir, 2, 6, 30);
  }

  JsonObject toJson() {
    return new JsonObject().put("nodes", nodes).put("cold_calls", coldCalls).put("warmup_calls", warmupCalls)
        .put("warmup_rounds", warmupRounds)
        .put("rounds", rounds).put("burst", burst).put("warm_calls", warmCalls).put("rate_rounds", rateRounds)
        .put("rate_burst", rateBurst).put("image_dir", imageDir.toString()).put("fork_ahead", forkAhead)
        .put("rate_warmup_rounds", rateWarmupRounds).put("jit_warmup_seconds", jitWarmupSeconds);
  }
}
