package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CliFailure;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import io.cleave.common.json.Json;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave flow run NAME [--input JSON]}: runs the flow and prints its result (or its run id with --detached). */
@Command(name = "run", description = "Run a flow and print its result; --detached prints the run id at once.")
public final class FlowRunCommand extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Option(names = "--app", paramLabel = "APP", description = "The flow's app (default: the app that has a flow NAME)")
  String app;

  @Option(names = "--input", paramLabel = "JSON", description = "The run's input, JSON (default: null)")
  String input;

  @Option(names = "--detached", description = "Do not wait: print the run id (follow it with cleave flow status)")
  boolean detached;

  @Override
  protected int execute() throws IOException {
    if (input != null) {
      try {
        Json.MAPPER.readTree(input);
      } catch (IOException e) {
        throw new UsageFailure("--input must be JSON, e.g. --input '{\"n\": 3}' or --input '\"text\"'");
      }
    }
    FlowsClient flows = new FlowsClient(endpoint.url(), endpoint.apiKey());
    JsonNode flow = FlowLookup.find(endpoint.client(), flows, app, name);
    JsonNode run = flows.run(JsonText.text(flow, "id"), input == null ? "" : input, detached);
    String id = JsonText.text(run, "id");
    if (detached) {
      System.out.println(id);
      return 0;
    }
    String status = JsonText.text(run, "status");
    if (!status.equals("succeeded")) {
      throw new CliFailure("flow run " + id + " " + status + ": " + JsonText.text(run, "error")
          + " (cleave flow status " + id + ")");
    }
    System.out.println(run.path("output").toString());
    return 0;
  }
}
