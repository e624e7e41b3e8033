package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import io.cleave.forkd.api.OrderWire;
import io.cleave.forkd.api.RecordCodec;
import io.cleave.forkd.api.StartRequest;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * forkd's order channel (docs/CONTRACTS.md, {@link OrderWire}): the invoker's starts, statuses
 * and deletes over one persistent unix-socket connection, no HTTP and no JSON. A thread per
 * connection reads frames and hands each order to a worker (orders block on processes and files;
 * a start waits for its instance), which writes the answer itself, tagged with the order's id,
 * as soon as it has it: orders are pipelined and answered in the order they finish.
 */
final class OrderServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.orders");
  /** As many orders at once as the HTTP API allowed: starts wait for instances to become ready. */
  private static final int WORKERS = 128;

  private final Forkd forkd;
  private final ServerSocketChannel server;
  private final ThreadPoolExecutor workers;
  private final Thread acceptor;
  private volatile boolean closed;

  private OrderServer(Forkd forkd, ServerSocketChannel server) {
    this.forkd = forkd;
    this.server = server;
    AtomicInteger n = new AtomicInteger();
    HandOff queue = new HandOff();
    // An order goes to an idle worker if there is one, else to a new one (up to WORKERS), else it
    // waits for one. A pool of WORKERS core threads would start a thread for each of its first
    // WORKERS orders even with idle workers there (a thread's start and its first run cost more
    // forkd CPU than a fork order's own work), and keep them all.
    this.workers = new ThreadPoolExecutor(0, WORKERS, 60, TimeUnit.SECONDS, queue, r -> {
      Thread t = new Thread(r, "forkd-order-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, (r, pool) -> {
      if (!pool.isShutdown()) {
        queue.add(r);
      }
    });
    this.acceptor = new Thread(this::accept, "forkd-orders-accept");
    acceptor.setDaemon(true);
  }

  /**
   * The workers' queue: taking an order for the queue only succeeds when an idle worker takes it at
   * once, so the pool starts a worker otherwise; with every worker busy, the pool's rejection puts it
   * in the queue for the next free one.
   */
  private static final class HandOff extends LinkedTransferQueue<Runnable> {
    @Override
    public boolean offer(Runnable r) {
      return tryTransfer(r);
    }
  }

  /** Binds {@code socket} (replacing a stale file a crashed forkd left) and serves it; root-only (0600). */
  static OrderServer listen(Forkd forkd, Path socket) throws IOException {
    Files.deleteIfExists(socket);
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.bind(UnixDomainSocketAddress.of(socket));
      if (LibC.INSTANCE.chmod(socket.toString(), 0600) != 0) {
        throw new IOException(LibC.describe("chmod 600 " + socket));
      }
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    OrderServer s = new OrderServer(forkd, channel);
    s.acceptor.start();
    return s;
  }

  private void accept() {
    while (!closed) {
      try {
        SocketChannel ch = server.accept();
        Thread reader = new Thread(() -> serve(ch), "forkd-orders-conn");
        reader.setDaemon(true);
        reader.start();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) {
          LOG.warning("accepting an order connection: " + e);
        }
      }
    }
  }

  /** Reads one connection's orders until it closes; a connection that breaks the framing is dropped. */
  private void serve(SocketChannel ch) {
    Object writeLock = new Object();
    try (ch) {
      ByteBuffer header = ByteBuffer.allocate(4);
      if (!readFully(ch, header) || header.getInt(0) != OrderWire.MAGIC) {
        LOG.warning("an order connection did not start with the channel's magic: dropped");
        return;
      }
      while (!closed) {
        header.clear();
        if (!readFully(ch, header)) {
          return;
        }
        int length = header.getInt(0);
        if (length < 5 || length > OrderWire.MAX_FRAME) {
          LOG.warning("an order frame of " + length + " bytes: connection dropped");
          return;
        }
        ByteBuffer frame = ByteBuffer.allocate(length);
        if (!readFully(ch, frame)) {
          return;
        }
        workers.execute(() -> answer(ch, writeLock, frame.array()));
      }
    } catch (IOException e) {
      if (!closed) {
        LOG.fine("order connection ended: " + e);
      }
    }
  }

  private void answer(SocketChannel ch, Object writeLock, byte[] frame) {
    int id = ByteBuffer.wrap(frame).getInt(0);
    byte op = frame[4];
    byte[] answer;
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame, 5, frame.length - 5));
      answer = switch (op) {
        case OrderWire.START -> OrderWire.frame(id, OrderWire.OK, forkd.start(request(in)));
        case OrderWire.STATUS -> OrderWire.frame(id, OrderWire.OK, forkd.status(RecordCodec.readString(in)));
        case OrderWire.DELETE -> {
          forkd.delete(RecordCodec.readString(in));
          yield OrderWire.frame(id, OrderWire.OK, null);
        }
        default -> OrderWire.error(id, new ApiError(400, "unknown order op " + op));
      };
    } catch (ApiError e) {
      if (e.status() >= 500) {
        LOG.warning("order " + op + " -> " + e.status() + ": " + e.getMessage());
      }
      answer = OrderWire.error(id, e);
    } catch (IOException e) {
      answer = OrderWire.error(id, new ApiError(400, "bad order: " + e.getMessage()));
    } catch (RuntimeException | Error e) {
      // Answered all the same: an order left unanswered would hold its caller forever.
      LOG.log(Level.WARNING, "order " + op + " failed", e);
      answer = OrderWire.error(id, new ApiError(500, "forkd failed: " + e));
    }
    synchronized (writeLock) {
      try {
        ByteBuffer out = ByteBuffer.wrap(answer);
        while (out.hasRemaining()) {
          ch.write(out);
        }
      } catch (IOException e) {
        LOG.fine("the answer to order " + id + " could not be sent: " + e);
      }
    }
  }

  private static StartRequest request(DataInputStream in) throws IOException {
    return RecordCodec.read(in, StartRequest.class);
  }

  private static boolean readFully(SocketChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.fine("closing the order socket: " + e);
    }
    workers.shutdownNow();
  }
}
