package com.fnproject.fn.api;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable HTTP headers: names are kept in canonical form (Content-Type, Fn-Call-Id), so lookups
 * ignore case; each name has one or more values. Every change returns a new Headers.
 */
public final class Headers implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Headers EMPTY = new Headers(Map.of());

  private final Map<String, List<String>> values;

  private Headers(Map<String, List<String>> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  /** Upper-cases the first letter of each dash-separated word and lower-cases the rest; a name with
   * characters outside HTTP's token set is returned unchanged. */
  public static String canonicalKey(String key) {
    Objects.requireNonNull(key, "key");
    for (int i = 0; i < key.length(); i++) {
      if (!isTokenChar(key.charAt(i))) {
        return key;
      }
    }
    StringBuilder sb = new StringBuilder(key.length());
    boolean wordStart = true;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      sb.append(wordStart ? Character.toUpperCase(c) : Character.toLowerCase(c));
      wordStart = c == '-';
    }
    return sb.toString();
  }

  private static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  public static Headers emptyHeaders() {
    return EMPTY;
  }

  public static Headers fromMap(Map<String, String> headers) {
    Objects.requireNonNull(headers, "headers");
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      m.put(canonicalKey(h.getKey()), List.of(h.getValue()));
    }
    return new Headers(m);
  }

  public static Headers fromMultiHeaderMap(Map<String, List<String>> headers) {
    Objects.requireNonNull(headers, "headers");
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      String key = canonicalKey(h.getKey());
      List<String> old = m.get(key);
      if (old == null) {
        m.put(key, List.copyOf(h.getValue()));
      } else {
        List<String> merged = new ArrayList<>(old);
        merged.addAll(h.getValue());
        m.put(key, List.copyOf(merged));
      }
    }
    return new Headers(m);
  }

  /** All headers, name to values (a raw map for source compatibility with Fn's API). */
  @SuppressWarnings("rawtypes")
  public Map getAll() {
    return values;
  }

  public Map<String, List<String>> asMap() {
    return values;
  }

  public Collection<String> keys() {
    return values.keySet();
  }

  /** The first value of the header, if present. */
  public Optional<String> get(String key) {
    Objects.requireNonNull(key, "key");
    List<String> vs = values.get(canonicalKey(key));
    return vs == null || vs.isEmpty() ? Optional.empty() : Optional.of(vs.get(0));
  }

  public List<String> getAllValues(String key) {
    return values.getOrDefault(canonicalKey(key), List.of());
  }

  public Headers addHeader(String key, String v1, String... vs) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(v1, "v1");
    Map<String, List<String>> m = new LinkedHashMap<>(values);
    List<String> merged = new ArrayList<>(m.getOrDefault(canonicalKey(key), List.of()));
    merged.add(v1);
    merged.addAll(Arrays.asList(vs));
    m.put(canonicalKey(key), List.copyOf(merged));
    return new Headers(m);
  }

  public Headers setHeader(String key, String v1, String... vs) {
    Objects.requireNonNull(v1, "v1");
    List<String> all = new ArrayList<>(vs.length + 1);
    all.add(v1);
    all.addAll(Arrays.asList(vs));
    return setHeader(key, all);
  }

  public Headers setHeader(String key, Collection<String> vs) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(vs, "vs");
    if (vs.isEmpty()) {
      throw new IllegalArgumentException("a header needs at least one value");
    }
    Map<String, List<String>> m = new LinkedHashMap<>(values);
    m.put(canonicalKey(key), List.copyOf(vs));
    return new Headers(m);
  }

  public Headers setHeaders(Map<String, List<String>> vals) {
    Objects.requireNonNull(vals, "vals");
    Map<String, List<String>> m = new LinkedHashMap<>(values);
    for (Map.Entry<String, List<String>> h : vals.entrySet()) {
      m.put(canonicalKey(h.getKey()), List.copyOf(h.getValue()));
    }
    return new Headers(m);
  }

  public Headers removeHeader(String key) {
    Objects.requireNonNull(key, "key");
    String canon = canonicalKey(key);
    if (!values.containsKey(canon)) {
      return this;
    }
    Map<String, List<String>> m = new LinkedHashMap<>(values);
    m.remove(canon);
    return new Headers(m);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Headers h && h.values.equals(values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
