package io.cleave.fdk.java;

import com.fnproject.fn.api.Headers;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 the platform speaks to an instance over its unix socket (Fn's http-stream
 * contract): one request read whole (Content-Length or chunked body), one answer written with a
 * Content-Length. Small on purpose: the runtime loads few classes, so a cold JVM answers sooner.
 */
final class HttpExchange {
  static final int MAX_HEAD_BYTES = 64 * 1024;
  static final int MAX_BODY_BYTES = 64 * 1024 * 1024;

  /** A request as read: method, path, headers (canonical names, repeated ones collected), body. */
  record Request(String method, String path, Headers headers, byte[] body, boolean keepAlive) {}

  /** A malformed request: answered with its status and the connection closed. */
  static final class BadRequest extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private HttpExchange() {}

  /** The next request on the connection, or null when the peer closed it between requests. */
  static Request read(InputStream in) throws IOException {
    String requestLine = readLine(in, true);
    if (requestLine == null) {
      return null;
    }
    String[] parts = requestLine.split(" ");
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
      throw new BadRequest(400, "malformed request line");
    }
    Map<String, List<String>> fields = new LinkedHashMap<>();
    int headBytes = requestLine.length();
    for (String line = readLine(in, false); !line.isEmpty(); line = readLine(in, false)) {
      headBytes += line.length();
      if (headBytes > MAX_HEAD_BYTES) {
        throw new BadRequest(431, "request head too large");
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new BadRequest(400, "malformed header line");
      }
      String name = Headers.canonicalKey(line.substring(0, colon).trim());
      List<String> values = fields.get(name);
      if (values == null) {
        values = new ArrayList<>(1);
        fields.put(name, values);
      }
      values.add(line.substring(colon + 1).trim());
    }
    Headers headers = Headers.fromMultiHeaderMap(fields);
    byte[] body;
    if (headers.get("Transfer-Encoding").orElse("").toLowerCase().contains("chunked")) {
      body = readChunked(in);
    } else {
      long length = parseLength(headers.get("Content-Length").orElse("0"));
      body = in.readNBytes((int) length);
      if (body.length != length) {
        throw new EOFException("connection closed inside the request body");
      }
    }
    String connection = headers.get("Connection").orElse("").toLowerCase();
    boolean keepAlive = parts[2].equals("HTTP/1.1") ? !connection.contains("close") : connection.contains("keep-alive");
    return new Request(parts[0], parts[1], headers, body, keepAlive);
  }

  /** Writes an answer with its headers (a Content-Length of its own replaces any given). */
  static void write(OutputStream out, int status, Headers headers, byte[] body, boolean keepAlive) throws IOException {
    StringBuilder head = new StringBuilder(256);
    head.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    for (Map.Entry<String, List<String>> h : headers.asMap().entrySet()) {
      String name = h.getKey();
      if (name.equals("Content-Length") || name.equals("Transfer-Encoding") || name.equals("Connection")) {
        continue;
      }
      for (String v : h.getValue()) {
        // A header value with a line break would let a function forge headers or answers.
        head.append(name).append(": ").append(v.replace('\r', ' ').replace('\n', ' ')).append("\r\n");
      }
    }
    head.append("Content-Length: ").append(body.length).append("\r\n");
    if (!keepAlive) {
      head.append("Connection: close\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Payload Too Large";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 504 -> "Gateway Timeout";
      default -> "Status";
    };
  }

  private static long parseLength(String value) throws BadRequest {
    long length;
    try {
      length = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new BadRequest(400, "malformed Content-Length");
    }
    if (length < 0) {
      throw new BadRequest(400, "malformed Content-Length");
    }
    if (length > MAX_BODY_BYTES) {
      throw new BadRequest(413, "request body too large");
    }
    return length;
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in, false);
      int semi = sizeLine.indexOf(';');
      long size;
      try {
        size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      } catch (NumberFormatException e) {
        throw new BadRequest(400, "malformed chunk size");
      }
      if (size < 0 || body.size() + size > MAX_BODY_BYTES) {
        throw new BadRequest(413, "request body too large");
      }
      if (size == 0) {
        while (!readLine(in, false).isEmpty()) {
          // trailer fields are not used
        }
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes((int) size);
      if (chunk.length != size) {
        throw new EOFException("connection closed inside a chunk");
      }
      body.write(chunk);
      readLine(in, false);
    }
  }

  /** A line without its CRLF (or LF); null at end of stream when allowed, before any byte. */
  private static String readLine(InputStream in, boolean endAllowed) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (endAllowed && sb.length() == 0) {
          return null;
        }
        throw new EOFException("connection closed inside the request head");
      }
      if (b == '\n') {
        int end = sb.length();
        if (end > 0 && sb.charAt(end - 1) == '\r') {
          sb.setLength(end - 1);
        }
        return sb.toString();
      }
      if (sb.length() >= MAX_HEAD_BYTES) {
        throw new BadRequest(431, "request head too large");
      }
      sb.append((char) b);
    }
  }
}
