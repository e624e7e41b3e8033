package io.cleave.forkd.api;

import java.util.Map;

/**
 * {@code GET /v1/stats}: what this node's remote forks and page server did since forkd started
 * counting ({@code sinceMs}, epoch milliseconds; a restarted forkd counts from 0 again). Every
 * number only grows while {@code sinceMs} stays the same.
 *
 * @param remoteForks remote children started on this node and what they fetched
 * @param pageserver what this node's page server served to restorers on any node
 */
public record ForkdStats(long sinceMs, RemoteForks remoteForks, PageServer pageserver) {

  /**
   * Remote forks of this node: children started (ready), starts that failed by reason
   * ({@link RemoteForkFailure} wire names), and the seed's pages the children got, from the
   * network (the seed's page server) or from this node's page cache, with the bytes they read
   * from the network (descriptors and pages); {@code prefetchedPages} of those pages were
   * installed before the child ran, from the working set an earlier child of the same seed
   * recorded on this node (prefetch hits). Fetch counts come from the children's restorers
   * (rewritten at most once a second while they change; a child's last second before it is
   * killed may be missing).
   */
  public record RemoteForks(long started, Map<String, Long> failed, long networkPages, long cachePages,
      long networkBytes, long prefetchedPages) {
    public RemoteForks {
      failed = Map.copyOf(failed);
    }
  }

  /**
   * This node's page server, summed over the handles of the seeds prepared here: restorer
   * connections that fetched a descriptor, pages served and the bytes of those pages.
   * Counted until a handle is revoked or the page server restarts, as last sampled.
   */
  public record PageServer(long connections, long pagesServed, long bytesSent) {}
}
