package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What an update really changes, worked out from the object as the server has it before the
 * request, so that the CLI reports "updated: memory 256 -> 512" or "unchanged" instead of a bare
 * "updated" for a patch that did nothing. Follows Fn's merge-patch: a config value "" removes the
 * key.
 */
final class Changes {
  private final List<String> changed = new ArrayList<>();
  private final List<String> unchanged = new ArrayList<>();

  /** A plain field such as memory or image. */
  void field(String name, JsonNode current, JsonNode wanted) {
    String before = current == null || current.isNull() ? "(none)" : current.asText();
    if (before.equals(wanted.asText())) {
      unchanged.add(name + " already " + before);
    } else {
      changed.add(name + " " + before + " -> " + wanted.asText());
    }
  }

  /** Each key of a map field (config, annotations); an empty value removes the key. */
  void entries(String name, JsonNode current, ObjectNode wanted) {
    for (Iterator<Map.Entry<String, JsonNode>> it = wanted.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode old = current == null ? null : current.get(e.getKey());
      String value = e.getValue().asText();
      String label = name + " " + e.getKey();
      if (value.isEmpty()) {
        if (old == null || old.isNull()) {
          unchanged.add(label + " not set");
        } else {
          changed.add("removed " + label);
        }
      } else if (old == null || old.isNull()) {
        changed.add(label + " set");
      } else if (old.asText().equals(value)) {
        unchanged.add(label + " already " + value);
      } else {
        changed.add(label + " changed");
      }
    }
  }

  boolean none() {
    return changed.isEmpty();
  }

  /** {@code <what> updated: ...} or {@code <what> unchanged (...)}. */
  String report(String what) {
    return none()
        ? what + " unchanged (" + String.join("; ", unchanged) + ")"
        : what + " updated: " + String.join(", ", changed);
  }
}
