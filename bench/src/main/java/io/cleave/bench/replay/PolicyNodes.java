package io.cleave.bench.replay;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * The nodes one policy of a comparison runs on: started fresh for that policy (no instance, seed
 * or registry entry left from another) and stopped after it. One standalone server, or the nodes
 * of a cluster; a replay spreads its calls over all of them and sums their {@code /metrics}.
 */
public interface PolicyNodes extends AutoCloseable {
  /** Each node's API and gateway URL, node 1 first. */
  List<URI> urls();

  /** An admin key every node accepts. */
  String adminKey();

  /** Stops the nodes and whatever they started; never throws, so a comparison's failure is the one reported. */
  @Override
  void close();

  /** Starts the nodes of one policy; {@code dir} is that policy's output directory (logs go there). */
  @FunctionalInterface
  interface Starter {
    PolicyNodes start(String policy, Path dir) throws IOException;
  }
}
