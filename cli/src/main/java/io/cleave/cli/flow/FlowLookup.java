package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.CliFailure;
import io.cleave.client.FlowsClient;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Finds a flow by name: in the app given, else in whichever app has one of that name. */
final class FlowLookup {
  private FlowLookup() {}

  static JsonNode find(PlatformClient api, FlowsClient flows, String appName, String name) throws IOException {
    List<JsonNode> apps = appName == null ? api.apps() : List.of(api.app(appName));
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode app : apps) {
      flows.find(JsonText.text(app, "id"), name).ifPresent(found::add);
    }
    if (found.isEmpty()) {
      throw new CliFailure("no flow named " + name + (appName == null ? " in any app" : " in app " + appName)
          + " (cleave flow deploy creates one)");
    }
    if (found.size() > 1) {
      throw new CliFailure("several apps have a flow named " + name + ": say which with --app");
    }
    return found.get(0);
  }
}
