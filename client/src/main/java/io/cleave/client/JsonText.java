package io.cleave.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.json.Json;

/** JSON trees as the CLI handles them (the API's dialect, {@link Json}), pretty printed with tabs the way fn prints objects. */
public final class JsonText {
  private static final DefaultPrettyPrinter PRETTY =
      new DefaultPrettyPrinter()
          .withSeparators(
              Separators.createDefaultInstance()
                  .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                  .withObjectEmptySeparator("")
                  .withArrayEmptySeparator(""))
          .withObjectIndenter(new DefaultIndenter("\t", "\n"))
          .withArrayIndenter(new DefaultIndenter("\t", "\n"));

  private JsonText() {}

  public static ObjectNode object() {
    return Json.MAPPER.createObjectNode();
  }

  public static JsonNode parse(String text) throws JsonProcessingException {
    return Json.MAPPER.readTree(text);
  }

  /** Pretty JSON text without a trailing newline. */
  public static String pretty(JsonNode node) {
    try {
      return Json.MAPPER.writer(PRETTY).writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serialises", e);
    }
  }

  /** Text of a field that may be absent or null. */
  public static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }
}
