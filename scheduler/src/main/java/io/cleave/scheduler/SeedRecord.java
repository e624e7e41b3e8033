package io.cleave.scheduler;

/**
 * A cluster's seed of one function version, as the seed directory holds it.
 *
 * @param node the node holding the seed (its invoker's node id)
 * @param member the Hazelcast member of that node: its records go when the member leaves
 * @param ready false while the seed starts; children are made only from a ready seed
 * @param remote where other nodes restore children from; null when the node offers no remote fork
 */
public record SeedRecord(String fnId, String version, String node, String member, boolean ready, RemoteSeed remote) {

  public SeedKey key() {
    return new SeedKey(fnId, version);
  }

  public SeedRecord asReady(RemoteSeed remote) {
    return new SeedRecord(fnId, version, node, member, true, remote);
  }
}
