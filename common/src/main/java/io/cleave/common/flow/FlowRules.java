package io.cleave.common.flow;

import static io.cleave.common.model.Rules.bad;

import io.cleave.common.model.Rules;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Every rule a flow must follow, in one place: the API refuses a flow breaking one with 400 and
 * the message thrown here.
 */
public final class FlowRules {
  public static final int MAX_STEPS = 1000;
  public static final int DEFAULT_PARALLELISM = 10;
  public static final int MAX_PARALLELISM = 1000;
  public static final int MAX_RETRIES = 10;

  private FlowRules() {}

  public static void flowName(String name) {
    if (name == null || name.isEmpty()) {
      throw bad("Missing flow name");
    }
    if (name.length() > Rules.MAX_NAME) {
      throw bad("Flow name must be " + Rules.MAX_NAME + " characters or less");
    }
    if (!wordChars(name)) {
      throw bad("Invalid flow name " + name + ": letters, digits, - and _ only");
    }
  }

  /**
   * Checks the steps of a flow of app {@code appName}. {@code fnInApp} says whether the app has a
   * function of that name; {@code forkUnavailable} is why {@code fork} edges cannot run on this
   * node, empty when they can.
   */
  public static List<FlowStep> steps(List<FlowStep> steps, String appName, Predicate<String> fnInApp,
      Optional<String> forkUnavailable) {
    if (steps == null || steps.isEmpty()) {
      throw bad("A flow needs at least one step");
    }
    if (steps.size() > MAX_STEPS) {
      throw bad("A flow has at most " + MAX_STEPS + " steps, this one has " + steps.size());
    }
    Map<String, FlowStep> byName = new LinkedHashMap<>();
    for (FlowStep s : steps) {
      if (s == null) {
        throw bad("A step may not be null");
      }
      if (s.name() == null || s.name().isEmpty() || s.name().length() > Rules.MAX_NAME || !wordChars(s.name())) {
        throw bad("Invalid step name " + (s.name() == null ? "(none)" : s.name())
            + ": 1-" + Rules.MAX_NAME + " letters, digits, - and _");
      }
      if (byName.put(s.name(), s) != null) {
        throw bad("Two steps are named " + s.name());
      }
    }
    for (FlowStep s : steps) {
      step(s, byName, appName, fnInApp, forkUnavailable);
    }
    acyclic(byName);
    return List.copyOf(steps);
  }

  private static void step(FlowStep s, Map<String, FlowStep> byName, String appName, Predicate<String> fnInApp,
      Optional<String> forkUnavailable) {
    String where = "Step " + s.name();
    if (s.fn() == null || s.fn().isEmpty()) {
      throw bad(where + " names no function (fn)");
    }
    if (!fnInApp.test(s.fn())) {
      throw bad(where + " calls function " + s.fn() + ", which app " + appName + " does not have");
    }
    Set<String> producers = new HashSet<>();
    for (FlowEdge e : s.edges()) {
      if (e == null || e.step() == null || e.step().isEmpty()) {
        throw bad(where + " has an edge that names no step");
      }
      if (!byName.containsKey(e.step())) {
        throw bad(where + " comes after unknown step " + e.step());
      }
      if (!producers.add(e.step())) {
        throw bad(where + " comes after " + e.step() + " twice");
      }
      if (e.pass() == EdgePass.FORK && forkUnavailable.isPresent()) {
        throw bad(where + " takes " + e.step() + "'s state by fork: fork edges need " + forkUnavailable.get()
            + ", which is not available on this node yet (pass: copy works everywhere)");
      }
      if (e.pass() == EdgePass.FORK && byName.get(e.step()).map() != null) {
        throw bad(where + " takes " + e.step() + "'s state by fork, but " + e.step()
            + " is a map: a fork edge needs a producer that runs in one instance");
      }
      if (e.pass() == EdgePass.FORK && byName.get(e.step()).edges().stream().anyMatch(in -> in.pass() == EdgePass.FORK)) {
        // A forked consumer runs in a one-call child, not in an instance that could be kept.
        throw bad(where + " takes " + e.step() + "'s state by fork, but " + e.step()
            + " is itself forked from a producer: fork edges do not chain (pass: copy on one of them)");
      }
    }
    if (s.map() != null) {
      if (s.map().isEmpty() || !producers.contains(s.map())) {
        throw bad(where + " maps over " + (s.map().isEmpty() ? "nothing" : s.map())
            + ": map must name one of the steps it comes after (" + String.join(", ", producers) + ")");
      }
    } else if (s.parallelism() != null) {
      throw bad(where + " sets parallelism without map: only a map runs calls in parallel");
    }
    if (s.parallelism() != null && (s.parallelism() < 1 || s.parallelism() > MAX_PARALLELISM)) {
      throw bad(where + ": parallelism must be 1-" + MAX_PARALLELISM);
    }
    if (s.retries() != null && (s.retries() < 0 || s.retries() > MAX_RETRIES)) {
      throw bad(where + ": retries must be 0-" + MAX_RETRIES);
    }
    if (s.timeout() != null && (s.timeout() < 1 || s.timeout() > Rules.MAX_TIMEOUT)) {
      throw bad(where + ": timeout must be 1-" + Rules.MAX_TIMEOUT + " seconds");
    }
  }

  /** Refuses a cycle, naming one: depth-first search, a step met again on the current path closes it. */
  private static void acyclic(Map<String, FlowStep> byName) {
    Map<String, Integer> state = new HashMap<>(); // absent: unseen, 1: on the path, 2: done
    for (String start : byName.keySet()) {
      if (state.containsKey(start)) {
        continue;
      }
      Deque<String> path = new ArrayDeque<>();
      Deque<Integer> nextEdge = new ArrayDeque<>();
      path.push(start);
      nextEdge.push(0);
      state.put(start, 1);
      while (!path.isEmpty()) {
        List<FlowEdge> edges = byName.get(path.peek()).edges();
        int i = nextEdge.pop();
        if (i == edges.size()) {
          state.put(path.pop(), 2);
          continue;
        }
        nextEdge.push(i + 1);
        String producer = edges.get(i).step();
        Integer seen = state.get(producer);
        if (seen == null) {
          state.put(producer, 1);
          path.push(producer);
          nextEdge.push(0);
        } else if (seen == 1) {
          List<String> cycle = new ArrayList<>();
          for (String p : path) { // innermost first: consumer, its producer, ...
            cycle.add(p);
            if (p.equals(producer)) {
              break;
            }
          }
          cycle.add(0, producer);
          throw bad("The flow is cyclic: " + String.join(" -> ", cycle));
        }
      }
    }
  }

  private static boolean wordChars(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }
}
