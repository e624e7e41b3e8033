package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The repeatable {@code --config KEY=VALUE} and {@code --annotation KEY=VALUE} options. Each
 * command words them its own way (what "App configuration" is on create, that an empty VALUE
 * removes the key on update): the descriptions are in {@code OptionDescriptions.properties}, keyed
 * by the command's full name.
 */
final class KeyValueOptions {
  private KeyValueOptions() {}

  /** {@code --config KEY=VALUE}. */
  static final class Config {
    @Option(names = "--config", paramLabel = "KEY=VALUE", descriptionKey = "config")
    List<String> pairs = new ArrayList<>();

    /** Sets {@code config} in {@code body} when the option was given; answers the body. */
    ObjectNode addTo(ObjectNode body) {
      return KeyValueOptions.addTo(body, "config", "--config", pairs);
    }
  }

  /** {@code --annotation KEY=VALUE}. */
  static final class Annotations {
    @Option(names = "--annotation", paramLabel = "KEY=VALUE", descriptionKey = "annotation")
    List<String> pairs = new ArrayList<>();

    ObjectNode addTo(ObjectNode body) {
      return KeyValueOptions.addTo(body, "annotations", "--annotation", pairs);
    }
  }

  private static ObjectNode addTo(ObjectNode body, String field, String option, List<String> pairs) {
    if (!pairs.isEmpty()) {
      body.set(field, KeyValues.parse(option, pairs));
    }
    return body;
  }
}
