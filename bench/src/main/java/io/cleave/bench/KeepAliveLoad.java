package io.cleave.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * wrk's closed loop in one thread: {@code connections} keep-alive HTTP/1.1 connections, each
 * sending the same request again as soon as the answer to its last one is complete. The request's
 * bytes are made once and answers are parsed no further than their status and Content-Length, so
 * the load generator costs the machine a few microseconds per call (a general HTTP client costs
 * about as much as the server it measures, on the same two cores). Latency runs from writing a
 * request to reading the last byte of its answer.
 */
final class KeepAliveLoad {
  /** Calls answered inside the counted window, and each one's latency. */
  record Result(double seconds, List<Double> latenciesMs) {}

  private static final long CALL_TIMEOUT_NANOS = 30_000_000_000L;
  /** The longest warm-up, however few calls were answered in it. */
  private static final long WARMUP_CAP_NANOS = 60_000_000_000L;
  private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};

  private final URI gateway;
  private final byte[] request;

  /** POSTs {@code body} (JSON) to {@code path} of {@code gateway} with {@code Authorization: Bearer apiKey}. */
  KeepAliveLoad(URI gateway, String path, String apiKey, byte[] body) {
    if (!"http".equals(gateway.getScheme()) || gateway.getPort() <= 0) {
      throw new IllegalArgumentException("the load needs an http URL with a port: " + gateway);
    }
    this.gateway = gateway;
    String head = "POST " + path + " HTTP/1.1\r\nHost: " + gateway.getHost() + ":" + gateway.getPort()
        + "\r\nContent-Type: application/json\r\nAuthorization: Bearer " + apiKey
        + "\r\nContent-Length: " + body.length + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    this.request = new byte[h.length + body.length];
    System.arraycopy(h, 0, request, 0, h.length);
    System.arraycopy(body, 0, request, h.length, body.length);
  }

  /**
   * Runs the loop uncounted until {@code warmupCalls} were answered and {@code warmupSeconds} passed
   * (at most {@link #WARMUP_CAP_NANOS}), then {@code seconds} counted (calls sent and answered inside
   * that window). Fails on an answer other than 2xx, a closed connection, or a call unanswered for
   * 30 s. {@code counting} runs (on this thread) when the counted window opens.
   */
  Result run(int connections, long warmupCalls, double warmupSeconds, double seconds, Runnable counting)
      throws IOException {
    List<Double> latencies = new ArrayList<>();
    long t0 = System.nanoTime();
    long warmupUntil = t0 + (long) (warmupSeconds * 1e9);
    long counted = Long.MAX_VALUE;
    long end = Long.MAX_VALUE;
    long answered = 0;
    try (Selector selector = Selector.open()) {
      List<Connection> open = new ArrayList<>();
      try {
        for (int i = 0; i < connections; i++) {
          SocketChannel ch = SocketChannel.open(new InetSocketAddress(gateway.getHost(), gateway.getPort()));
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
          ch.configureBlocking(false);
          Connection c = new Connection(ch);
          open.add(c);
          ch.register(selector, SelectionKey.OP_READ, c);
          c.send(request);
        }
        int running = connections;
        while (running > 0) {
          selector.select(1000);
          long now = System.nanoTime();
          if (counted == Long.MAX_VALUE && (answered >= warmupCalls && now >= warmupUntil || now - t0 >= WARMUP_CAP_NANOS)) {
            counted = now;
            end = now + (long) (seconds * 1e9);
            counting.run();
          }
          for (SelectionKey key : selector.selectedKeys()) {
            Connection c = (Connection) key.attachment();
            int status = c.read();
            if (status == 0) {
              continue; // the answer is not complete yet
            }
            now = System.nanoTime();
            answered++;
            if (status / 100 != 2) {
              throw new IOException("a warm call answered " + status + ": " + c.lastBody());
            }
            if (c.sentAt >= counted && now <= end) {
              latencies.add((now - c.sentAt) / 1e6);
            }
            if (now >= end) {
              key.cancel();
              c.channel.close();
              running--;
            } else {
              c.send(request);
            }
          }
          selector.selectedKeys().clear();
          for (Connection c : open) {
            if (c.channel.isOpen() && now - c.sentAt > CALL_TIMEOUT_NANOS) {
              throw new IOException("a warm call got no answer in 30 s");
            }
          }
        }
      } finally {
        for (Connection c : open) {
          c.channel.close();
        }
      }
    }
    return new Result(seconds, latencies);
  }

  /** One connection: its read buffer and when its request in flight was sent. */
  private static final class Connection {
    final SocketChannel channel;
    ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    long sentAt;
    private String lastBody = "";

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    void send(byte[] request) throws IOException {
      sentAt = System.nanoTime();
      ByteBuffer out = ByteBuffer.wrap(request);
      while (out.hasRemaining()) {
        if (channel.write(out) == 0) {
          Thread.onSpinWait(); // a fresh keep-alive socket's buffer holds a small request: rarely taken
        }
      }
    }

    /** Reads what arrived; answers the status once an answer is complete (and drops it), else 0. */
    int read() throws IOException {
      if (!in.hasRemaining()) {
        ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
        in.flip();
        bigger.put(in);
        in = bigger;
      }
      if (channel.read(in) < 0) {
        throw new IOException("the gateway closed a keep-alive connection");
      }
      byte[] a = in.array();
      int len = in.position();
      int headEnd = indexOf(a, len, HEAD_END);
      if (headEnd < 0) {
        return 0;
      }
      String head = new String(a, 0, headEnd, StandardCharsets.ISO_8859_1);
      int length = contentLength(head);
      int total = headEnd + HEAD_END.length + length;
      if (len < total) {
        return 0;
      }
      int status = Integer.parseInt(head.substring(9, 12));
      if (status / 100 != 2) {
        lastBody = new String(a, headEnd + HEAD_END.length, Math.min(length, 300), StandardCharsets.UTF_8);
      }
      System.arraycopy(a, total, a, 0, len - total);
      in.position(len - total);
      return status;
    }

    String lastBody() {
      return lastBody;
    }

    private static int contentLength(String head) throws IOException {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
          return Integer.parseInt(line.substring(colon + 1).trim());
        }
      }
      throw new IOException("an answer without Content-Length (this load reads no other framing): " + head);
    }

    private static int indexOf(byte[] a, int len, byte[] what) {
      outer:
      for (int i = 0; i + what.length <= len; i++) {
        for (int j = 0; j < what.length; j++) {
          if (a[i + j] != what[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }
}
