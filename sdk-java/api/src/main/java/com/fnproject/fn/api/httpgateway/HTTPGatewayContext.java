package com.fnproject.fn.api.httpgateway;

import com.fnproject.fn.api.Headers;
import com.fnproject.fn.api.InvocationContext;
import com.fnproject.fn.api.QueryParameters;

/**
 * An HTTP-triggered call as the client sent it (method, URL, its own headers) and the answer's
 * HTTP status and headers as the client will see them. A function method takes it as a parameter.
 */
public interface HTTPGatewayContext {
  InvocationContext getInvocationContext();

  Headers getHeaders();

  String getRequestURL();

  String getMethod();

  QueryParameters getQueryParameters();

  void addResponseHeader(String key, String value);

  void setResponseHeader(String key, String v1, String... vs);

  void setStatusCode(int code);
}
