package io.cleave.forkd;

import io.cleave.common.model.FnNetwork;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The checked parts of a start request that every mode shares: whose instance, how big, its env,
 * its network (a fork child's is its seed's, whatever its request says).
 */
record StartSpec(String fnId, String appId, int memoryMb, Map<String, String> env, FnNetwork network) {
  private static final long MIB = 1024 * 1024;

  long memoryBytes() {
    return memoryMb * MIB;
  }

  /** CPU follows memory, as on Lambda: 1024 MB weighs like one ordinary process. */
  int cpuShares() {
    return Math.max(2, Math.min(262_144, memoryMb));
  }

  /**
   * The cpu this instance may use at most, in microseconds per {@link CgroupLayout#CPU_PERIOD_US}:
   * {@code memoryMb / mbPerCpu} cpus, at least a tenth of one, so an instance cannot go on
   * burning the node's cpu between its calls; -1 (no quota) when {@code mbPerCpu} is 0.
   */
  long cpuQuotaUs(int mbPerCpu) {
    if (mbPerCpu == 0) {
      return -1;
    }
    return Math.max(CgroupLayout.CPU_PERIOD_US / 10, memoryMb * CgroupLayout.CPU_PERIOD_US / mbPerCpu);
  }

  /** {@code defaults}, the request's env over them, then the FN_ variables every instance gets. */
  Map<String, String> instanceEnv(Map<String, String> defaults) {
    Map<String, String> out = new LinkedHashMap<>(defaults);
    out.putAll(env);
    out.put("FN_FORMAT", "http-stream");
    out.put("FN_APP_ID", appId);
    out.put("FN_FN_ID", fnId);
    out.put("FN_MEMORY", Integer.toString(memoryMb));
    return out;
  }
}
