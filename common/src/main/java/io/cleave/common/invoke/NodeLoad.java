package io.cleave.common.invoke;

import java.util.Map;

/**
 * What a node's invoker holds now, as the cluster sees it: memory for instances and seeds (all of
 * it counted, reserved or in use), its instances by state, and {@code forksFrom}: children started
 * on it since it started, by the node whose seed they came from (its own for local forks; null from
 * a node that does not count them).
 */
public record NodeLoad(String node, long capacityMb, long reservedMb, int starting, int idle, int busy, int seeds,
    Map<String, Long> forksFrom) {

  public long freeMb() {
    return Math.max(0, capacityMb - reservedMb);
  }
}
