package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.http.Http;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** {@code GET /cleave/v1/cluster} of a single member: the cluster's name, the member, where it serves the API. */
class ClusterRoutesTest {

  @Test
  void aSingleMemberListsItselfWithItsApiUrl() throws Exception {
    try (GatewayFixture gateway = GatewayFixture.start(UnaryOperator.identity())) {
      Http.Reply r = gateway.http().get("/cleave/v1/cluster");
      assertEquals(200, r.status(), r.toString());
      JsonNode body = r.json();
      assertEquals(gateway.config().clusterName(), body.path("name").asText());
      assertEquals(1, body.path("members").size(), body.toString());
      JsonNode self = body.path("members").get(0);
      UUID.fromString(self.path("id").asText());
      assertTrue(self.path("address").asText().startsWith(gateway.config().clusterHost() + ":"), self.toString());
      assertEquals(gateway.url(), self.path("api_url").asText(), "published when the gateway started");
      assertTrue(self.path("local").asBoolean(), self.toString());
    }
  }
}
