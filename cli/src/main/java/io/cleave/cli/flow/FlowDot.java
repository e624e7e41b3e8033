package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.JsonText;
import java.util.TreeSet;

/**
 * A flow, or a run of one, as Graphviz DOT: a box per step (its function; for a run also its
 * status, time and start modes), an edge per {@code after} labelled with how state passes.
 */
final class FlowDot {
  private FlowDot() {}

  /** {@code steps}: a flow's steps, or a run's (which carry status, duration_ms and calls). */
  static String of(String title, JsonNode steps) {
    StringBuilder dot = new StringBuilder("digraph flow {\n  rankdir=LR;\n  labelloc=t;\n  label=")
        .append(quote(title)).append(";\n  node [shape=box, style=\"rounded,filled\", fontname=Helvetica];\n")
        .append("  edge [fontname=Helvetica, fontsize=10];\n");
    for (JsonNode s : steps) {
      String name = JsonText.text(s, "name");
      StringBuilder label = new StringBuilder(name).append("\n").append(JsonText.text(s, "fn"));
      if (s.hasNonNull("map")) {
        label.append("\nmap over ").append(JsonText.text(s, "map"))
            .append(s.hasNonNull("items") ? " (" + s.get("items").asInt() + " calls)" : "");
      }
      String color = "white";
      if (s.has("status")) {
        String status = JsonText.text(s, "status");
        label.append("\n").append(status);
        if (s.hasNonNull("duration_ms")) {
          label.append(" in ").append(s.get("duration_ms").asLong()).append(" ms");
        }
        TreeSet<String> modes = new TreeSet<>();
        s.path("calls").forEach(c -> {
          if (c.hasNonNull("start_mode")) {
            modes.add(c.get("start_mode").asText());
          }
        });
        if (!modes.isEmpty()) {
          label.append("\nstart: ").append(String.join(", ", modes));
        }
        color = switch (status) {
          case "succeeded" -> "palegreen";
          case "failed" -> "lightpink";
          case "running" -> "lightyellow";
          default -> "lightgrey";
        };
      }
      dot.append("  ").append(quote(name)).append(" [label=").append(quote(label.toString()))
          .append(", fillcolor=").append(color).append("];\n");
      for (JsonNode e : s.path("after")) {
        String from = e.isTextual() ? e.asText() : JsonText.text(e, "step");
        String pass = e.isTextual() ? "copy" : e.path("pass").asText("copy");
        dot.append("  ").append(quote(from)).append(" -> ").append(quote(name)).append(" [label=")
            .append(quote(pass)).append(pass.equals("fork") ? ", style=bold" : "").append("];\n");
      }
    }
    return dot.append("}\n").toString();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
