package io.cleave.flows;

import io.cleave.common.flow.FlowRun;
import io.cleave.common.flow.FlowRun.StepCall;
import io.cleave.common.flow.FlowRun.StepRun;
import io.cleave.common.flow.FlowStatus;
import io.cleave.common.flow.FlowStep;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Runs as the API shows them, made from what is stored. */
final class RunViews {
  private RunViews() {}

  /** The run without its steps, for lists. */
  static FlowRun summary(StoredRun r) {
    return new FlowRun(r.id(), r.flow().id(), r.flow().name(), r.flow().appId(), r.status(), r.detached(),
        r.output(), r.error(), r.createdAt(), r.finishedAt(), millis(r.createdAt(), r.finishedAt()), null);
  }

  /** The run with each step's status, times and calls; {@code done} names the steps that have succeeded. */
  static FlowRun full(StoredRun r, Collection<StoredItem> items, Set<String> done) {
    List<StepRun> steps = new ArrayList<>();
    for (FlowStep s : r.flow().steps()) {
      List<StoredItem> mine = items.stream().filter(i -> i.step().equals(s.name()))
          .sorted(Comparator.comparingInt(StoredItem::item)).toList();
      List<StepCall> calls = mine.stream().flatMap(i -> i.calls().stream()).toList();
      FlowStatus status = stepStatus(r, s, mine, done);
      Instant started = calls.stream().map(StepCall::startedAt).filter(Objects::nonNull).min(Comparator.naturalOrder())
          .orElse(null);
      Instant finished = status.ended() ? calls.stream().map(StepCall::finishedAt).filter(Objects::nonNull)
          .max(Comparator.naturalOrder()).orElse(null) : null;
      steps.add(new StepRun(s.name(), s.fn(), s.edges(), s.map(), status, s.map() == null ? null : mine.size(), started, finished,
          millis(started, finished), calls));
    }
    FlowRun summary = summary(r);
    return new FlowRun(summary.id(), summary.flowId(), summary.flowName(), summary.appId(), summary.status(),
        summary.detached(), summary.output(), summary.error(), summary.createdAt(), summary.finishedAt(),
        summary.durationMs(), List.copyOf(steps));
  }

  private static FlowStatus stepStatus(StoredRun r, FlowStep s, List<StoredItem> items, Set<String> done) {
    if (done.contains(s.name()) || r.status() == FlowStatus.SUCCEEDED) {
      return FlowStatus.SUCCEEDED;
    }
    FlowStatus status = FlowStatus.PENDING;
    for (StoredItem i : items) {
      if (i.status() == FlowStatus.FAILED) {
        return FlowStatus.FAILED;
      }
      if (i.status() == FlowStatus.RUNNING || !i.calls().isEmpty() || i.status() == FlowStatus.SUCCEEDED) {
        status = FlowStatus.RUNNING;
      }
    }
    // A step of an ended run that had not finished will not run any more.
    return r.status().ended() ? FlowStatus.CANCELLED : status;
  }

  static Long millis(Instant from, Instant to) {
    return from == null || to == null ? null : Duration.between(from, to).toMillis();
  }
}
