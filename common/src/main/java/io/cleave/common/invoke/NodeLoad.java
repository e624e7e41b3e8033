package io.cleave.common.invoke;

/**
 * What a node's invoker holds now, as the cluster sees it: memory for instances and seeds (all of
 * it counted, reserved or in use) and its instances by state.
 */
public record NodeLoad(String node, long capacityMb, long reservedMb, int starting, int idle, int busy, int seeds) {

  public long freeMb() {
    return Math.max(0, capacityMb - reservedMb);
  }
}
