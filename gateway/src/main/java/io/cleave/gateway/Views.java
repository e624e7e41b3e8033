package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.json.Json;
import io.cleave.common.model.App;
import io.cleave.common.model.Fn;
import io.cleave.common.model.Trigger;
import io.cleave.registry.Page;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Fn v2 JSON shapes of apps, fns and triggers, with the endpoint annotations Fn adds on read. */
final class Views {
  static final String INVOKE_ENDPOINT = "fnproject.io/fn/invokeEndpoint";
  static final String HTTP_ENDPOINT = "fnproject.io/trigger/httpEndpoint";

  private Views() {}

  static ObjectNode app(App a) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", a.id()).put("name", a.name());
    if (a.config() != null && !a.config().isEmpty()) {
      o.set("config", Json.MAPPER.valueToTree(a.config()));
    }
    if (a.annotations() != null && !a.annotations().isEmpty()) {
      o.set("annotations", Json.MAPPER.valueToTree(a.annotations()));
    }
    if (a.syslogUrl() != null) {
      o.put("syslog_url", a.syslogUrl());
    }
    if (a.shape() != null) {
      o.put("shape", a.shape());
    }
    o.put("created_at", Json.formatTime(a.createdAt())).put("updated_at", Json.formatTime(a.updatedAt()));
    return o;
  }

  /** A function; {@code shape} is its app's (Fn copies the app's shape into its functions), or null. */
  static ObjectNode fn(Fn f, String shape, String baseUrl) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", f.id()).put("name", f.name()).put("app_id", f.appId()).put("image", f.image())
        .put("memory", f.memory()).put("timeout", f.timeout()).put("idle_timeout", f.idleTimeout())
        .put("concurrency", f.concurrency());
    o.set("config", Json.MAPPER.valueToTree(f.config() == null ? Map.of() : f.config()));
    Map<String, Object> annotations = new LinkedHashMap<>(f.annotations() == null ? Map.of() : f.annotations());
    annotations.put(INVOKE_ENDPOINT, baseUrl + "/invoke/" + f.id());
    o.set("annotations", Json.MAPPER.valueToTree(annotations));
    o.put("created_at", Json.formatTime(f.createdAt())).put("updated_at", Json.formatTime(f.updatedAt()));
    if (shape != null) {
      o.put("shape", shape);
    }
    return o;
  }

  static ObjectNode trigger(Trigger t, String appName, String baseUrl) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", t.id()).put("name", t.name()).put("app_id", t.appId()).put("fn_id", t.fnId())
        .put("created_at", Json.formatTime(t.createdAt())).put("updated_at", Json.formatTime(t.updatedAt()))
        .put("type", t.type()).put("source", t.source());
    Map<String, Object> annotations = new LinkedHashMap<>(t.annotations() == null ? Map.of() : t.annotations());
    if (appName != null) {
      String src = t.source().startsWith("/") ? t.source().substring(1) : t.source();
      annotations.put(HTTP_ENDPOINT, baseUrl + "/t/" + appName + "/" + src);
    }
    o.set("annotations", Json.MAPPER.valueToTree(annotations));
    return o;
  }

  static <T> ObjectNode page(Page<T> page, Function<T, ObjectNode> view) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    if (page.nextCursor() != null) {
      o.put("next_cursor", page.nextCursor());
    }
    ArrayNode items = o.putArray("items");
    List<T> list = page.items();
    for (T t : list) {
      items.add(view.apply(t));
    }
    return o;
  }
}
