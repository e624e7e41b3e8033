package io.cleave.server;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Small Python step functions for flow tests (one source, the operation chosen by the function's
 * config OP), and the witness they report runs to.
 */
final class FlowFunctions {
  /** Input and result are JSON; "witnessed" asks the witness whether to fail, hold or go on. */
  static final String STEPS = """
      import json
      import os
      import time
      import urllib.request

      import fdk

      # Calls this process served (a global: it lives as long as the instance).
      SERVED = [0]
      # Names the process that imported this module (a kept instance keeps it for its children).
      PROCESS = os.urandom(8).hex()


      def header(ctx, name):
          for k, v in ctx.Headers().items():
              if k.lower() == name:
                  return v[0] if isinstance(v, list) else v
          return ""


      def handler(ctx, data=None):
          op = ctx.Config()["OP"]
          raw = data.getvalue() if data else b""
          x = json.loads(raw) if raw else None
          if op == "inc":
              return json.dumps(x + 1)
          if op == "square":
              return json.dumps(x * x)
          if op == "split":
              return json.dumps(list(range(x)))
          if op == "sum":
              return json.dumps(sum(x.values()) if isinstance(x, dict) else sum(x))
          if op == "sleep":
              time.sleep(x)
              return json.dumps(x)
          if op == "keepwitnessed":
              token = header(ctx, "cleave-flow-run") + "-" + header(ctx, "cleave-flow-step")
              if urllib.request.urlopen(ctx.Config()["WITNESS"] + "?token=" + token, timeout=10).read() == b"fail":
                  fdk.state.keep("kept", {"numbers": [-1], "tags": {"failed"}})
                  raise ValueError("failing once, as told")
              op = "keep"
          if op == "keep":
              # A set: JSON could not carry it, so a consumer that sees it got the object itself.
              kept = {"numbers": list(range(x)), "tags": {"a", "b"}}
              fdk.state.keep("kept", kept)
              if x % 2:  # kept only by runs with an odd input
                  fdk.state.keep("odd", x)
              fdk.state.keep("process", PROCESS)
              return json.dumps({"id": id(kept), "pid": os.getpid(), "numbers": kept["numbers"]})
          if op == "peek":
              try:
                  kept = fdk.state.get("kept")
              except KeyError:
                  return json.dumps({"forked": False, "input": x})
              SERVED[0] += 1
              # A second fork producer's result, copied into the instance this one forked from.
              listed = fdk.state.get("listed") if "listed" in fdk.state.names() else None
              return json.dumps({"forked": True, "id": id(kept), "pid": os.getpid(), "ppid": os.getppid(),
                                 "served": SERVED[0], "numbers": kept["numbers"], "tags": sorted(kept["tags"]),
                                 "names": sorted(fdk.state.names()), "producer": fdk.state.get("process"),
                                 "listed": listed, "listed_id": id(listed), "input": x})
          if op == "witnessed":
              token = header(ctx, "cleave-flow-run") + "-" + header(ctx, "cleave-flow-step")
              answer = urllib.request.urlopen(ctx.Config()["WITNESS"] + "?token=" + token, timeout=10).read()
              if answer == b"fail":
                  raise ValueError("failing once, as told")
              if answer == b"hold":
                  time.sleep(600)
              return json.dumps(x + 1)
          raise ValueError("unknown op " + op)
      """;

  private FlowFunctions() {}

  /**
   * Counts runs by token ("<run>-<step>") and answers each with what {@code first} says for the
   * first run of a token ("fail", "hold" or "go"), "go" for later ones.
   */
  static final class Witness implements AutoCloseable {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final HttpServer server;

    Witness(java.util.function.Function<String, String> first) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/ran", ex -> {
        String token = ex.getRequestURI().getQuery().substring("token=".length());
        int run = runs.computeIfAbsent(token, k -> new AtomicInteger()).incrementAndGet();
        byte[] answer = (run == 1 ? first.apply(token) : "go").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, answer.length);
        ex.getResponseBody().write(answer);
        ex.close();
      });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/ran";
    }

    int runsOf(String runId, String step) {
      AtomicInteger n = runs.get(runId + "-" + step);
      return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
