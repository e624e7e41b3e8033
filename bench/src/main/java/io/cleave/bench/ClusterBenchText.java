package io.cleave.bench;

import io.vertx.core.json.JsonObject;

/** What each figure of the cluster benchmark's summary.json means (its "definitions"). */
final class ClusterBenchText {
  private ClusterBenchText() {}

  static JsonObject definitions() {
    return new JsonObject()
        .put("<fn>.<mode>_p50_ms, _p99_ms", "end-to-end latency of a call as the client sees it (request sent to whole answer"
            + " received, through a node's gateway), the function's own work included; counted only when the answer was 2xx"
            + " and its Cleave-Start-Mode was the mode's")
        .put("pages_fetched_ratio", "of the pages the remote children on the restoring nodes needed over the run, the"
            + " share fetched over the network from the seed's page server (the rest came from each node's page cache);"
            + " from the nodes' cleave_remote_fork_pages_total counters")
        .put("<fn>.cold_*", "a standalone `cleave server --policy cold-only` on this machine (outside the cluster, started"
            + " before it): every call a fresh instance started for it, no seed anywhere; the first call (which also unpacks"
            + " the bundle) is not counted")
        .put("<fn>.local_fork_*", "calls to the gateway of the seed's node (node 1, where the function's first call made the"
            + " cluster's one seed) while that node ran no instance of it: each served by a fork of the seed there")
        .put("<fn>.remote_fork_*", "calls to the gateways of the other nodes while they ran no instance of it (every instance"
            + " idled out, idle_timeout 1 s): each served by a child restored there from node 1's seed over the bridge;"
            + " bursts of settings.burst concurrent calls, one node at a time")
        .put("<fn>.warm_*", "back-to-back calls to the other nodes, served by an idle instance there")
        .put("<fn>.cold_over_<mode>_p50", "cold p50 / that mode's p50: how many times faster than a cold start")
        .put("<fn>.first_call_in_cluster_ms", "the function's first call, on node 1: a cold start with the cluster's seed"
            + " starting beside it (one call, not in cold_*)")
        .put("<fn>.*_init_p50_ms", "the answering node's activation records: init_ms, the invoker's time to get the instance"
            + " ready (whole ms)")
        .put("<fn>.remote_forks_by_seed_node", "remote-fork calls by the activation's seed_node (the node whose seed the"
            + " child was restored from)")
        .put("remote_fork_rate_per_s", "hello: best rate round; a round sends settings.rate_burst calls to each node without"
            + " the seed at once, while none runs an instance, each asking the function to hold its instance"
            + " settings.rate_hold_ms before answering (so every call needs a child of its own); rate = remote-fork answers"
            + " / (last such answer less the hold - first send)")
        .put("remote_fork_cpu_ms_per_fork", "hello: in the best rate round, the CPU time the nodes' processes used from its"
            + " first send to its last answer (the hold included: held restorers and slots made again meanwhile count), less"
            + " what they used at their idle pace (read for 0.5 s before the round) over as long, per node and never below"
            + " zero, per remote fork counted (noisy: a node still ending the last round's children idles busy);"
            + " processes are each node's server and every process below it that /proc shows at the readings (forkd, page"
            + " server, containers, restorers, instances), so what ended between readings is missed; rate_rounds[] has"
            + " cpu_ms_by_node and idle_cpu_ms_by_node, node 1 (the seed's) first")
        .put("<fn>.jit_warmup", "warm calls on every node at once, in rounds of a second, before anything was timed, until"
            + " the servers' JIT compiler threads used under a tenth of a core in a round (at least 3 rounds, at most"
            + " settings.jit_warmup_seconds)")
        .put("seeds_per_function", "the most seeds one function had at any sample of the nodes' /metrics cleave_seeds, summed"
            + " over the nodes; sampled every 250 ms from the function's deployment until its seed was gone after deleting"
            + " it (one function is deployed at a time, so the seeds counted are its own); the gauge is recounted every second")
        .put("machine.load_average_*", "1-minute load average (/proc/loadavg) when the run started and when the measurements"
            + " ended")
        .put(MachineCosts.DEFINED, MachineCosts.DEFINITION);
  }
}
