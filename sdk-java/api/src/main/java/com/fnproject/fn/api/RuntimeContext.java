package com.fnproject.fn.api;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One function instance: its configuration (from its environment), method, object and coercions.
 * Raw InputCoercion types as in Fn's API, for source compatibility.
 */
@SuppressWarnings("rawtypes")
public interface RuntimeContext {
  String getAppID();

  String getFunctionID();

  default String getAppName() {
    return getAppID();
  }

  default String getFunctionName() {
    return getFunctionID();
  }

  /** The function object, once made (empty for a static function method). */
  Optional<Object> getInvokeInstance();

  MethodWrapper getMethod();

  Optional<String> getConfigurationByKey(String key);

  Map<String, String> getConfiguration();

  <T> Optional<T> getAttribute(String att, Class<T> type);

  void setAttribute(String att, Object val);

  void addInputCoercion(InputCoercion ic);

  List<InputCoercion> getInputCoercions(MethodWrapper targetMethod, int param);

  void addOutputCoercion(OutputCoercion oc);

  List<OutputCoercion> getOutputCoercions(Method method);

  default void setInvoker(FunctionInvoker invoker) {
    addInvoker(invoker, FunctionInvoker.Phase.Call);
  }

  void addInvoker(FunctionInvoker invoker, FunctionInvoker.Phase phase);
}
