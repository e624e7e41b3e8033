package io.cleave.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.CliFailure;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.common.bundle.TarGzBundle;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The FINRA workflow and the two-step transfer flow, deployed on a server: the functions (one
 * Python source, {@code bench/finra/func.py}, with the FINRA CSV in its bundle) and a flow of each
 * for a state-passing mode ({@code copy} or {@code fork} on the edges that carry the big state).
 */
final class FinraFlows {
  static final String APP = "finra-bench";
  private static final List<String> FILES = List.of("func.py", "func.yaml");
  /** Function name, OP, memory (MB): the transfer functions hold a 64 MB payload two or three times. */
  private static final List<Object[]> FUNCTIONS = List.of(
      new Object[] {"finra-portfolio", "portfolio", 256}, new Object[] {"finra-market", "market", 256},
      new Object[] {"finra-rules", "rules", 128}, new Object[] {"finra-audit", "audit", 256},
      new Object[] {"finra-merge", "merge", 256}, new Object[] {"xfer-produce", "produce", 768},
      new Object[] {"xfer-consume", "consume", 768});

  private FinraFlows() {}

  /** Creates the app and its functions; answers the app's id. */
  static String deploy(PlatformClient api, Path csv) throws IOException {
    String appId = JsonText.text(api.createApp(JsonText.object().put("name", APP)), "id");
    byte[] bundle = TarGzBundle.ofResources(FinraFlows.class, "/bench/finra", FILES,
        Map.of("yfinance.csv", Files.readAllBytes(csv)));
    for (Object[] f : FUNCTIONS) {
      api.deploy(appId, (String) f[0], (Integer) f[2], 120, 300, Map.of("OP", (String) f[1]), bundle);
    }
    return appId;
  }

  /**
   * fetchPortfolioData and fetchMarketData, then runAuditRule once per rule (a map over auditRules),
   * then mergeResults; the market data and the portfolio reach the audits by {@code pass}. With
   * fork the audits fork from the market data's instance (it keeps the most) and the portfolio is
   * copied into that instance once per run, so each audit reads both in memory; with copy both are
   * in every audit's input. mergeResults reads the portfolio by copy.
   */
  static ObjectNode finra(String appId, String pass, int parallelism) {
    ArrayNode steps = Json.MAPPER.createArrayNode();
    steps.add(step("fetchPortfolioData", "finra-portfolio"));
    steps.add(step("fetchMarketData", "finra-market"));
    steps.add(step("auditRules", "finra-rules"));
    ObjectNode audit = step("runAuditRule", "finra-audit").put("map", "auditRules").put("parallelism", parallelism);
    ArrayNode after = audit.putArray("after");
    after.addObject().put("step", "fetchPortfolioData").put("pass", pass);
    after.addObject().put("step", "fetchMarketData").put("pass", pass);
    after.add("auditRules");
    steps.add(audit);
    ObjectNode merge = step("mergeResults", "finra-merge");
    merge.putArray("after").add("runAuditRule").add("fetchPortfolioData");
    steps.add(merge);
    return flow(appId, "finra-" + pass, steps);
  }

  /**
   * A FINRA run's input: the functions read {@code pass} to know whether the market data goes by
   * fork (fetchMarketData then answers a summary, not the data).
   */
  static String finraInput(int rules, String pass) {
    return "{\"rules\": " + rules + ", \"stride\": 10, \"pass\": \"" + pass + "\"}";
  }

  /** A transfer run's input: the payload's size, and {@code pass} (with fork the producer answers a summary). */
  static String transferInput(long bytes, String pass) {
    return "{\"bytes\": " + bytes + ", \"pass\": \"" + pass + "\"}";
  }

  /** produce → consume: the producer's payload is the consumer's state; the consumer answers how long it took to arrive. */
  static ObjectNode transfer(String appId, String pass) {
    ArrayNode steps = Json.MAPPER.createArrayNode();
    steps.add(step("produce", "xfer-produce"));
    ObjectNode consume = step("consume", "xfer-consume");
    consume.putArray("after").addObject().put("step", "produce").put("pass", pass);
    steps.add(consume);
    return flow(appId, "transfer-" + pass, steps);
  }

  /** A flow the server took (its id), or its reason for refusing it (a fork flow where fork is not available). */
  record Created(String id, String refusal) {}

  static Created create(FlowsClient flows, ObjectNode flow) throws IOException {
    try {
      return new Created(JsonText.text(flows.create(flow), "id"), null);
    } catch (CliFailure refused) {
      return new Created(null, refused.getMessage());
    }
  }

  private static ObjectNode flow(String appId, String name, ArrayNode steps) {
    ObjectNode o = Json.MAPPER.createObjectNode().put("app_id", appId).put("name", name);
    o.set("steps", steps);
    return o;
  }

  private static ObjectNode step(String name, String fn) {
    return Json.MAPPER.createObjectNode().put("name", name).put("fn", fn);
  }
}
