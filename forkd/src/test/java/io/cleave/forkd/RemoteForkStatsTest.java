package io.cleave.forkd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteForkStatsTest {
  @TempDir
  Path dir;

  private long[] read(String line) throws Exception {
    Path file = dir.resolve("restore-stats.json");
    Files.writeString(file, line);
    return RemoteForkStats.readRestorerStats(file);
  }

  @Test
  void twinRestorerCountsAreTakenAsTheyAre() throws Exception {
    assertArrayEquals(new long[] {12, 30, 49152, 20},
        read("{\"faults\": 3, \"net_pages\": 12, \"cache_pages\": 30, \"net_bytes\": 49152, \"prefetched\": 20}"));
  }

  @Test
  void pagesReadByRdmaCountAsFetchedOverTheNetwork() throws Exception {
    // The line cleave-restore writes after a resume through the kernel module (modresume.c).
    assertArrayEquals(new long[] {7, 0, 8192 + 5 * 4096, 5},
        read("{\"exit\": 0, \"module\": true, \"run_ms\": 3.1, \"faults\": 9, \"net_pages\": 2, \"net_bytes\": 8192,"
            + " \"cache_pages\": 0, \"net_batches\": 1, \"zero_pages\": 0, \"cache_hits\": 0, \"prefetched\": 5,"
            + " \"seed_rss_pages\": 400, \"seed_fetch_pages\": 60, \"transport\": \"rdma\", \"rdma_pages\": 5,"
            + " \"rdma_reads\": 2}"));
  }

  @Test
  void aMalformedOrNegativeLineIsNoCount() throws Exception {
    assertNull(read("{\"net_pages\": 2, \"cache_pages\": 0, \"net_bytes\": 8192, \"prefetched\": 5, \"rdma_pages\": -1}"));
    assertNull(read("{\"net_pages\": \"many\", \"cache_pages\": 0, \"net_bytes\": 0, \"prefetched\": 0}"));
    assertNull(read("not json"));
  }
}
