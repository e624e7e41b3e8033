package io.cleave.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.config.HttpEdgeLimits;
import io.cleave.common.config.ServerConfig;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The API server's connection caps, per client address and in all, over real sockets from several
 * loopback addresses. Its own gateway: connections another test leaves open would count against
 * these small caps.
 */
@Timeout(60)
class ConnectionCapsTest extends GatewayTestBase {
  private static final int PER_CLIENT = 4;
  private static final int TOTAL = 6;

  @Override
  ServerConfig config(ServerConfig c) {
    HttpEdgeLimits edge = c.httpEdge();
    return c.withHttpEdge(new HttpEdgeLimits(edge.headerTimeoutSeconds(), edge.bodyTimeoutSeconds(),
        edge.idleTimeoutSeconds(), TOTAL, PER_CLIENT));
  }

  @Test
  void connectionsPastTheCapsAreRefusedWithoutAffectingOthers() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      // One client at its cap: its next connection is closed at once, another client is served.
      for (int i = 0; i < PER_CLIENT; i++) {
        held.add(eventuallyAnswered("127.0.0.5"));
      }
      try (Socket extra = RawHttp.connect(gateway.url(), "127.0.0.5")) {
        assertTrue(RawHttp.closedWithin(extra, 1000), "a connection past the per-client cap stayed open");
      }
      try (Socket other = answered("127.0.0.6")) {
        // served
      }
      // All clients at the total cap: a third client is refused too. (The server may not have
      // seen the close of the connection just served yet: its slot comes back soon after.)
      held.add(eventuallyAnswered("127.0.0.6"));
      held.add(eventuallyAnswered("127.0.0.6"));
      try (Socket third = RawHttp.connect(gateway.url(), "127.0.0.7")) {
        assertTrue(RawHttp.closedWithin(third, 1000), "a connection past the total cap stayed open");
      }
      // A connection closed gives its slot back.
      held.remove(0).close();
      held.add(eventuallyAnswered("127.0.0.5"));
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  private Socket answered(String from) throws Exception {
    Socket s = RawHttp.connect(gateway.url(), from);
    String reply = RawHttp.get(s, "/version");
    assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
    return s;
  }

  private Socket eventuallyAnswered(String from) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (true) {
      try {
        return answered(from);
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }
}
