package io.cleave.fdk.java;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON of the control protocol: one object per line whose values are strings, numbers,
 * booleans, null or (for "env") an object of strings. Written by hand rather than with Jackson,
 * which would add hundreds of classes to every seed's start before its first answer.
 */
final class ControlJson {
  private final String text;
  private int pos;

  private ControlJson(String text) {
    this.text = text;
  }

  /** The object on the line; IllegalArgumentException says what is wrong with it. */
  static Map<String, Object> parseObject(String line) {
    ControlJson p = new ControlJson(line);
    p.skipSpace();
    Map<String, Object> obj = p.object();
    p.skipSpace();
    if (p.pos != line.length()) {
      throw new IllegalArgumentException("trailing characters after the JSON object at " + p.pos);
    }
    return obj;
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private Map<String, Object> object() {
    expect('{');
    Map<String, Object> obj = new LinkedHashMap<>();
    skipSpace();
    if (peek() == '}') {
      pos++;
      return obj;
    }
    while (true) {
      skipSpace();
      String key = string();
      skipSpace();
      expect(':');
      skipSpace();
      obj.put(key, value());
      skipSpace();
      char c = next();
      if (c == '}') {
        return obj;
      }
      if (c != ',') {
        throw error("expected ',' or '}'");
      }
    }
  }

  private Object value() {
    char c = peek();
    if (c == '"') {
      return string();
    }
    if (c == '{') {
      return object();
    }
    if (text.startsWith("true", pos)) {
      pos += 4;
      return Boolean.TRUE;
    }
    if (text.startsWith("false", pos)) {
      pos += 5;
      return Boolean.FALSE;
    }
    if (text.startsWith("null", pos)) {
      pos += 4;
      return null;
    }
    int start = pos;
    while (pos < text.length() && "+-.eE0123456789".indexOf(text.charAt(pos)) >= 0) {
      pos++;
    }
    if (start == pos) {
      throw error("unsupported value (strings, numbers, booleans, null and objects only)");
    }
    try {
      return Double.parseDouble(text.substring(start, pos));
    } catch (NumberFormatException e) {
      throw error("malformed number");
    }
  }

  private String string() {
    expect('"');
    StringBuilder sb = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return sb.toString();
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          if (pos + 4 > text.length()) {
            throw error("short \\u escape");
          }
          try {
            sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
          } catch (NumberFormatException ex) {
            throw error("malformed \\u escape");
          }
          pos += 4;
        }
        default -> throw error("unknown escape \\" + e);
      }
    }
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private char peek() {
    if (pos >= text.length()) {
      throw error("unexpected end");
    }
    return text.charAt(pos);
  }

  private char next() {
    char c = peek();
    pos++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) {
      throw error("expected '" + c + "'");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("bad JSON at character " + pos + ": " + what);
  }
}
