package io.cleave.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import io.cleave.common.model.AppPatch;
import io.cleave.common.model.FnPatch;
import io.cleave.common.model.Rules;
import io.cleave.common.model.TriggerPatch;
import io.vertx.core.buffer.Buffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads Fn API request bodies into patches. Unknown fields are ignored as Fn does; a field of the
 * wrong type is "Invalid JSON" with the field named.
 */
final class Bodies {
  /** The API's JSON, refusing bodies nested deeper than {@link Rules#MAX_JSON_DEPTH}. */
  private static final ObjectMapper BODY_MAPPER = Json.MAPPER.copy();

  static {
    BODY_MAPPER.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(Rules.MAX_JSON_DEPTH).build());
  }

  private Bodies() {}

  static ObjectNode object(Buffer body) {
    if (body == null || body.length() == 0) {
      throw invalid("empty body");
    }
    JsonNode node;
    try {
      node = BODY_MAPPER.readTree(body.getBytes());
    } catch (StreamConstraintsException e) {
      throw invalid("nested deeper than " + Rules.MAX_JSON_DEPTH + " levels");
    } catch (JsonProcessingException e) {
      throw invalid("malformed at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr());
    } catch (java.io.IOException e) {
      throw invalid("unreadable body");
    }
    if (node == null || !node.isObject()) {
      throw invalid("the body must be a JSON object");
    }
    return (ObjectNode) node;
  }

  static AppPatch app(Buffer body) {
    ObjectNode o = object(body);
    return new AppPatch(text(o, "id"), text(o, "name"), config(o), annotations(o), text(o, "syslog_url"),
        text(o, "shape"));
  }

  static FnPatch fn(Buffer body) {
    ObjectNode o = object(body);
    return new FnPatch(text(o, "id"), text(o, "name"), text(o, "app_id"), text(o, "image"), integer(o, "memory"),
        integer(o, "timeout"), integer(o, "idle_timeout"), integer(o, "concurrency"), config(o), annotations(o));
  }

  static TriggerPatch trigger(Buffer body) {
    ObjectNode o = object(body);
    return new TriggerPatch(text(o, "id"), text(o, "name"), text(o, "app_id"), text(o, "fn_id"), text(o, "type"),
        text(o, "source"), annotations(o), present(o, "created_at"), present(o, "updated_at"));
  }

  /** Whether a timestamp was really sent: Go clients send the zero time (0001-01-01T00:00:00Z) for "unset". */
  private static boolean present(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty())) {
      return false;
    }
    if (v.isTextual()) {
      try {
        return java.time.OffsetDateTime.parse(v.asText()).getYear() > 1;
      } catch (java.time.format.DateTimeParseException e) {
        throw invalid("field '" + field + "' must be an RFC 3339 time");
      }
    }
    throw invalid("field '" + field + "' must be an RFC 3339 time");
  }

  private static String text(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw invalid("field '" + field + "' must be a string");
    }
    return v.asText();
  }

  private static Integer integer(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber()) {
      throw invalid("field '" + field + "' must be an integer");
    }
    if (!v.canConvertToInt()) {
      // Beyond int: the field's own range check answers, with its message.
      return v.bigIntegerValue().signum() < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    }
    return v.intValue();
  }

  private static Map<String, String> config(ObjectNode o) {
    JsonNode v = o.get("config");
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw invalid("field 'config' must be an object of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw invalid("config value of '" + e.getKey() + "' must be a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static Map<String, Object> annotations(ObjectNode o) {
    JsonNode v = o.get("annotations");
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw invalid("field 'annotations' must be an object");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      // The endpoint annotations are derived on every read; clients that send back what they read
      // (the fn CLI does) must not pin a stale host into storage.
      if (e.getKey().equals(Views.INVOKE_ENDPOINT) || e.getKey().equals(Views.HTTP_ENDPOINT)) {
        continue;
      }
      out.put(e.getKey(), e.getValue().isNull() ? null : Json.MAPPER.convertValue(e.getValue(), Object.class));
    }
    return out;
  }

  static ApiError invalid(String detail) {
    return new ApiError(400, "Invalid JSON: " + detail);
  }
}
