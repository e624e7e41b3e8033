package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cleave flow deploy [flow.yaml]}: creates the flow, or replaces the steps of the one of that name. */
@Command(name = "deploy", description = "Create or update a flow from its flow.yaml (default ./flow.yaml).")
public final class FlowDeploy extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Parameters(index = "0", arity = "0..1", paramLabel = "FLOW.YAML", defaultValue = "flow.yaml")
  Path file;

  @Override
  protected int execute() throws IOException {
    FlowFile flow = FlowFile.read(file);
    JsonNode app = endpoint.client().app(flow.app());
    String appId = JsonText.text(app, "id");
    FlowsClient flows = new FlowsClient(endpoint.url(), endpoint.apiKey());
    Optional<JsonNode> existing = flows.find(appId, flow.name());
    JsonNode saved = existing.isPresent()
        ? flows.update(JsonText.text(existing.get(), "id"), flow.body(null))
        : flows.create(flow.body(appId));
    System.out.println("Flow " + flow.name() + " " + (existing.isPresent() ? "updated" : "created") + " in app "
        + flow.app() + " (" + saved.path("steps").size() + " steps, id " + JsonText.text(saved, "id") + ")");
    return 0;
  }
}
