package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CliFailure;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave flow graph NAME|RUN --out FILE.png}: the DAG drawn by Graphviz {@code dot}. */
@Command(name = "graph", description = "Draw a flow, or a run with each step's time and start modes, as a PNG"
    + " (Graphviz dot).")
public final class FlowGraphCommand extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Parameters(index = "0", paramLabel = "NAME|RUN") String what;

  @Option(names = "--app", paramLabel = "APP", description = "The flow's app (default: the app that has a flow NAME)")
  String app;

  @Option(names = "--out", paramLabel = "FILE.png", required = true, description = "Where to write the PNG")
  Path out;

  @Override
  protected int execute() throws IOException {
    FlowsClient flows = new FlowsClient(endpoint.url(), endpoint.apiKey());
    Optional<JsonNode> run = app == null ? flows.findRun(what) : Optional.empty();
    String dot;
    if (run.isPresent()) {
      JsonNode r = run.get();
      dot = FlowDot.of("run " + what + " of " + JsonText.text(r, "flow_name") + ": " + JsonText.text(r, "status")
          + (r.hasNonNull("duration_ms") ? " in " + r.get("duration_ms").asLong() + " ms" : ""), r.path("steps"));
    } else {
      JsonNode flow = FlowLookup.find(endpoint.client(), flows, app, what);
      dot = FlowDot.of("flow " + what, flow.path("steps"));
    }
    render(dot);
    System.out.println("wrote " + out);
    return 0;
  }

  private void render(String dot) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder("dot", "-Tpng", "-o", out.toString()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new CliFailure("Graphviz dot is missing: install it with apt-get install graphviz (./cleave does as root)");
    }
    try (OutputStream in = p.getOutputStream()) {
      in.write(dot.getBytes(StandardCharsets.UTF_8));
    }
    try {
      String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new CliFailure("dot could not draw the graph: " + said);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure("interrupted while dot was drawing");
    }
  }
}
