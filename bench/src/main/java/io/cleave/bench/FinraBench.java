package io.cleave.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.CliFailure;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * MITOSIS's workflow-state experiment: FINRA with {@code copy} edges and with {@code fork} edges,
 * and the two-step transfer at payload sizes from 1 KB to 64 MB. Each FINRA flow runs once to warm
 * its functions (cold starts, seeds), then {@code reps} times; each transfer runs twice to warm up,
 * then {@link #transferReps} times (a transfer is a few milliseconds: its median needs more runs,
 * and the first runs of a size still meet first-time costs); a run's time is the server's (start
 * to stored result). A mode the server refuses (fork before fork state passing lands) is reported
 * with the server's reason and no figures.
 */
final class FinraBench {
  static final Map<String, Long> SIZES = sizes();
  static final List<String> MODES = List.of("copy", "fork");

  record Settings(int rules, int reps, int parallelism) {}

  /**
   * One mode's runs of a flow: run times (ms), for the transfer also the state's transfer times
   * (ms, as the consumer measured them), the last result and the last run as the server showed it;
   * {@code refusal} when the server refused the flow.
   */
  record Runs(String mode, List<Long> ms, List<Double> transferMs, JsonNode output, JsonNode lastRun, String refusal) {
    Long median() {
      if (ms.isEmpty()) {
        return null;
      }
      List<Long> sorted = ms.stream().sorted().toList();
      return sorted.get(sorted.size() / 2);
    }

    Double transferMedian() {
      if (transferMs.isEmpty()) {
        return null;
      }
      List<Double> sorted = transferMs.stream().sorted().toList();
      return sorted.get(sorted.size() / 2);
    }
  }

  record Results(Settings settings, Map<String, Runs> finra, Map<String, Map<String, Runs>> transfer) {}

  private FinraBench() {}

  static Results run(PlatformClient api, String url, String apiKey, Path csv, Settings s, PrintStream log)
      throws IOException {
    FlowsClient flows = new FlowsClient(url, apiKey);
    String appId = FinraFlows.deploy(api, csv);
    Map<String, Runs> finra = new LinkedHashMap<>();
    for (String mode : MODES) {
      String input = FinraFlows.finraInput(s.rules(), mode);
      FinraFlows.Created flow = created(FinraFlows.create(flows, FinraFlows.finra(appId, mode, s.parallelism())),
          "FINRA " + mode, log);
      finra.put(mode, runs(flows, flow, mode, input, 1, s.reps(), "FINRA " + mode + " (" + s.rules() + " rules)", log));
    }
    Map<String, Map<String, Runs>> transfer = new LinkedHashMap<>();
    Map<String, FinraFlows.Created> transferFlows = new LinkedHashMap<>();
    for (String mode : MODES) {
      transferFlows.put(mode, created(FinraFlows.create(flows, FinraFlows.transfer(appId, mode)), "transfer " + mode,
          log));
    }
    for (var size : SIZES.entrySet()) {
      Map<String, Runs> bySize = new LinkedHashMap<>();
      // Fork first: run after a size's copy runs (13 of them push up to 64 MB of JSON each through
      // the server), a fork transfer of a few milliseconds met their aftermath (the server's
      // collector, the freed memory), not the transfer's own cost; the copy runs are slow enough
      // not to feel the fork runs before them.
      for (String mode : List.of("fork", "copy")) {
        bySize.put(mode, runs(flows, transferFlows.get(mode), mode, FinraFlows.transferInput(size.getValue(), mode), 2,
            transferReps(s.reps()),
            "transfer " + size.getKey() + " " + mode, log));
      }
      transfer.put(size.getKey(), bySize);
    }
    return new Results(s, finra, transfer);
  }

  /** The transfer's runs per size and mode: 11 for the default 5, 7 with --quick's 3. */
  static int transferReps(int reps) {
    return 2 * reps + 1;
  }

