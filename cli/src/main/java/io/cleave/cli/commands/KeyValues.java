package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.client.UsageFailure;
import io.cleave.client.JsonText;
import java.util.List;

/** Turns repeated {@code KEY=VALUE} options into a JSON object. */
final class KeyValues {
  private KeyValues() {}

  static ObjectNode parse(String option, List<String> pairs) {
    ObjectNode out = JsonText.object();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new UsageFailure(option + " expects KEY=VALUE, got '" + pair + "'");
      }
      out.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    return out;
  }
}
