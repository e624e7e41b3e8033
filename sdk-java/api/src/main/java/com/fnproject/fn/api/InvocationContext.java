package com.fnproject.fn.api;

/** What one call knows besides its input: the instance's RuntimeContext, headers, the answer's headers. */
public interface InvocationContext {
  RuntimeContext getRuntimeContext();

  void addListener(InvocationListener listener);

  Headers getRequestHeaders();

  default void setResponseContentType(String contentType) {
    setResponseHeader(OutputEvent.CONTENT_TYPE_HEADER, contentType);
  }

  void addResponseHeader(String key, String value);

  void setResponseHeader(String key, String v1, String... vs);
}
