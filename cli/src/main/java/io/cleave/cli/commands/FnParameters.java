package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.PlatformClient;
import java.io.IOException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** The {@code APP FN} parameters (first) of the commands that act on a function or on its triggers. */
final class FnParameters {
  @Mixin AppParameter app;
  @Parameters(index = "1", paramLabel = "FN") String name;

  String appName() {
    return app.name;
  }

  JsonNode find(PlatformClient api) throws IOException {
    return api.fn(app.find(api), name);
  }
}
