package io.cleave.fdk.java;

import com.fnproject.fn.api.Headers;
import com.fnproject.fn.api.InvocationContext;
import com.fnproject.fn.api.QueryParameters;
import com.fnproject.fn.api.httpgateway.HTTPGatewayContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP-triggered call as its client made it. The platform passes the client's request as
 * Fn-Http-Method, Fn-Http-Request-Url and Fn-Http-H-&lt;name&gt; headers, and reads the client's
 * answer back from Fn-Http-Status and Fn-Http-H-&lt;name&gt; (Content-Type travels as itself).
 */
final class GatewayContext implements HTTPGatewayContext {
  static final String HEADER_PREFIX = "Fn-Http-H-";

  private final CallContext call;
  private final Headers headers;
  private final String method;
  private final String url;
  private final QueryParameters query;

  GatewayContext(CallContext call) {
    this.call = call;
    Headers in = call.getRequestHeaders();
    Map<String, List<String>> client = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> h : in.asMap().entrySet()) {
      if (h.getKey().startsWith(HEADER_PREFIX) && h.getKey().length() > HEADER_PREFIX.length()) {
        client.computeIfAbsent(h.getKey().substring(HEADER_PREFIX.length()), k -> new ArrayList<>()).addAll(h.getValue());
      }
    }
    this.headers = Headers.fromMultiHeaderMap(client);
    this.method = in.get("Fn-Http-Method").orElse("");
    this.url = in.get("Fn-Http-Request-Url").orElse("");
    this.query = new Query(parseQuery(url));
  }

  @Override
  public InvocationContext getInvocationContext() {
    return call;
  }

  @Override
  public Headers getHeaders() {
    return headers;
  }

  @Override
  public String getRequestURL() {
    return url;
  }

  @Override
  public String getMethod() {
    return method;
  }

  @Override
  public QueryParameters getQueryParameters() {
    return query;
  }

  @Override
  public void addResponseHeader(String key, String value) {
    call.addResponseHeader(wireName(key), value);
  }

  @Override
  public void setResponseHeader(String key, String v1, String... vs) {
    call.setResponseHeader(wireName(key), v1, vs);
  }

  @Override
  public void setStatusCode(int code) {
    if (code < 100 || code >= 600) {
      throw new IllegalArgumentException("an HTTP status code is between 100 and 599, not " + code);
    }
    call.setResponseHeader("Fn-Http-Status", Integer.toString(code));
  }

  private static String wireName(String key) {
    return Headers.canonicalKey(key).equals("Content-Type") ? "Content-Type" : HEADER_PREFIX + key;
  }

  static Map<String, List<String>> parseQuery(String url) {
    int q = url.indexOf('?');
    if (q < 0) {
      return Map.of();
    }
    int hash = url.indexOf('#', q);
    String query = url.substring(q + 1, hash < 0 ? url.length() : hash);
    Map<String, List<String>> params = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      params.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    params.replaceAll((k, v) -> Collections.unmodifiableList(v));
    return Collections.unmodifiableMap(params);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  private record Query(Map<String, List<String>> getAll) implements QueryParameters {
    @Override
    public Optional<String> get(String key) {
      List<String> vs = getAll.get(key);
      return vs == null || vs.isEmpty() ? Optional.empty() : Optional.of(vs.get(0));
    }

    @Override
    public List<String> getValues(String key) {
      return getAll.getOrDefault(key, List.of());
    }
  }
}
