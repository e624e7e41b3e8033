package io.cleave.cli.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.CliFailure;
import io.cleave.common.json.FuncYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@code flow.yaml}: {@code app} (the app's name), {@code name} and {@code steps}, each step as
 * the API takes it (README, "Workflows").
 */
record FlowFile(String app, String name, JsonNode steps) {

  static FlowFile read(Path file) {
    JsonNode root;
    try {
      root = FuncYaml.MAPPER.readTree(Files.readString(file));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CliFailure("no " + file + " here: give the flow file, e.g. cleave flow deploy path/flow.yaml");
    } catch (IOException e) {
      throw new CliFailure("cannot read " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject()) {
      throw new CliFailure(file + " must be a YAML mapping with app, name and steps");
    }
    for (String field : new String[] {"app", "name", "steps"}) {
      if (!root.hasNonNull(field)) {
        throw new CliFailure(file + " has no " + field);
      }
    }
    return new FlowFile(root.get("app").asText(), root.get("name").asText(), root.get("steps"));
  }

  /** The body of a create ({@code appId} set) or update. */
  ObjectNode body(String appId) {
    ObjectNode o = io.cleave.common.json.Json.MAPPER.createObjectNode();
    if (appId != null) {
      o.put("app_id", appId).put("name", name);
    }
    o.set("steps", steps);
    return o;
  }
}
