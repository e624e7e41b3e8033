package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.PlatformClient;
import java.io.IOException;
import picocli.CommandLine.Parameters;

/** The {@code APP} parameter (first) of the commands that act on an app or on what it holds. */
final class AppParameter {
  @Parameters(index = "0", paramLabel = "APP") String name;

  JsonNode find(PlatformClient api) throws IOException {
    return api.app(name);
  }
}
