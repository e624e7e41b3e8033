package io.cleave.common.bundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/** Writes tar headers byte by byte, for archives no well-behaved tar writer produces. */
public final class HostileTars {
  private HostileTars() {}

  /** A GNU long-name entry ('L') whose header claims {@code size} bytes, all of them present. */
  public static byte[] gnuLongName(long size) {
    return withData("././@LongLink", (byte) 'L', size);
  }

  /** A PAX extended header ('x') of {@code size} bytes of padding records. */
  public static byte[] paxHeader(int size) {
    return withData("PaxHeaders/f", (byte) 'x', size);
  }

  /** A PAX extended header with one record, followed by a small regular file. */
  public static byte[] paxRecord(String key, String value) {
    String body = key + "=" + value + "\n";
    int length = body.length() + 2;
    while (length != body.length() + 1 + Integer.toString(length).length()) {
      length = body.length() + 1 + Integer.toString(length).length();
    }
    byte[] record = (length + " " + body).getBytes(StandardCharsets.UTF_8);
    return gzip(out -> {
      out.write(header("PaxHeaders/f", (byte) 'x', record.length));
      out.write(record);
      out.write(new byte[pad(record.length)]);
      out.write(header("f", (byte) '0', 1));
      out.write('x');
      out.write(new byte[pad(1) + 1024]);
    });
  }

  private static byte[] withData(String name, byte type, long size) {
    return gzip(out -> {
      out.write(header(name, type, size));
      byte[] chunk = new byte[1 << 20];
      java.util.Arrays.fill(chunk, (byte) 'a');
      for (long left = size; left > 0; left -= chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
      out.write(new byte[pad(size) + 1024]);
    });
  }

  private static byte[] header(String name, byte type, long size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0000000");
    put(h, 116, "0000000");
    put(h, 124, String.format("%011o", size));
    put(h, 136, "00000000000");
    h[156] = type;
    put(h, 257, "ustar  "); // GNU magic and version
    java.util.Arrays.fill(h, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, String.format("%06o", sum));
    h[154] = 0;
    return h;
  }

  private static void put(byte[] h, int at, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, at, b.length);
  }

  private static int pad(long size) {
    return (int) ((512 - size % 512) % 512);
  }

  private interface Writer {
    void write(OutputStream out) throws IOException;
  }

  private static byte[] gzip(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes, 1 << 16)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
