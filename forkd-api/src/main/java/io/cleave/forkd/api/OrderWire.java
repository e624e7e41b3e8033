package io.cleave.forkd.api;

import io.cleave.common.error.ApiError;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Frames of forkd's order channel (docs/CONTRACTS.md, "invoker → forkd order channel"): after the
 * client's 4-byte {@link #MAGIC}, each request is {@code [int length][int id][byte op][payload]}
 * and each answer {@code [int length][int id][byte kind][payload]}, big-endian, {@code length}
 * counting what follows it. Payloads are {@link RecordCodec} records or strings. Answers carry the
 * request's id and may come in any order.
 */
public final class OrderWire {
  /** "CLO1": the channel's version; a build that changes the frames changes it. */
  public static final int MAGIC = 0x434c4f31;
  public static final int MAX_FRAME = 4 << 20;

  /** Ops: start an instance (a {@link StartRequest}), read its status or delete it (an instance id). */
  public static final byte START = 1;
  public static final byte STATUS = 2;
  public static final byte DELETE = 3;

  /** Answer kinds: done (a {@link StartedInstance}, an {@link InstanceStatus}, nothing), or refused. */
  public static final byte OK = 0;
  /** {@code [int status][int retryAfterSeconds][string message]}: forkd's {@link ApiError}. */
  public static final byte ERROR = 1;

  private OrderWire() {}

  /** The channel's unix socket: next to forkd's HTTP socket ({@code forkd.sock} → {@code forkd-orders.sock}). */
  public static Path socketNextTo(Path httpSocket) {
    String name = httpSocket.getFileName().toString();
    String base = name.endsWith(".sock") ? name.substring(0, name.length() - ".sock".length()) : name;
    return httpSocket.resolveSibling(base + "-orders.sock");
  }

  /** A frame: {@code payload} is a record, a string or null (nothing). */
  public static byte[] frame(int id, byte kind, Object payload) {
    Frame f = new Frame();
    try {
      f.data.writeInt(0);
      f.data.writeInt(id);
      f.data.writeByte(kind);
      if (payload instanceof Record r) {
        RecordCodec.write(f.data, r);
      } else if (payload instanceof String s) {
        RecordCodec.writeString(f.data, s);
      } else if (payload != null) {
        throw new IllegalArgumentException("cannot send a " + payload.getClass().getName() + " to forkd");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return f.bytes();
  }

  /** An {@link #ERROR} answer. */
  public static byte[] error(int id, ApiError e) {
    Frame f = new Frame();
    try {
      f.data.writeInt(0);
      f.data.writeInt(id);
      f.data.writeByte(ERROR);
      f.data.writeInt(e.status());
      f.data.writeInt(e.retryAfterSeconds());
      RecordCodec.writeString(f.data, e.getMessage() == null ? "" : e.getMessage());
    } catch (IOException io) {
      throw new UncheckedIOException(io);
    }
    return f.bytes();
  }

  private static final class Frame {
    final ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
    final DataOutputStream data = new DataOutputStream(buf);

    byte[] bytes() {
      byte[] b = buf.toByteArray();
      int length = b.length - 4;
      b[0] = (byte) (length >>> 24);
      b[1] = (byte) (length >>> 16);
      b[2] = (byte) (length >>> 8);
      b[3] = (byte) length;
      return b;
    }
  }
}
