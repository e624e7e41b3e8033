package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.PlatformClient;
import java.io.IOException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** The {@code APP FN TRIGGER} parameters (first) of the commands that act on a trigger. */
final class TriggerParameters {
  @Mixin FnParameters fn;
  @Parameters(index = "2", paramLabel = "TRIGGER") String name;

  JsonNode find(PlatformClient api) throws IOException {
    JsonNode app = fn.app.find(api);
    return api.trigger(app, api.fn(app, fn.name), name);
  }
}
