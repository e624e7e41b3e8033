package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.activation.Activation;
import io.cleave.common.activation.ActivationLog;
import io.cleave.common.activation.ActivationQuery;
import io.cleave.common.http.Http;
import io.cleave.common.id.Ulid;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /cleave/v1/activations} over HTTP: the query the {@link ActivationLog} receives, records
 * newest first as the log keeps them (README, API), one record and its logs.
 */
class ActivationsRoutesTest extends GatewayTestBase {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final Map<String, Activation> records = new ConcurrentHashMap<>();
  private final List<ActivationQuery> queries = new CopyOnWriteArrayList<>();

  /** Keeps the log's side of the contract: matching records, newest first, at most the limit. */
  private final ActivationLog log = new ActivationLog() {
    @Override
    public Future<List<Activation>> list(ActivationQuery q) {
      queries.add(q);
      return Future.succeededFuture(records.values().stream()
          .filter(a -> q.fnId() == null || q.fnId().equals(a.fnId()))
          .filter(a -> q.since() == null || !a.start().isBefore(q.since()))
          .sorted(Comparator.comparing(Activation::start).reversed())
          .limit(q.limit()).toList());
    }

    @Override
    public Future<Optional<Activation>> get(String id) {
      return Future.succeededFuture(Optional.ofNullable(records.get(id)));
    }

    @Override
    public Future<Optional<String>> logs(String id) {
      return Future.succeededFuture(records.containsKey(id) ? Optional.of("line one\nline two\n") : Optional.empty());
    }
  };

  @Override
  ActivationLog activations() {
    return log;
  }

  @BeforeEach
  void noRecords() {
    records.clear();
  }

  /** Records one call of {@code fnId} started {@code second} seconds after T0. */
  private String record(String fnId, int second) {
    String id = Ulid.next();
    Instant start = T0.plusSeconds(second);
    records.put(id, new Activation(id, "app", fnId, "node-1", StartMode.FORK, "success", 200,
        start, start.plusMillis(5), 5, 1, 2, 10, null, null, null));
    return id;
  }

  private static List<String> ids(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.path("items").forEach(a -> out.add(a.path("id").asText()));
    return out;
  }

  @Test
  void listsNewestFirstWithTheQueryAsked() {
    String fn = Ulid.next();
    String first = record(fn, 0);
    String second = record(fn, 1);
    String other = record(Ulid.next(), 2);

    JsonNode ofFn = http.get("/cleave/v1/activations?fn_id=" + fn).json();
    assertEquals(List.of(second, first), ids(ofFn), "newest first");
    JsonNode newest = ofFn.path("items").get(0);
    assertEquals("fork", newest.path("start_mode").asText());
    assertEquals(fn, newest.path("fn_id").asText());
    assertEquals("2026-01-01T00:00:01.000Z", newest.path("start").asText());
    assertEquals(new ActivationQuery(fn, null, 30), queries.get(queries.size() - 1), "limit 30 by default");

    assertEquals(List.of(second), ids(http.get("/cleave/v1/activations?fn_id=" + fn + "&since=2026-01-01T00:00:01Z").json()));
    assertEquals(List.of(other), ids(http.get("/cleave/v1/activations?limit=1").json()));
    assertEquals(List.of(other, second, first), ids(http.get("/cleave/v1/activations?fn_id=&limit=1000").json()),
        "an empty fn_id does not filter");
  }

  @Test
  void badQueriesAre400() {
    String since = "since must be an RFC 3339 time such as 2018-03-07T21:35:03.155Z";
    String limit = "limit must be an integer between 1 and 1000";
    assertError(http.get("/cleave/v1/activations?since=yesterday"), 400, since);
    assertError(http.get("/cleave/v1/activations?limit=0"), 400, limit);
    assertError(http.get("/cleave/v1/activations?limit=1001"), 400, limit);
    assertError(http.get("/cleave/v1/activations?limit=many"), 400, limit);
  }

  @Test
  void oneRecordAndItsLogs() {
    String id = record(Ulid.next(), 3);
    assertEquals(id, http.get("/cleave/v1/activations/" + id).json().path("id").asText());
    Http.Reply logs = http.get("/cleave/v1/activations/" + id + "/logs");
    assertEquals(200, logs.status(), logs.toString());
    assertEquals("line one\nline two\n", logs.text());
    assertTrue(logs.header("Content-Type").startsWith("text/plain"));
    assertError(http.get("/cleave/v1/activations/" + Ulid.next()), 404, "Activation not found");
    assertError(http.get("/cleave/v1/activations/" + Ulid.next() + "/logs"), 404, "Activation not found");
  }

  @Test
  void withoutAnInvokerTheRoutesAnswer503() throws Exception {
    try (GatewayFixture bare = GatewayFixture.start(UnaryOperator.identity())) {
      assertError(bare.http().get("/cleave/v1/activations"), 503, "no invoker on this node");
      assertError(bare.http().get("/cleave/v1/activations/" + Ulid.next()), 503, "no invoker on this node");
      assertError(bare.http().get("/cleave/v1/activations/" + Ulid.next() + "/logs"), 503, "no invoker on this node");
    }
  }
}
