package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.TextTable;
import io.cleave.client.UserCommand;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave flow runs}: the latest runs, newest first. */
@Command(name = "runs", description = "List flow runs, newest first.")
public final class FlowRunsCommand extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Option(names = "--app", paramLabel = "APP", description = "Only this app's runs") String app;

  @Option(names = "--flow", paramLabel = "NAME", description = "Only this flow's runs") String flow;

  @Option(names = "-n", paramLabel = "N", defaultValue = "30", description = "How many (1-100, default 30)") int limit;

  @Override
  protected int execute() throws IOException {
    FlowsClient flows = new FlowsClient(endpoint.url(), endpoint.apiKey());
    String appId = app == null ? null : JsonText.text(endpoint.client().app(app), "id");
    String flowId = flow == null ? null : JsonText.text(FlowLookup.find(endpoint.client(), flows, app, flow), "id");
    TextTable table = new TextTable("RUN", "FLOW", "STATUS", "STARTED", "DURATION");
    for (JsonNode r : flows.runs(appId, flowId, Math.max(1, Math.min(100, limit)))) {
      table.row(JsonText.text(r, "id"), JsonText.text(r, "flow_name"), JsonText.text(r, "status"),
          JsonText.text(r, "created_at"), r.has("duration_ms") ? r.get("duration_ms").asLong() + " ms" : "");
    }
    table.print(System.out);
    return 0;
  }
}
