package io.cleave.common.config;

import java.lang.management.ManagementFactory;

/**
 * Bounds on what one HTTP client may hold of the API server: how long a connection may take to
 * send its request headers, its body, or sit idle between requests, and how many connections one
 * client address and all clients together may have open. Without them, a client holding
 * connections (or sending a byte now and then) exhausts the server's file descriptors.
 *
 * @param headerTimeoutSeconds a new connection's first request headers must be complete within it
 * @param bodyTimeoutSeconds a request's body must be complete within it of its headers (408 beyond)
 * @param idleTimeoutSeconds a connection idle this long after a response (the next request's
 *     headers incomplete) is closed; never while a call runs
 * @param maxConnections most connections open at once, all clients together; 0 means half the
 *     process's open-file limit, leaving the rest to the registry, bundles and instances
 * @param maxConnectionsPerClient most connections open at once from one client address
 */
public record HttpEdgeLimits(int headerTimeoutSeconds, int bodyTimeoutSeconds, int idleTimeoutSeconds,
    int maxConnections, int maxConnectionsPerClient) {

  /**
   * 10 s for headers (any real client sends them at once), 120 s for a body (a 64 MB bundle at
   * 0.5 MB/s), 30 s idle; 512 connections per client (the benchmarks' 256 calls in flight and the
   * CLI beside them).
   */
  public static final HttpEdgeLimits DEFAULT = new HttpEdgeLimits(10, 120, 30, 0, 512);

  public HttpEdgeLimits {
    if (headerTimeoutSeconds < 1 || bodyTimeoutSeconds < 1 || idleTimeoutSeconds < 1) {
      throw new IllegalArgumentException("HTTP timeouts must be at least 1 second");
    }
    if (maxConnections < 0 || maxConnectionsPerClient < 1) {
      throw new IllegalArgumentException(
          "max connections must be at least 0 (0: from the open-file limit), per client at least 1");
    }
  }

  /** The global connection cap in force: as configured, or half the open-file limit of this process. */
  public int effectiveMaxConnections() {
    if (maxConnections > 0) {
      return maxConnections;
    }
    long openFiles = ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : 4096;
    return (int) Math.max(16, Math.min(Integer.MAX_VALUE, openFiles / 2));
  }
}
