package io.cleave.server;

import io.cleave.common.error.ApiError;
import io.cleave.common.error.CallNotDelivered;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.json.Json;
import io.cleave.common.model.StartMode;
import io.cleave.invoker.NodeInvoker;
import io.cleave.scheduler.CallRouting;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The invoker clients' calls go to: this node's own, unless the node is full and another member has
 * room ({@link CallRouting}); then the call is forwarded once, with the cluster secret, to that
 * member's internal call route, and its answer comes back as if run here. Detached calls are
 * queued here; when the queue runs one it is routed the same way. With no cluster secret every call
 * runs here.
 */
final class ForwardingInvoker implements FunctionInvoker, AutoCloseable {
  private static final Set<String> NOT_FORWARDED_BACK = Set.of("connection", "keep-alive", "transfer-encoding",
      "content-length", "cleave-outcome", "cleave-start-mode", "cleave-node", "fn-call-id");

  private final NodeInvoker local;
  private final String secret;
  private final HttpClient http;
  /** The other members that could take a call, refreshed every second from the cluster's view. */
  private volatile List<CallRouting.Candidate> others = List.of();

  ForwardingInvoker(Vertx vertx, NodeInvoker local, String secret) {
    this.local = local;
    this.secret = secret;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(2000));
  }

  void others(List<CallRouting.Candidate> candidates) {
    this.others = List.copyOf(candidates);
  }

  @Override
  public Future<CallResult> call(Call call) {
    Optional<CallRouting.Candidate> target = target(call);
    return target.isEmpty() ? local.call(call) : forward(target.get(), call, false);
  }

  @Override
  public Future<Void> submitDetached(Call call) {
    return local.submitDetached(call);
  }

  /** This node's queue hands its calls here: each runs where a synchronous call would, marked detached. */
  @Override
  public Future<CallResult> runDetached(Call call) {
    Optional<CallRouting.Candidate> target = target(call);
    return target.isEmpty() ? local.runDetached(call) : forward(target.get(), call, true);
  }

  private Optional<CallRouting.Candidate> target(Call call) {
    return secret.isEmpty() ? Optional.empty() : CallRouting.forwardTo(local.load(), others, call.fn().memory());
  }

  /**
   * Sends the call to the member's internal route. A failure before that member's invoker answered
   * (no connection, the connection broke, an answer not from its invoker) is {@link CallNotDelivered}:
   * for all this node knows the call did not run, or died with that member.
   */
  private Future<CallResult> forward(CallRouting.Candidate to, Call call, boolean detached) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(to.apiUrl() + "/cleave/v1/internal/calls/" + call.fn().id())
        .setTimeout((Math.max(1, call.fn().timeout()) + 30) * 1000L);
    MultiMap headers = options.getHeaders() == null ? MultiMap.caseInsensitiveMultiMap() : options.getHeaders();
    call.headers().forEach(headers::add);
    headers.set("Cleave-Cluster-Secret", secret);
    headers.set("Cleave-Call-Id", call.id());
    if (detached) {
      headers.set("Cleave-Detached", "true");
    }
    options.setHeaders(headers);
    // The body is read inside send's continuation (see ForkdClient: a later read can miss it).
    return http.request(options)
        .compose(req -> req.send(call.body()).compose(resp -> resp.body().map(body -> answer(to, resp, body))))
        .recover(e -> Future.failedFuture(e instanceof ApiError ? e
            : new CallNotDelivered(502, "forwarding the call to " + to.apiUrl() + " failed: " + e.getMessage())));
  }

  private static CallResult answer(CallRouting.Candidate to, HttpClientResponse resp, Buffer body) {
    String outcome = resp.getHeader("Cleave-Outcome");
    if (!"answer".equals(outcome)) {
      String message = message(body);
      message = message.isEmpty() ? "the member at " + to.apiUrl() + " answered " + resp.statusCode() : message;
      // Without the mark the answer came from the door (secret, proxy), not from the member's invoker.
      throw outcome == null ? new CallNotDelivered(resp.statusCode(), message) : new ApiError(resp.statusCode(), message);
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : resp.headers().names()) {
      if (!NOT_FORWARDED_BACK.contains(name.toLowerCase(Locale.ROOT))) {
        headers.put(name, resp.headers().getAll(name));
      }
    }
    String mode = resp.getHeader("Cleave-Start-Mode");
    return new CallResult(resp.statusCode(), headers, body, mode == null ? null : StartMode.fromWireName(mode),
        resp.getHeader("Cleave-Node"));
  }

  /** The {"message"} of an error answer; "" when it has none or is not JSON (a proxy's page). */
  private static String message(Buffer body) {
    try {
      return body.length() == 0 ? "" : Json.fromBytes(body.getBytes(), Map.class).getOrDefault("message", "").toString();
    } catch (RuntimeException notJson) {
      return "";
    }
  }

  @Override
  public void close() {
    http.close();
  }
}
