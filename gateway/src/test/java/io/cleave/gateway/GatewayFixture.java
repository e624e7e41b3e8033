package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.registry.Registry;
import io.cleave.registry.RegistryFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * A real {@link Gateway} on a real Vert.x HTTP server over a real registry (a Hazelcast member and
 * RocksDB in a temporary directory), and a client that talks to it over HTTP.
 */
final class GatewayFixture implements AutoCloseable {
  /** Fn's time format, {@code 2018-03-07T21:35:03.155Z}. */
  static final Pattern FN_TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

  private final RegistryFixture registry;
  private final Vertx vertx;
  private final Gateway gateway;
  private final Gateway.Parts parts;
  private final Http http;

  private GatewayFixture(RegistryFixture registry, Vertx vertx, Gateway gateway, Gateway.Parts parts) {
    this.registry = registry;
    this.vertx = vertx;
    this.gateway = gateway;
    this.parts = parts;
    this.http = new Http(url());
  }

  /** A gateway without an invoker, on the test defaults as {@code adjust} changes them. */
  static GatewayFixture start(UnaryOperator<ServerConfig> adjust) throws Exception {
    return start(adjust, null, null);
  }

  static GatewayFixture start(UnaryOperator<ServerConfig> adjust, FunctionInvoker invoker, ActivationLog activations)
      throws Exception {
    RegistryFixture registry = RegistryFixture.open(adjust);
    // As the server runs it: several HTTP instances share port 0 through SO_REUSEPORT, which needs native transport.
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    try {
      Registry r = registry.registry();
      Gateway.Parts parts = new Gateway.Parts(registry.config(), r, r, r, r.apiKeys(), registry.bundles(), r.membership(),
          invoker, invoker, activations, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "test", r, null);
      Gateway gateway = await(Gateway.start(vertx, parts));
      return new GatewayFixture(registry, vertx, gateway, parts);
    } catch (Exception | Error e) {
      await(vertx.close());
      registry.close();
      throw e;
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  String url() {
    return "http://" + registry.config().host() + ":" + gateway.port();
  }

  ServerConfig config() {
    return registry.config();
  }

  Http http() {
    return http;
  }

  /** What the gateway serves from; with {@link #vertx()}, enough to build its router again and list its routes. */
  Gateway.Parts parts() {
    return parts;
  }

  Vertx vertx() {
    return vertx;
  }

  Path dataDir() {
    return registry.dataDir();
  }

  @Override
  public void close() throws Exception {
    try {
      await(gateway.stop());
      await(vertx.close());
    } finally {
      registry.close();
    }
  }

  // ---------------------------------------------------------------- what most tests do first

  JsonNode createApp(String name) {
    Http.Reply r = http.post("/v2/apps", "{\"name\":\"" + name + "\"}");
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  JsonNode createFn(String appId, String name) {
    Http.Reply r = http.post("/v2/fns", "{\"name\":\"" + name + "\",\"app_id\":\"" + appId + "\"}");
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  JsonNode createTrigger(String appId, String fnId, String name, String source) {
    Http.Reply r = http.post("/v2/triggers", "{\"name\":\"" + name + "\",\"app_id\":\"" + appId + "\",\"fn_id\":\""
        + fnId + "\",\"type\":\"http\",\"source\":\"" + source + "\"}");
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  /** An error as Fn answers it: the status, {@code {"message": ...}}, no stack trace. */
  static void assertError(Http.Reply r, int status, String message) {
    assertEquals(status, r.status(), r.toString());
    assertEquals(message, r.message(), r.toString());
    assertFalse(r.text().contains("Exception"), "no stack trace in " + r);
  }

  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The names of a list page's items, in order. */
  static List<String> names(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.path("items").forEach(i -> out.add(i.path("name").asText()));
    return out;
  }
}
