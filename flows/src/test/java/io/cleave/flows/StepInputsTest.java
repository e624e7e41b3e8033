package io.cleave.flows;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.flow.EdgePass;
import io.cleave.common.flow.FlowEdge;
import io.cleave.common.flow.FlowStep;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StepInputsTest {
  private static final FlowStep AUDIT = new FlowStep("audit", "f", List.of(new FlowEdge("portfolio", EdgePass.COPY),
      new FlowEdge("market", EdgePass.FORK), new FlowEdge("rules", EdgePass.COPY)), "rules", 4, null, null);

  private static JsonNode json(String text) {
    try {
      return RunJson.MAPPER.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode json(byte[] bytes) {
    return json(new String(bytes, StandardCharsets.UTF_8));
  }

  @Test
  void aMapsCallsGetTheBytesOfTheResultsSerialisedOnceForTheRun() {
    Map<String, JsonNode> outputs = Map.of(
        "portfolio", json("{\"trades\": [{\"px\": \"1.5\", \"side\": \"é\\\"\\n\"}], \"balance\": 1e12}"),
        "market", json("{\"GOOG\": {\"240102\": [\"1\", \"2\"]}}"),
        "rules", json("[{\"rule\": 0}, {\"rule\": 1}]"));
    Map<String, JsonNode> serialised = new HashMap<>();
    AtomicInteger serialisations = new AtomicInteger();
    for (int item = 0; item < 2; item++) {
      JsonNode input = StepInputs.of(AUDIT, item, outputs, p -> serialised.computeIfAbsent(p, k -> {
        serialisations.incrementAndGet();
        return StepInputs.serialised(outputs.get(k));
      }), null, Set.of());
      ObjectNode expected = RunJson.MAPPER.createObjectNode();
      expected.set("portfolio", outputs.get("portfolio"));
      expected.set("market", outputs.get("market"));
      expected.set("rules", outputs.get("rules").get(item));
      assertArrayEquals(Json.toBytes(expected), Json.toBytes(input), "the very bytes of the plain input");
      assertArrayEquals(Json.toBytes(expected), StepInputs.body(input).getBytes(), "the call's body: those bytes");
    }
    assertEquals(2, serialisations.get(), "portfolio and market once each, for both calls");
  }

  @Test
  void theProducerForkedFromIsLeftOut() {
    Map<String, JsonNode> outputs = Map.of("portfolio", json("{\"a\": 1}"), "market", json("{\"b\": 2}"),
        "rules", json("[7]"));
    JsonNode input = StepInputs.of(AUDIT, 0, outputs, p -> StepInputs.serialised(outputs.get(p)), null,
        Set.of("market"));
    assertEquals(json("{\"portfolio\": {\"a\": 1}, \"rules\": 7}"), json(Json.toBytes(input)));
  }

  @Test
  void producersWhoseResultsWereCopiedIntoTheForkedFromInstanceAreLeftOutButNotTheMappedOne() {
    Map<String, JsonNode> outputs = Map.of("portfolio", json("{\"a\": 1}"), "market", json("{\"b\": 2}"),
        "rules", json("[7]"));
    JsonNode input = StepInputs.of(AUDIT, 0, outputs, p -> StepInputs.serialised(outputs.get(p)), null,
        Set.of("market", "portfolio", "rules"));
    assertEquals(json("{\"rules\": 7}"), json(Json.toBytes(input)));
  }
}
