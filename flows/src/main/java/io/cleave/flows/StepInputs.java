package io.cleave.flows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.flow.FlowEdge;
import io.cleave.common.flow.FlowStep;
import io.cleave.common.json.Json;
import java.util.List;
import java.util.Map;

/**
 * The input of one call of a step, by copy: a step after nothing gets the run's input; after one
 * step, that step's result; after several, an object of their results by step name. A map's call
 * gets the item-th element in place of the mapped step's whole result. The producer a call is
 * forked from is left out (the call reads its state in memory instead).
 */
final class StepInputs {
  private StepInputs() {}

  static JsonNode of(FlowStep step, int item, Map<String, JsonNode> outputs, JsonNode runInput, String forkedFrom) {
    List<FlowEdge> edges = step.edges();
    if (edges.isEmpty()) {
      return runInput;
    }
    if (edges.size() == 1) {
      String producer = edges.get(0).step();
      return producer.equals(forkedFrom) && !producer.equals(step.map()) ? NullNode.getInstance()
          : value(step, producer, item, outputs);
    }
    ObjectNode input = Json.MAPPER.createObjectNode();
    for (FlowEdge e : edges) {
      if (!e.step().equals(forkedFrom) || e.step().equals(step.map())) {
        input.set(e.step(), value(step, e.step(), item, outputs));
      }
    }
    return input;
  }

  private static JsonNode value(FlowStep step, String producer, int item, Map<String, JsonNode> outputs) {
    JsonNode out = outputs.get(producer);
    return producer.equals(step.map()) ? out.get(item) : out;
  }
}
