package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.common.invoke.Call;
import io.cleave.common.invoke.CallResult;
import io.cleave.common.invoke.FunctionInvoker;
import io.cleave.common.model.StartMode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An invoker with a home context (the node's invoker loop) gets the gateway's first HTTP instance
 * there: with one instance, every call reaches the invoker on its own loop and is answered from
 * it, crossing no thread.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HomeLoopTest {
  private GatewayFixture gateway;
  private Context home;
  private final List<Context> callContexts = new CopyOnWriteArrayList<>();
  private final List<Thread> callThreads = new CopyOnWriteArrayList<>();

  @BeforeAll
  void start() throws Exception {
    gateway = GatewayFixture.startWith(HomeLoopTest::oneInstance, vertx -> {
      home = vertx.getOrCreateContext();
      return new FunctionInvoker() {
        @Override
        public Future<CallResult> call(Call call) {
          callContexts.add(Vertx.currentContext());
          callThreads.add(Thread.currentThread());
          return Future.succeededFuture(new CallResult(200, Map.of(), Buffer.buffer("ok"), StartMode.WARM));
        }

        @Override
        public Future<Void> submitDetached(Call call) {
          return Future.succeededFuture();
        }

        @Override
        public Future<CallResult> runDetached(Call call) {
          return call(call);
        }

        @Override
        public Context home() {
          return home;
        }
      };
    }, null);
  }

  private static ServerConfig oneInstance(ServerConfig c) {
    return new ServerConfig(c.host(), c.port(), c.dataDir(), c.clusterName(), c.clusterHost(), c.clusterPort(),
        c.members(), c.invokeBodyLimit(), c.apiBodyLimit(), c.bundleLimit(), c.unpackLimits(), 1, c.clusterSecret(),
        c.bundleStorage(), c.httpEdge(), c.adminKey());
  }

  @AfterAll
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void callsThroughTheGatewayRunOnTheInvokersHomeLoop() {
    String appId = gateway.createApp("home").path("id").asText();
    String fnId = gateway.createFn(appId, "f").path("id").asText();
    Thread[] homeThread = new Thread[1];
    home.runOnContext(v -> homeThread[0] = Thread.currentThread());
    for (int i = 0; i < 5; i++) {
      Http.Reply r = gateway.http().send("POST", "/invoke/" + fnId, "x".getBytes(), Map.of());
      assertEquals(200, r.status(), r.toString());
    }
    assertEquals(5, callContexts.size());
    assertFalse(callThreads.isEmpty());
    for (int i = 0; i < callContexts.size(); i++) {
      assertSame(home, ((ContextInternal) callContexts.get(i)).unwrap(), "call " + i + " ran on another context");
      assertSame(homeThread[0], callThreads.get(i), "call " + i + " ran on another thread");
    }
  }
}
