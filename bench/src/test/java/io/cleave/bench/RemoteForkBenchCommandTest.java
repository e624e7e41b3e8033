package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** kmod's benchmark summary as the table {@code cleave bench remote-fork} prints. */
class RemoteForkBenchCommandTest {

  @Test
  void rowsPerVariantWithRatiosAgainstColdAndOnlyWhatWasMeasured() {
    JsonObject summary = new JsonObject("""
        {"hello": {"remote_fork_p50_ms": 2.5, "remote_fork_p90_ms": 2.9, "cold_p50_ms": 12.0, "cold_p90_ms": 14.0,
                   "cold_over_remote_fork": 4.8, "pages_fetched": 232, "seed_rss_pages": 1530},
         "image": {"remote_fork_p50_ms": 9.7, "remote_fork_p90_ms": 11.7, "cold_p50_ms": 118.7, "cold_p90_ms": 145.9,
                   "cold_over_remote_fork": 12.22},
         "resume_first_instruction": {"lazy_p50_ms": 5.4},
         "prepare": [{"rss_mb": 0, "prepare_ms": 8.7, "rss_bytes": 14680064}]}""");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RemoteForkBenchCommand.print(summary, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String table = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(table.contains("remote fork (lazy + prefetch + node cache)   2.5 / 2.9"), table);
    assertTrue(table.contains("12.22"), table);
    assertTrue(table.contains("cold start") && table.contains("118.7 / 145.9"), table);
    assertFalse(table.contains("eager"), "variants the run did not measure stay out:\n" + table);
    assertTrue(table.contains("hello: lazy paging fetched 232 of 1530"), table);
    assertTrue(table.contains("14 MiB 8.7 ms"), table);
  }
}
