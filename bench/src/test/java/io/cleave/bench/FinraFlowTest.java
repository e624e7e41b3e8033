package io.cleave.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.cleave.bench.replay.PolicyServer;
import io.cleave.bench.replay.SharedData;
import io.cleave.client.FlowsClient;
import io.cleave.client.PlatformClient;
import io.cleave.common.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * FINRA at a small N on a real server, as {@code cleave bench finra} runs it: the copy flow's
 * violations equal a reference computed here directly from the CSV; the fork flow is refused with
 * the reason while fork state passing is not on the node.
 */
@Timeout(240)
class FinraFlowTest {
  private static final String[] TICKERS = {"GOOG", "AMZN", "MSFT", "SVFAU", "AB"};
  private static final String[] KINDS = {"price", "side", "quantity", "trade-date", "market-price"};
  private static final int RULES = 12;
  private static final int STRIDE = 10;
  private static final double BALANCE = 1e12;

  @TempDir Path dir;

  @Test
  void copyAndForkEdgesFindTheViolationsTheCsvHolds() throws Exception {
    Path csv = SharedData.dir().resolve("finra").resolve("yfinance.csv");
    try (PolicyServer server = PolicyServer.start("fork", dir.resolve("data"), dir.resolve("server.log"), List.of(),
        Duration.ofMinutes(2))) {
      String url = server.url().toString();
      FlowsClient flows = new FlowsClient(url, server.adminKey());
      String appId = FinraFlows.deploy(new PlatformClient(url, server.adminKey()), csv);
      Reference expected = reference(csv);
      assertTrue(expected.violations.size() > 0, "the data has violations to find");
      for (String mode : List.of("copy", "fork")) {
        FinraFlows.Created flow = FinraFlows.create(flows, FinraFlows.finra(appId, mode, 4));
        assertNull(flow.refusal(), mode);
        JsonNode run = flows.run(flow.id(), FinraFlows.finraInput(RULES, mode), false);
        assertEquals("succeeded", run.get("status").asText(), mode + ": " + run);
        JsonNode output = run.get("output");
        assertEquals(expected.trades, output.get("trades").asInt(), mode);
        assertEquals(expected.violations, output.get("violations"), mode + ": the audits found what the CSV holds");
        assertEquals(expected.marginOk, output.get("margin_ok").asBoolean(), mode);
        JsonNode audit = run.get("steps").get(3);
        assertEquals(RULES, audit.get("items").asInt(), mode + ": " + audit);
      }
    }
  }

  record Reference(int trades, ArrayNode violations, boolean marginOk) {}

  /** The FINRA rules of bench/finra/func.py, applied to the CSV directly. */
  static Reference reference(Path csv) throws Exception {
    List<String> lines = Files.readAllLines(csv);
    List<String[]> trades = new ArrayList<>(); // security, qty, px, side, date
    Map<String, String[]> market = new HashMap<>(); // security/date -> low, high
    int segment = 0;
    String previous = null;
    for (int i = 1; i < lines.size(); i++) {
      String[] row = lines.get(i).split(",");
      if (previous != null && row[0].compareTo(previous) < 0) {
        segment++;
      }
      previous = row[0];
      String date = row[0].substring(2, 4) + row[0].substring(5, 7) + row[0].substring(8, 10);
      market.put(TICKERS[segment] + "/" + date, new String[] {row[3], row[2]});
      if ((i - 1) % STRIDE == 0) {
        String side = Long.parseLong(row[5]) % 97 == 0 ? "5" : String.valueOf("128".charAt(trades.size() % 3));
        trades.add(new String[] {TICKERS[segment], row[5], row[4], side, date});
      }
    }
    int shards = (RULES + KINDS.length - 1) / KINDS.length;
    List<Object[]> found = new ArrayList<>();
    for (int r = 0; r < RULES; r++) {
      String kind = KINDS[r % KINDS.length];
      for (int t = 0; t < trades.size(); t++) {
        if (t % shards == r / KINDS.length && violates(kind, trades.get(t), market)) {
          found.add(new Object[] {t, kind});
        }
      }
    }
    found.sort(Comparator.<Object[]>comparingInt(v -> (Integer) v[0]).thenComparing(v -> (String) v[1]));
    ArrayNode violations = Json.MAPPER.createArrayNode();
    found.forEach(v -> violations.addObject().put("trade", (Integer) v[0]).put("rule", (String) v[1]));
    double exposure = 0;
    for (String[] t : trades) {
      exposure += Long.parseLong(t[1]) * Double.parseDouble(t[2]);
    }
    return new Reference(trades.size(), violations, BALANCE >= 0.25 * exposure);
  }

  private static boolean violates(String kind, String[] t, Map<String, String[]> market) {
    double px = Double.parseDouble(t[2]);
    return switch (kind) {
      case "price" -> !(px > 0);
      case "side" -> !List.of("1", "2", "8").contains(t[3]);
      case "quantity" -> !(t[1].matches("\\d+") && Long.parseLong(t[1]) > 0);
      case "trade-date" -> !(t[4].matches("\\d{6}") && between(t[4].substring(2, 4), 1, 12)
          && between(t[4].substring(4, 6), 1, 31));
      default -> {
        String[] day = market.get(t[0] + "/" + t[4]);
        yield day == null || !(Double.parseDouble(day[0]) <= px && px <= Double.parseDouble(day[1]));
      }
    };
  }

  private static boolean between(String digits, int low, int high) {
    int v = Integer.parseInt(digits);
    return v >= low && v <= high;
  }
}
