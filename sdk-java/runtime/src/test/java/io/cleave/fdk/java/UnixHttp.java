package io.cleave.fdk.java;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A test client speaking HTTP/1.1 over a unix socket, as the platform does to an instance. */
final class UnixHttp {
  /** An answer: status, headers (lower-case names), body. */
  record Answer(int status, Map<String, String> headers, String body) {}

  private UnixHttp() {}

  static Answer post(Path socket, Map<String, String> headers, String body) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      StringBuilder req = new StringBuilder("POST /call HTTP/1.1\r\nHost: localhost\r\n");
      headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      req.append("Content-Length: ").append(bytes.length).append("\r\nConnection: close\r\n\r\n");
      OutputStream out = Channels.newOutputStream(ch);
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.write(bytes);
      out.flush();
      return parse(Channels.newInputStream(ch));
    }
  }

  static Answer post(Path socket, String body) throws IOException {
    return post(socket, Map.of("Fn-Call-Id", "test-call", "Fn-Deadline", "2099-01-01T00:00:00Z"), body);
  }

  private static Answer parse(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    String text = all.toString(StandardCharsets.UTF_8);
    int split = text.indexOf("\r\n\r\n");
    if (split < 0) {
      throw new IOException("no complete answer: " + text);
    }
    String[] lines = text.substring(0, split).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    return new Answer(status, headers, text.substring(split + 4));
  }
}
