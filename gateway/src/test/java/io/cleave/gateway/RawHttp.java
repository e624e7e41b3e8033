package io.cleave.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 spoken by hand over a socket, for what ordinary clients never do: send headers a line at
 * a time, hold connections open, stop in the middle of a body, connect from another local address.
 */
final class RawHttp {
  private RawHttp() {}

  /** A connection to {@code base} (http://host:port) from the loopback address {@code from} (127.0.0.x). */
  static Socket connect(String base, String from) throws IOException {
    URI uri = URI.create(base);
    Socket s = new Socket();
    s.bind(new InetSocketAddress(from, 0));
    s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
    return s;
  }

  static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  /** {@code GET path} on the connection, keeping it open; answers the response's status line and body. */
  static String get(Socket s, String path) throws IOException {
    send(s, "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n");
    return readResponse(s, 10_000);
  }

  /** One response: the status line, a blank line, the body (its Content-Length bytes). */
  static String readResponse(Socket s, int timeoutMillis) throws IOException {
    s.setSoTimeout(timeoutMillis);
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head.size() + " bytes of a response head");
      }
      head.write(b);
    }
    String headText = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : headText.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return headText.substring(0, headText.indexOf("\r\n")) + "\n\n" + new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Whether the server closed the connection within {@code millis}: a read sees its end (or a
   * reset). Bytes it sends meanwhile are skipped.
   */
  static boolean closedWithin(Socket s, long millis) throws IOException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    InputStream in = s.getInputStream();
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return false;
      }
      s.setSoTimeout((int) left);
      try {
        if (in.read() < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        return false;
      } catch (SocketException e) {
        return true; // reset
      }
    }
  }
}
