package io.cleave.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.bench.replay.BenchOptions;
import io.cleave.bench.replay.ExperimentCommand;
import io.cleave.bench.replay.PolicyServer;
import io.cleave.bench.replay.SharedData;
import io.cleave.client.PlatformClient;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave bench finra}: FINRA and the transfer micro-benchmark, copy edges against fork edges. */
@Command(
    name = "finra",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "MITOSIS's workflow experiment on a fresh server: FINRA (fetchPortfolioData and fetchMarketData, then",
      "runAuditRule mapped over N rules, then a merge) with copy edges and with fork edges, and a two-step",
      "transfer with payloads from 1 KB to 64 MB. Writes CSVs, PNGs and summary.json."
    })
public final class FinraBenchCommand extends ExperimentCommand {
  @Option(names = "--quick", description = "50 audit rules, 3 FINRA runs and 7 transfer runs per figure (default: 200 rules, 5 and 11)")
  boolean quick;

  @Option(names = "--rules", paramLabel = "N", description = "Audit rules (default: 200, 50 with --quick)")
  Integer rules;

  @Option(names = "--parallelism", paramLabel = "P", description = "runAuditRule calls at a time (default: ${DEFAULT-VALUE})")
  int parallelism = 8;

  @Mixin BenchOptions.OutputDir out = new BenchOptions.OutputDir(Path.of("bench-out", "finra"));

  @Mixin BenchOptions.ServerArgs servers;

  @Override
  protected int run() throws IOException {
    Path csv = SharedData.dir().resolve("finra").resolve("yfinance.csv");
    if (!Files.isRegularFile(csv)) {
      throw new IllegalStateException("no FINRA data at " + csv);
    }
    FinraBench.Settings settings = new FinraBench.Settings(rules != null ? rules : quick ? 50 : 200, quick ? 3 : 5,
        parallelism);
    Path dir = out.dir();
    Files.createDirectories(dir);
    System.out.println("measuring the machine's page fault and fork costs");
    MachineCosts costs = MachineCosts.measure();
    double loadAtStart = MachineCosts.loadAverage();
    Path data = Files.createTempDirectory("cleave-finra-");
    // The transfer's producer answers up to 64 MB (as JSON text, a little more).
    List<String> args = new ArrayList<>(List.of("--max-response", "80m"));
    args.addAll(servers.args());
    FinraBench.Results results;
    try (PolicyServer server = PolicyServer.start("fork", data, dir.resolve("server.log"), args, Duration.ofMinutes(2))) {
      String url = server.url().toString();
      results = FinraBench.run(new PlatformClient(url, server.adminKey()), url, server.adminKey(), csv, settings,
          System.out);
    } finally {
      deleteTree(data);
    }
    // Read from its text: Jackson's mapper would drop an unknown cost's null from a map.
    ObjectNode machine = (ObjectNode) Json.MAPPER.readTree(costs.summary(loadAtStart, MachineCosts.loadAverage()).encode());
    ObjectNode summary = FinraBenchReport.write(dir, results, machine);
    System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
    System.out.println(costs.line());
    System.out.println("wrote " + dir.resolve("summary.json") + ", finra.csv, transfer.csv, finra.png, transfer.png");
    return 0;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
