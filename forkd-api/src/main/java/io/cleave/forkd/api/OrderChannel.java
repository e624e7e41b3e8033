package io.cleave.forkd.api;

import io.cleave.common.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.io.ByteArrayInputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The invoker's end of forkd's order channel ({@link OrderWire}): one persistent unix-socket
 * connection carrying every start, status and delete, pipelined, each answer matched to its order
 * by id. The connection is made on first use, on the caller's Vert.x context (the invoker's loop:
 * answers then complete there, with no thread hop), and made again on the next order after it was
 * lost: when forkd dies or restarts, every order still in flight on the old connection fails at once
 * with a 502 that says so (forkd may or may not have acted on it).
 */
final class OrderChannel implements AutoCloseable {
  /** Reads one kind of answer's payload. */
  interface Reader<T> {
    T read(DataInput in) throws IOException;
  }

  private record Waiting<T>(Promise<T> promise, Reader<T> reader) {
    void answer(Buffer frame) {
      try {
        byte[] b = frame.getBytes(5, frame.length());
        promise.tryComplete(reader.read(new DataInputStream(new ByteArrayInputStream(b))));
      } catch (IOException | RuntimeException e) {
        promise.tryFail(new ApiError(502, "forkd's answer could not be read: " + e.getMessage()));
      }
    }
  }

  /** One connection to forkd and the orders waiting for their answers on it. */
  private static final class Connection {
    final NetSocket socket;
    final Map<Integer, Waiting<?>> waiting = new ConcurrentHashMap<>();
    /** Why the connection is gone, once it is: orders sent on it after that fail at once. */
    volatile String lost;

    Connection(NetSocket socket) {
      this.socket = socket;
    }
  }

  private static final Buffer MAGIC = Buffer.buffer().appendInt(OrderWire.MAGIC);

  private final NetClient net;
  private final SocketAddress address;
  private final String path;
  private final AtomicInteger ids = new AtomicInteger();
  private Future<Connection> current;
  private boolean closed;

  OrderChannel(Vertx vertx, Path socket) {
    this.path = socket.toString();
    this.address = SocketAddress.domainSocketAddress(path);
    this.net = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5000));
  }

  /** Sends one order; completes with its answer read by {@code reader}, or fails with forkd's {@link ApiError}. */
  <T> Future<T> send(byte op, Object payload, Reader<T> reader) {
    int id = ids.incrementAndGet();
    Buffer frame;
    try {
      frame = Buffer.buffer(OrderWire.frame(id, op, payload));
    } catch (RuntimeException e) {
      // A record with a component the channel cannot carry (RecordCodec says which).
      return Future.failedFuture(new ApiError(500, "cannot send the order to forkd: " + message(e)));
    }
    Promise<T> answer = Promise.promise();
    connection().onComplete(ar -> {
      if (ar.failed()) {
        answer.fail(new ApiError(502, "forkd is not reachable on " + path + ": " + message(ar.cause())));
        return;
      }
      Connection c = ar.result();
      c.waiting.put(id, new Waiting<>(answer, reader));
      String lost = c.lost;
      if (lost != null) {
        if (c.waiting.remove(id) != null) {
          answer.fail(lostError(lost));
        }
        return;
      }
      c.socket.write(frame);
    });
    return answer.future();
  }

  private synchronized Future<Connection> connection() {
    if (closed) {
      return Future.failedFuture("the forkd client is closed");
    }
    Future<Connection> c = current;
    if (c != null && !c.failed() && (!c.isComplete() || c.result().lost == null)) {
      return c;
    }
    current = net.connect(address).map(this::opened);
    return current;
  }

  private Connection opened(NetSocket socket) {
    Connection c = new Connection(socket);
    RecordParser frames = RecordParser.newFixed(4);
    boolean[] atLength = {true};
    frames.handler(part -> {
      if (atLength[0]) {
        int length = part.getInt(0);
        if (length < 5 || length > OrderWire.MAX_FRAME) {
          lose(c, "forkd sent a frame of " + length + " bytes");
          socket.close();
          return;
        }
        atLength[0] = false;
        frames.fixedSizeMode(length);
      } else {
        atLength[0] = true;
        frames.fixedSizeMode(4);
        answered(c, part);
      }
    });
    socket.handler(frames);
    socket.closeHandler(v -> lose(c, "forkd closed the order channel"));
    socket.exceptionHandler(e -> {
      lose(c, message(e));
      socket.close();
    });
    socket.write(MAGIC);
    return c;
  }

  private static void answered(Connection c, Buffer frame) {
    Waiting<?> w = c.waiting.remove(frame.getInt(0));
    if (w == null) {
      return;
    }
    if (frame.getByte(4) == OrderWire.ERROR) {
      int status = frame.getInt(5);
      int retryAfter = frame.getInt(9);
      int length = frame.getInt(13);
      w.promise().tryFail(new ApiError(status, frame.getString(17, 17 + length, "UTF-8"), retryAfter));
    } else {
      w.answer(frame);
    }
  }

  private static void lose(Connection c, String reason) {
    if (c.lost != null) {
      return;
    }
    c.lost = reason;
    for (Integer id : c.waiting.keySet()) {
      Waiting<?> w = c.waiting.remove(id);
      if (w != null) {
        w.promise().tryFail(lostError(reason));
      }
    }
  }

  private static ApiError lostError(String reason) {
    return new ApiError(502, "forkd's order channel was lost while the order was in flight (" + reason
        + "); forkd restarts if it died, a new order reconnects");
  }

  private static String message(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  @Override
  public void close() {
    Future<Connection> c;
    synchronized (this) {
      closed = true;
      c = current;
    }
    if (c != null) {
      c.onSuccess(conn -> {
        lose(conn, "the forkd client was closed");
        conn.socket.close();
      });
    }
    net.close();
  }
}
