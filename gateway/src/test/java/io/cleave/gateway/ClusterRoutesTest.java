package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.http.Http;
import io.cleave.common.invoke.NodeLoad;
import java.util.Map;
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

  @Test
  void aMemberShowsItsLoadWithTheForksItStartedBySeedNode() throws Exception {
    try (GatewayFixture gateway = GatewayFixture.start(UnaryOperator.identity())) {
      gateway.parts().membership().publishLoad(new NodeLoad("n1", 2048, 512, 1, 2, 3, 1, Map.of("n1", 7L, "n2", 4L)));
      JsonNode self = gateway.http().get("/cleave/v1/cluster").json().path("members").get(0);
      assertEquals("n1", self.path("node").asText(), self.toString());
      assertEquals(1536, self.path("free_mb").asLong(), self.toString());
      assertEquals(7, self.path("forks_from").path("n1").asLong(), self.toString());
      assertEquals(4, self.path("forks_from").path("n2").asLong(), self.toString());
    }
  }
}
