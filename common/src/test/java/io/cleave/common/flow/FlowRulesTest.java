package io.cleave.common.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The flow rules on their own: what is refused, with which words, and the JSON forms of edges. */
class FlowRulesTest {
  private static final Optional<String> FORK_OK = Optional.empty();

  static FlowStep step(String name, String map, Integer parallelism, FlowEdge... after) {
    return new FlowStep(name, "fn", List.of(after), map, parallelism, null, null);
  }

  static String refusal(List<FlowStep> steps, Optional<String> fork) {
    ApiError e = assertThrows(ApiError.class, () -> FlowRules.steps(steps, "app", fn -> true, fork));
    assertEquals(400, e.status());
    return e.getMessage();
  }

  @Test
  void aCycleDeepInTheGraphIsNamed() {
    List<FlowStep> steps = List.of(step("root", null, null), step("a", null, null, FlowEdge.copyFrom("root"),
        FlowEdge.copyFrom("c")), step("b", null, null, FlowEdge.copyFrom("a")), step("c", null, null,
        FlowEdge.copyFrom("b")));
    String message = refusal(steps, FORK_OK);
    assertTrue(message.startsWith("The flow is cyclic: "), message);
    assertTrue(message.contains("a") && message.contains("b") && message.contains("c"), message);
    assertTrue(refusal(List.of(step("self", null, null, FlowEdge.copyFrom("self"))), FORK_OK)
        .contains("self -> self"));
  }

  @Test
  void mapsParallelismAndForkEdgesFollowTheirRules() {
    assertTrue(refusal(List.of(step("a", null, 2)), FORK_OK).contains("parallelism without map"));
    assertTrue(refusal(List.of(step("a", null, null), step("b", "", null, FlowEdge.copyFrom("a"))), FORK_OK)
        .contains("maps over nothing"));
    FlowEdge forked = new FlowEdge("a", EdgePass.FORK);
    assertTrue(refusal(List.of(step("a", null, null), step("b", null, null, forked)),
        Optional.of("the fork port")).contains("fork edges need the fork port, which is not available on this node yet"));
    List<FlowStep> fromMap = List.of(step("s", null, null), step("a", "s", null, FlowEdge.copyFrom("s")),
        step("b", null, null, forked));
    assertTrue(refusal(fromMap, FORK_OK).contains("a is a map"));
    List<FlowStep> chained = List.of(step("a", null, null), step("b", null, null, forked),
        step("c", null, null, new FlowEdge("b", EdgePass.FORK)));
    assertTrue(refusal(chained, FORK_OK).contains("b is itself forked from a producer"));
    assertEquals(2, FlowRules.steps(List.of(step("a", null, null), step("b", null, null, forked)), "app",
        fn -> true, FORK_OK).size());
  }

  @Test
  void anEdgeIsANameOrAnObjectAndReadsBackAsAnObject() throws Exception {
    FlowStep s = Json.MAPPER.readValue("{\"name\":\"b\",\"fn\":\"f\",\"after\":[\"a\",{\"step\":\"c\",\"pass\":\"fork\"}]}",
        FlowStep.class);
    assertEquals(List.of(new FlowEdge("a", EdgePass.COPY), new FlowEdge("c", EdgePass.FORK)), s.edges());
    assertEquals("[{\"step\":\"a\",\"pass\":\"copy\"},{\"step\":\"c\",\"pass\":\"fork\"}]",
        Json.MAPPER.writeValueAsString(s.edges()));
  }
}
