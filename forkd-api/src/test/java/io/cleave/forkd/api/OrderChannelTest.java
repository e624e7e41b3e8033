package io.cleave.forkd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.common.error.ApiError;
import io.cleave.common.model.FnNetwork;
import io.cleave.common.model.StartMode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order channel against a stand-in for forkd on a real unix socket, speaking the frames of
 * {@link OrderWire}: requests arrive whole (every field of a start), answers find their orders
 * in any order, forkd's refusals keep their status, and a lost connection fails what was in
 * flight and is made again for the next order.
 */
class OrderChannelTest {
  @TempDir Path dir;
  private Vertx vertx;
  private ServerSocketChannel server;
  private ForkdClient client;

  @BeforeEach
  void open() throws IOException {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Path http = dir.resolve("forkd.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(OrderWire.socketNextTo(http)));
    client = new ForkdClient(vertx, http);
  }

  @AfterEach
  void close() throws Exception {
    client.close();
    server.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aStartArrivesWithEveryFieldAndItsAnswerComesBack() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("A", "1");
    env.put("UNICODE", "häää ✓");
    StartRequest sent = new StartRequest("f", "a", "/b", 64, List.of("/usr/bin/python3", "-m", "fdk"), env,
        StartMode.REMOTE_FORK, false, "s-1", true, new RemoteRef("10.0.0.1:7000", 42, "ab".repeat(16)),
        FnNetwork.OUTBOUND, null, true, new StartRequest.ForkAfter("call-1", 30));
    Future<StartedInstance> started = client.start(sent);
    try (SocketChannel forkd = accept()) {
      Order order = Order.read(forkd);
      assertEquals(OrderWire.START, order.op());
      StartRequest got = RecordCodec.read(order.payload(), StartRequest.class);
      assertEquals(sent, got);
      write(forkd, OrderWire.frame(order.id(), OrderWire.OK,
          new StartedInstance("f-1", 123, "/run/f-1/lsnr.sock", StartMode.INSTANCE, 1.25, null, "s-1")));
      StartedInstance answer = started.await(10, TimeUnit.SECONDS);
      assertEquals(new StartedInstance("f-1", 123, "/run/f-1/lsnr.sock", StartMode.INSTANCE, 1.25, null, "s-1"), answer);
    }
  }

  @Test
  void pipelinedOrdersGetTheirOwnAnswersInWhateverOrderForkdFinishes() throws Exception {
    Future<InstanceStatus> first = client.status("i-1");
    Future<Void> second = client.delete("i-2");
    Future<InstanceStatus> third = client.status("i-3");
    try (SocketChannel forkd = accept()) {
      List<Order> orders = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        orders.add(Order.read(forkd));
      }
      // The last first, the middle one refused.
      Order o3 = orders.get(2);
      assertEquals("i-3", RecordCodec.readString(o3.payload()));
      write(forkd, OrderWire.frame(o3.id(), OrderWire.OK, status("i-3")));
      write(forkd, OrderWire.error(orders.get(1).id(), new ApiError(404, "instance i-2 not found", 0)));
      write(forkd, OrderWire.frame(orders.get(0).id(), OrderWire.OK, status("i-1")));
      assertEquals("i-3", third.await(10, TimeUnit.SECONDS).instanceId());
      assertEquals("i-1", first.await(10, TimeUnit.SECONDS).instanceId());
      ApiError refused = failure(second);
      assertEquals(404, refused.status());
      assertEquals("instance i-2 not found", refused.getMessage());
    }
  }

  @Test
  void aLostConnectionFailsOrdersInFlightAndTheNextOrderReconnects() throws Exception {
    Future<StartedInstance> inFlight = client.start(StartRequest.fork("s-1", "f", "a", 64, Map.of()));
    try (SocketChannel forkd = accept()) {
      Order.read(forkd); // forkd took the order, then died
    }
    ApiError lost = failure(inFlight);
    assertEquals(502, lost.status());
    assertTrue(lost.getMessage().contains("lost while the order was in flight"), lost.getMessage());

    Future<Void> next = client.delete("f-1");
    try (SocketChannel restarted = accept()) {
      Order order = Order.read(restarted);
      assertEquals(OrderWire.DELETE, order.op());
      write(restarted, OrderWire.frame(order.id(), OrderWire.OK, null));
      next.await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anUnreachableForkdIsAClearError() throws Exception {
    server.close();
    java.nio.file.Files.delete(OrderWire.socketNextTo(dir.resolve("forkd.sock")));
    ApiError e = failure(client.status("i-1"));
    assertEquals(502, e.status());
    assertTrue(e.getMessage().startsWith("forkd is not reachable on "), e.getMessage());
  }

  @Test
  void aRecordWithAFieldTheChannelCannotCarryIsRefusedByName() {
    record Odd(String name, Object value) {}
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecordCodec.requireCarried(Odd.class));
    assertTrue(e.getMessage().contains("Odd.value"), e.getMessage());
    RecordCodec.requireCarried(StartRequest.class);
    RecordCodec.requireCarried(StartedInstance.class);
    RecordCodec.requireCarried(InstanceStatus.class);
  }

  private static InstanceStatus status(String id) {
    return new InstanceStatus(id, "running", null, null, false, 1, 2, 3, null, null, 4);
  }

  private SocketChannel accept() throws IOException {
    SocketChannel ch = server.accept();
    ByteBuffer magic = ByteBuffer.allocate(4);
    readFully(ch, magic);
    assertEquals(OrderWire.MAGIC, magic.getInt(0));
    return ch;
  }

  private static ApiError failure(Future<?> f) {
    Exception e = assertThrows(Exception.class, () -> f.await(10, TimeUnit.SECONDS));
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return assertInstanceOf(ApiError.class, cause);
  }

  private static void write(SocketChannel ch, byte[] frame) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(frame);
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new IOException("the client closed the channel");
      }
    }
  }

  private record Order(int id, byte op, DataInputStream payload) {
    static Order read(SocketChannel ch) throws IOException {
      ByteBuffer header = ByteBuffer.allocate(4);
      readFully(ch, header);
      ByteBuffer frame = ByteBuffer.allocate(header.getInt(0));
      readFully(ch, frame);
      byte[] b = frame.array();
      return new Order(frame.getInt(0), b[4], new DataInputStream(new ByteArrayInputStream(b, 5, b.length - 5)));
    }
  }
}
