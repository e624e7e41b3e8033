package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CliFailure;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.TextTable;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cleave flow status RUN}: the run, each step's status, time, calls and start modes. */
@Command(name = "status", description = "Show a run: its status, each step's status, time, calls and start modes.")
public final class FlowStatusCommand extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Parameters(index = "0", paramLabel = "RUN") String runId;

  @Override
  protected int execute() throws IOException {
    JsonNode run = new FlowsClient(endpoint.url(), endpoint.apiKey()).findRun(runId)
        .orElseThrow(() -> new CliFailure("no flow run " + runId + " on this server (cleave flow runs lists them)"));
    System.out.println("run " + runId + " of flow " + JsonText.text(run, "flow_name") + ": "
        + JsonText.text(run, "status") + (run.has("duration_ms") ? " in " + run.get("duration_ms").asLong() + " ms" : "")
        + (run.path("detached").asBoolean() ? " (detached)" : ""));
    TextTable table = new TextTable("STEP", "FN", "STATUS", "TIME", "CALLS", "START MODES", "ACTIVATIONS");
    for (JsonNode s : run.path("steps")) {
      TreeSet<String> modes = new TreeSet<>();
      StringBuilder activations = new StringBuilder();
      for (JsonNode c : s.path("calls")) {
        if (c.hasNonNull("start_mode")) {
          modes.add(c.get("start_mode").asText());
        }
        activations.append(activations.length() == 0 ? "" : ",").append(JsonText.text(c, "activation_id"));
      }
      table.row(JsonText.text(s, "name"), JsonText.text(s, "fn"), JsonText.text(s, "status"),
          s.has("duration_ms") ? s.get("duration_ms").asLong() + " ms" : "", Integer.toString(s.path("calls").size()),
          String.join(",", modes), s.path("calls").size() > 3 ? s.path("calls").size() + " calls" : activations.toString());
    }
    table.print(System.out);
    if (run.hasNonNull("error")) {
      System.out.println("error: " + JsonText.text(run, "error"));
    }
    if (run.hasNonNull("output")) {
      String out = run.get("output").toString();
      System.out.println("output: " + (out.length() > 2000 ? out.substring(0, 2000) + "... (" + out.length() + " chars)" : out));
    }
    return 0;
  }
}
