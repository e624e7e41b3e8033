package io.cleave.gateway;

import io.cleave.common.activation.ActivationLog;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.common.invoke.FunctionInvoker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** Tests of one class share one running gateway ({@link GatewayFixture}) and its HTTP client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GatewayTestBase {
  GatewayFixture gateway;
  Http http;

  /** The test defaults as this class needs them; unchanged unless overridden. */
  ServerConfig config(ServerConfig defaults) {
    return defaults;
  }

  /** The invoker behind the gateway; none unless overridden (calls then answer 503). */
  FunctionInvoker invoker() {
    return null;
  }

  /** The activation log behind the gateway; none unless overridden (its routes then answer 503). */
  ActivationLog activations() {
    return null;
  }

  @BeforeAll
  void startGateway() throws Exception {
    gateway = GatewayFixture.start(this::config, invoker(), activations());
    http = gateway.http();
  }

  @AfterAll
  void stopGateway() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }
}
