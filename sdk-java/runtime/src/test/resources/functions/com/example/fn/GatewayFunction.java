package com.example.fn;

import com.fnproject.fn.api.InputEvent;
import com.fnproject.fn.api.InvocationContext;
import com.fnproject.fn.api.httpgateway.HTTPGatewayContext;

public class GatewayFunction {
  public static String handleRequest(HTTPGatewayContext http, InvocationContext ctx, InputEvent in) {
    http.setStatusCode(201);
    http.setResponseHeader("X-Reply", "ok");
    ctx.addResponseHeader("X-Raw", "raw");
    String body = in.consumeBody(s -> {
      try {
        return new String(s.readAllBytes());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    return http.getMethod() + " " + http.getRequestURL() + " q=" + http.getQueryParameters().get("q").orElse("-")
        + " custom=" + http.getHeaders().get("x-custom").orElse("-") + " call=" + in.getCallID() + " body=" + body;
  }
}
