package io.cleave.fdk.java;

import com.fnproject.fn.api.Headers;
import com.fnproject.fn.api.InvocationContext;
import com.fnproject.fn.api.InvocationListener;
import com.fnproject.fn.api.RuntimeContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One call's InvocationContext: the request's headers and the headers the function adds to its answer. */
final class CallContext implements InvocationContext {
  private final InstanceContext runtime;
  private final Headers requestHeaders;
  private final Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
  private final List<InvocationListener> listeners = new ArrayList<>();

  CallContext(InstanceContext runtime, Headers requestHeaders) {
    this.runtime = runtime;
    this.requestHeaders = requestHeaders;
  }

  @Override
  public RuntimeContext getRuntimeContext() {
    return runtime;
  }

  @Override
  public void addListener(InvocationListener listener) {
    listeners.add(listener);
  }

  @Override
  public Headers getRequestHeaders() {
    return requestHeaders;
  }

  @Override
  public void addResponseHeader(String key, String value) {
    responseHeaders.computeIfAbsent(Headers.canonicalKey(key), k -> new ArrayList<>()).add(value);
  }

  @Override
  public void setResponseHeader(String key, String v1, String... vs) {
    List<String> values = new ArrayList<>(vs.length + 1);
    values.add(v1);
    values.addAll(Arrays.asList(vs));
    responseHeaders.put(Headers.canonicalKey(key), values);
  }

  Map<String, List<String>> responseHeaders() {
    return responseHeaders;
  }

  /** Tells the listeners how the call ended; a listener that throws does not stop the others. */
  void fireEnded(boolean success) {
    for (InvocationListener l : listeners) {
      try {
        if (success) {
          l.onSuccess();
        } else {
          l.onFailure();
        }
      } catch (RuntimeException e) {
        System.err.println("an InvocationListener threw: " + e);
      }
    }
  }
}