  private static Runs runs(FlowsClient flows, FinraFlows.Created flow, String mode, String input, int warmups,
      int reps, String what, PrintStream log) throws IOException {
    if (flow.id() == null) {
      return new Runs(mode, List.of(), List.of(), null, null, flow.refusal());
    }
    for (int i = 0; i < warmups; i++) {
      run(flows, flow.id(), input, what + " warm-up");
    }
    List<Long> ms = new ArrayList<>();
    List<Double> transferMs = new ArrayList<>();
    JsonNode output = null;
    JsonNode last = null;
    for (int i = 0; i < reps; i++) {
      JsonNode run = run(flows, flow.id(), input, what);
      last = run;
      ms.add(run.get("duration_ms").asLong());
      output = run.get("output");
      if (output.has("transfer_ms")) {
        transferMs.add(output.get("transfer_ms").asDouble());
      }
    }
    log.println(what + ": runs " + ms + " ms" + (transferMs.isEmpty() ? "" : ", transfers " + transferMs.stream()
        .map(t -> String.format(Locale.ROOT, "%.1f", t)).toList() + " ms") + stepTimes(last));
    return new Runs(mode, List.copyOf(ms), List.copyOf(transferMs), output, last, null);
  }

  /**
   * Where the last run's time went: each step's start and end (ms from the run's start), and for a
   * map its calls' median time by start mode and how many ran at a time on average.
   */
  private static String stepTimes(JsonNode run) {
    List<String> steps = new ArrayList<>();
    if (run != null) {
      Instant created = Instant.parse(run.path("created_at").asText());
      run.path("steps").forEach(s -> {
        String line = s.path("name").asText() + " " + offset(created, s.path("started_at")) + "-"
            + offset(created, s.path("finished_at"));
        if (s.path("calls").size() > 1) {
          Map<String, List<Long>> byMode = new TreeMap<>();
          List<Long> ms = new ArrayList<>();
          s.path("calls").forEach(c -> {
            ms.add(c.path("duration_ms").asLong());
            byMode.computeIfAbsent(c.path("start_mode").asText(), k -> new ArrayList<>()).add(c.path("duration_ms").asLong());
          });
          long span = Math.max(1, s.path("duration_ms").asLong());
          List<String> modes = new ArrayList<>();
          byMode.forEach((mode, times) -> modes.add(times.size() + " " + mode + " " + median(times) + " ms"));
          // How many calls ran at a time on average: below the map's bound, calls waited between them.
          line += String.format(Locale.ROOT, " (calls: %s; %.1f at a time)", String.join(", ", modes),
              ms.stream().mapToLong(Long::longValue).sum() / (double) span);
        }
        steps.add(line);
      });
    }
    return steps.isEmpty() ? "" : "; last run's steps (ms from its start): " + String.join(", ", steps);
  }

  private static long offset(Instant from, JsonNode at) {
    return at.isTextual() ? Duration.between(from, Instant.parse(at.asText())).toMillis() : -1;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  /** The flow, saying why when the server refused it (its runs are then reported as n/a). */
  private static FinraFlows.Created created(FinraFlows.Created flow, String what, PrintStream log) {
    if (flow.id() == null) {
      log.println(what + ": n/a, the server refused the flow: " + flow.refusal());
    }
    return flow;
  }

  private static JsonNode run(FlowsClient flows, String flowId, String input, String what) throws IOException {
    JsonNode run = flows.run(flowId, input, false);
    if (!"succeeded".equals(JsonText.text(run, "status"))) {
      throw new CliFailure(what + ": flow run " + JsonText.text(run, "id") + " " + JsonText.text(run, "status")
          + ": " + JsonText.text(run, "error"));
    }
    return run;
  }

  private static Map<String, Long> sizes() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("1KB", 1024L);
    m.put("16KB", 16L * 1024);
    m.put("256KB", 256L * 1024);
    m.put("1MB", 1L << 20);
    m.put("4MB", 4L << 20);
    m.put("16MB", 16L << 20);
    m.put("64MB", 64L << 20);
    return m;
  }
}
