package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import io.cleave.forkd.api.ForkdStats;
import io.cleave.forkd.api.RemoteForkFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.json.WireJson;

/**
 * What {@code GET /v1/stats} answers (docs/CONTRACTS.md): remote fork starts and failures on
 * this node, what its remote children fetched (from their restorers' stats files), and what its
 * page server served (sampled per handle of the seeds prepared here). Counts since forkd started.
 */
final class RemoteForkStats {
  /** Restorer counters kept per remote child: network pages, cache pages, network bytes, prefetched pages. */
  static final int NET_PAGES = 0;
  static final int CACHE_PAGES = 1;
  static final int NET_BYTES = 2;
  static final int PREFETCHED = 3;
  /** Page server counters kept per handle: connections, pages served, bytes sent. */
  static final int CONNECTIONS = 0;
  static final int PAGES_SERVED = 1;
  static final int BYTES_SENT = 2;
  private static final long PAGE_BYTES = 4096;
  /** A restorer's stats line is a few hundred bytes; more is not one. */
  private static final int MAX_STATS_BYTES = 4096;

  final Tally children = new Tally(4);
  final Tally handles = new Tally(3);
  private final long sinceMs = System.currentTimeMillis();
  private final Map<RemoteForkFailure, Long> failed = new EnumMap<>(RemoteForkFailure.class);
  private long started;

  synchronized void started() {
    started++;
  }

  synchronized void failed(RuntimeException e) {
    failed.merge(e instanceof ApiError api ? reason(api) : RemoteForkFailure.ERROR, 1L, Long::sum);
  }

  ForkdStats snapshot() {
    long[] fetched = children.total();
    long[] served = handles.total();
    long startedNow;
    Map<String, Long> failedNow = new LinkedHashMap<>();
    synchronized (this) {
      startedNow = started;
      failed.forEach((reason, n) -> failedNow.put(reason.wireName(), n));
    }
    return new ForkdStats(sinceMs,
        new ForkdStats.RemoteForks(startedNow, failedNow, fetched[NET_PAGES], fetched[CACHE_PAGES], fetched[NET_BYTES],
            fetched[PREFETCHED]),
        new ForkdStats.PageServer(served[CONNECTIONS], served[PAGES_SERVED], served[BYTES_SENT]));
  }

  /**
   * Why a remote fork start failed, from forkd's answer: a refusing restorer's words name the
   * cause (cleave_strerror in kmod/user/errors.c), the status the rest.
   */
  static RemoteForkFailure reason(ApiError e) {
    String m = e.getMessage() == null ? "" : e.getMessage();
    return switch (e.status()) {
      case 400 -> RemoteForkFailure.BAD_REQUEST;
      case 501 -> RemoteForkFailure.UNAVAILABLE;
      case 503 -> m.contains("no free uid") ? RemoteForkFailure.NO_CAPACITY : RemoteForkFailure.UNAVAILABLE;
      case 504 -> RemoteForkFailure.TIMEOUT;
      case 502 -> {
        if (!m.contains("cleave-restore: refused")) {
          yield RemoteForkFailure.EXITED;
        } else if (m.contains("unknown or revoked handle")) {
          yield RemoteForkFailure.REVOKED;
        } else if (m.contains("wrong key")) {
          yield RemoteForkFailure.WRONG_KEY;
        } else if (m.contains("connect to page server") || m.contains("restore: page server")) {
          yield RemoteForkFailure.UNREACHABLE;
        } else if (m.contains("vDSO") || m.contains("CPU lacks") || m.contains("differs from the seed")
            || m.contains("missing here")) {
          yield RemoteForkFailure.MISMATCH;
        } else {
          yield RemoteForkFailure.REFUSED;
        }
      }
      default -> RemoteForkFailure.ERROR;
    };
  }

  /**
   * A remote child's restorer counters from its stats file (kmod: {@code cleave-restore
   * --stats}), or null when there is none yet or it is not one. The file is in the child's run
   * dir, which is closed once the child is ready, so what is there then stays: only a regular
   * file is read, never through a link, and only its first bytes.
   */
  static long[] readRestorerStats(Path file) {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      ByteBuffer buf = ByteBuffer.allocate(MAX_STATS_BYTES);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        while (buf.hasRemaining() && ch.read(buf) > 0) {
          // read up to the bound
        }
      }
      if (buf.position() == 0 || !buf.hasRemaining()) {
        return null; // being rewritten, or too long to be a stats line
      }
      JsonNode stats = WireJson.MAPPER.readTree(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
      long[] counts = {count(stats, "net_pages"), count(stats, "cache_pages"), count(stats, "net_bytes"),
          count(stats, "prefetched")};
      // A module resume over RDMA reads its pages from the seed's node too, outside the TCP counts
      // (the twin's restorer has no such field).
      long rdmaPages = stats.has("rdma_pages") ? count(stats, "rdma_pages") : 0;
      for (long c : counts) {
        if (c < 0 || rdmaPages < 0) {
          return null;
        }
      }
      counts[NET_PAGES] += rdmaPages;
      counts[NET_BYTES] += rdmaPages * PAGE_BYTES;
      return counts;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long count(JsonNode stats, String field) {
    JsonNode n = stats == null ? null : stats.get(field);
    return n != null && n.canConvertToLong() && n.isIntegralNumber() ? n.asLong() : -1;
  }
}
