package io.cleave.common.flow;

import java.util.List;

/**
 * One step of a flow: it calls the function {@code fn} of the flow's app once all steps in
 * {@code after} have succeeded. With {@code map} (the name of one of those steps, whose result is
 * a list) it calls the function once per element, at most {@code parallelism} at a time, and its
 * result is the list of their results in order. A failed call is tried again up to {@code
 * retries} times; {@code timeout} (seconds) bounds each call. Null means "not given" (defaults in
 * {@link FlowRules}).
 */
public record FlowStep(String name, String fn, List<FlowEdge> after, String map, Integer parallelism, Integer retries,
    Integer timeout) {

  /** The edges into this step, never null. */
  public List<FlowEdge> edges() {
    return after == null ? List.of() : after;
  }

  public int retriesOrDefault() {
    return retries == null ? 0 : retries;
  }

  public int parallelismOrDefault() {
    return parallelism == null ? FlowRules.DEFAULT_PARALLELISM : parallelism;
  }
}
