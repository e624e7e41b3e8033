package io.cleave.common.invoke;

import io.cleave.common.model.StartMode;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;

/**
 * The function's own answer, untranslated: the FDK's status (200 success, 502 function error,
 * 504 function timeout), its headers (including Fn-Http-Status / Fn-Http-H-* for HTTP triggers)
 * and body, plus how the serving instance was started and the node that ran it ({@code null} when
 * not known).
 */
public record CallResult(int status, Map<String, List<String>> headers, Buffer body, StartMode startMode, String node) {

  public CallResult(int status, Map<String, List<String>> headers, Buffer body, StartMode startMode) {
    this(status, headers, body, startMode, null);
  }

  /** The same answer, naming the node that ran the call. */
  public CallResult ranOn(String node) {
    return new CallResult(status, headers, body, startMode, node);
  }
}
