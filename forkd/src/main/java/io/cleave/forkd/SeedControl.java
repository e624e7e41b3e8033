package io.cleave.forkd;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.json.WireJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * forkd's connection to a seed's control socket: newline-delimited JSON, one answer line per
 * request line (docs/CONTRACTS.md). One request at a time: the seed is single-threaded. A Python
 * seed takes fork and prepare orders, a JVM seed start, stop and stats orders.
 */
final class SeedControl implements AutoCloseable {
  private final SocketChannel channel;
  private final Selector selector;
  private final ByteBuffer in = ByteBuffer.allocate(8192);
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private SeedControl(SocketChannel channel, Selector selector) {
    this.channel = channel;
    this.selector = selector;
  }

  static SeedControl connect(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.configureBlocking(false);
      Selector selector = Selector.open();
      channel.register(selector, SelectionKey.OP_READ);
      return new SeedControl(channel, selector);
    } catch (IOException e) {
      channel.close();
      throw e;
    }
  }

  /** The seed's refusal of an order ({"ok": false, "error": ...}). */
  static class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The seed cannot be forked safely ({"ok": false, "code": "not-forkable", "error": reason}):
   * threads besides its main one run. Forking it again will not help; starting cold will.
   */
  static final class NotForkable extends Refused {
    NotForkable(String reason) {
      super(reason);
    }
  }

  /**
   * A fork's answer: the child's pid in the seed's pid namespace, and the pid there of an earlier
   * child whose first call is out and whose pages the seed asks to learn (0 for none).
   */
  record ForkAnswer(long pid, long learn) {}

  /**
   * Sends a fork order. {@code function} (a kept instance's consumer: {@code file},
   * {@code handler}) is the code the child serves, null for the seed's own; {@code after} (a kept
   * instance's call id, or null) makes the instance fork once it answered that call.
   */
  synchronized ForkAnswer fork(String childId, String listener, String output, Map<String, String> env,
      Map<String, String> function, String after, long timeoutMs) throws IOException, Refused {
    Map<String, Object> order = new LinkedHashMap<>();
    order.put("op", "fork");
    order.put("child_id", childId);
    order.put("listener", listener);
    order.put("stdout", output);
    order.put("stderr", output);
    order.put("env", env);
    if (function != null) {
      order.put("function", function);
    }
    if (after != null) {
      order.put("after", after);
    }
    JsonNode answer = request(order, timeoutMs);
    if (!answer.path("ok").asBoolean(false)) {
      String error = answer.path("error").asText("the seed refused the fork without a reason");
      throw "not-forkable".equals(answer.path("code").asText()) ? new NotForkable(error) : new Refused(error);
    }
    if (!answer.path("pid").canConvertToLong()) {
      throw new IOException("fork answer without a pid: " + answer);
    }
    return new ForkAnswer(answer.path("pid").asLong(), answer.path("learn").asLong(0));
  }

  /**
   * Sends a pages order: the first-call pages learned from a child ({@link FirstCallPages}), as
   * [start, end) address pairs. Answers the number of pages the seed kept.
   */
  synchronized long pages(List<long[]> ranges, long timeoutMs) throws IOException, Refused {
    JsonNode answer = request(Map.of("op", "pages", "ranges", ranges), timeoutMs);
    if (!answer.path("ok").asBoolean(false)) {
      throw new Refused(answer.path("error").asText("the seed refused the pages without a reason"));
    }
    return answer.path("pages").asLong();
  }

  /**
   * Sends a prepare order: the seed snapshots itself through the page server's unix socket
   * ({@code sock}, as the seed sees it) with the binding in {@code binding}; a child resumed from
   * the snapshot reads its own order from {@code order}. Answers the handle and its key.
   */
  synchronized Prepared prepare(String sock, String binding, String order, long timeoutMs)
      throws IOException, Refused {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("op", "prepare");
    request.put("sock", sock);
    request.put("binding", binding);
    request.put("order", order);
    JsonNode answer = request(request, timeoutMs);
    if (!answer.path("ok").asBoolean(false)) {
      String error = answer.path("error").asText("the seed refused to prepare without a reason");
      throw "not-forkable".equals(answer.path("code").asText()) ? new NotForkable(error) : new Refused(error);
    }
    String key = answer.path("key").asText("");
    if (!answer.path("handle").canConvertToLong() || answer.path("handle").asLong() <= 0
        || !key.matches("[0-9a-f]{32}")) {
      throw new IOException("prepare answer without a handle and key: " + answer);
    }
    return new Prepared(answer.path("handle").asLong(), key);
  }

  /**
   * Orders a JVM seed to start instance {@code id} with its own config ({@code env}), listener and
   * output file (both as the JVM sees them; the output takes the instance's System.out and
   * System.err); answers once the listener is bound and the function's configuration ran.
   */
  synchronized void startInstance(String id, String listener, String output, Map<String, String> env,
      long timeoutMs) throws IOException, Refused {
    Map<String, Object> order = new LinkedHashMap<>();
    order.put("op", "start");
    order.put("id", id);
    order.put("listener", listener);
    order.put("env", env);
    order.put("output", output);
    JsonNode answer = request(order, timeoutMs);
    if (!answer.path("ok").asBoolean(false)) {
      throw new Refused(answer.path("error").asText("the JVM seed refused the instance without a reason"));
    }
  }

  /** Orders a JVM seed to stop instance {@code id}: its listener closes, a call in flight is interrupted. */
  synchronized void stopInstance(String id, long timeoutMs) throws IOException, Refused {
    JsonNode answer = request(Map.of("op", "stop", "id", id), timeoutMs);
    if (!answer.path("ok").asBoolean(false)) {
      throw new Refused(answer.path("error").asText("the JVM seed refused the stop without a reason"));
    }
  }

  /** A seed's snapshot as its page server knows it. */
  record Prepared(long handle, String key) {}

  /**
   * One request and its answer. A request that fails part-way (no answer in time, a broken line)
   * closes the connection: an answer that came late would be read as the next request's.
   */
  synchronized JsonNode request(Map<String, Object> request, long timeoutMs) throws IOException {
    try {
      ByteBuffer out = ByteBuffer.wrap((WireJson.write(request) + "\n").getBytes(StandardCharsets.UTF_8));
      long deadline = System.nanoTime() + timeoutMs * 1_000_000;
      while (out.hasRemaining()) {
        if (channel.write(out) == 0) {
          waitFor(SelectionKey.OP_WRITE, deadline);
        }
      }
      line.reset();
      while (true) {
        in.clear();
        int n = channel.read(in);
        if (n < 0) {
          throw new IOException("the seed closed its control connection");
        }
        if (n == 0) {
          waitFor(SelectionKey.OP_READ, deadline);
          continue;
        }
        in.flip();
        while (in.hasRemaining()) {
          byte b = in.get();
          if (b == '\n') {
            // One answer per request: nothing may follow the newline.
            return WireJson.MAPPER.readTree(line.toString(StandardCharsets.UTF_8));
          }
          line.write(b);
        }
      }
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private void waitFor(int op, long deadline) throws IOException {
    channel.keyFor(selector).interestOps(op);
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0 || selector.select(left) == 0 && System.nanoTime() >= deadline) {
      throw new IOException("the seed did not answer within the start timeout");
    }
    selector.selectedKeys().clear();
  }

  @Override
  public synchronized void close() {
    try {
      selector.close();
      channel.close();
    } catch (IOException ignored) {
      // Closing a control connection of a seed that is going away: nothing to report.
    }
  }
}
