package io.cleave.fdk.java;

import com.fnproject.fn.api.FnConfiguration;
import com.fnproject.fn.api.FnFeature;
import com.fnproject.fn.api.FunctionInvoker;
import com.fnproject.fn.api.InputBinding;
import com.fnproject.fn.api.InputCoercion;
import com.fnproject.fn.api.MethodWrapper;
import com.fnproject.fn.api.OutputBinding;
import com.fnproject.fn.api.OutputCoercion;
import com.fnproject.fn.api.RuntimeContext;
import com.fnproject.fn.api.RuntimeFeature;
import com.fnproject.fn.api.exception.FunctionConfigurationException;
import com.fnproject.fn.api.exception.FunctionInputHandlingException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One instance's RuntimeContext: its configuration (the environment it was started with), the
 * function object, attributes, and the coercions and invokers its @FnConfiguration added.
 */
@SuppressWarnings("rawtypes") // RuntimeContext's coercion lists are raw, as in Fn's API
final class InstanceContext implements RuntimeContext {
  private final FunctionMethod method;
  private final Map<String, String> config;
  private final Map<String, Object> attributes = new ConcurrentHashMap<>();
  private final List<InputCoercion> inputCoercions = new CopyOnWriteArrayList<>();
  private final List<OutputCoercion> outputCoercions = new CopyOnWriteArrayList<>();
  private final List<FunctionInvoker> preCallInvokers = new CopyOnWriteArrayList<>();
  private final List<FunctionInvoker> callInvokers = new CopyOnWriteArrayList<>();
  private volatile Object functionObject;

  private InstanceContext(FunctionMethod method, Map<String, String> config) {
    this.method = method;
    this.config = Collections.unmodifiableMap(config);
  }

  /** A ready context: features initialised, the function object made, @FnConfiguration run. */
  static InstanceContext configure(FunctionMethod method, Map<String, String> config) throws StartFailure {
    InstanceContext ctx = new InstanceContext(method, config);
    Class<?> cls = method.getTargetClass();
    for (FnFeature feature : features(cls)) {
      try {
        RuntimeFeature rf = feature.value().getDeclaredConstructor().newInstance();
        rf.initialize(ctx);
      } catch (InvocationTargetException e) {
        throw new StartFailure("runtime feature " + feature.value().getName() + " failed to initialise", e.getCause());
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new StartFailure("runtime feature " + feature.value().getName() + " failed to initialise", e);
      }
    }
    if (!method.isStatic()) {
      ctx.functionObject = ctx.instantiate(cls);
    }
    for (Method m : configurationMethods(cls)) {
      ctx.runConfiguration(m);
    }
    return ctx;
  }

  FunctionMethod functionMethod() {
    return method;
  }

  Object functionObject() {
    return functionObject;
  }

  List<FunctionInvoker> invokers(FunctionInvoker.Phase phase) {
    return phase == FunctionInvoker.Phase.PreCall ? preCallInvokers : callInvokers;
  }

  private Object instantiate(Class<?> cls) throws StartFailure {
    if (cls.getEnclosingClass() != null && !Modifier.isStatic(cls.getModifiers())) {
      throw new StartFailure(cls.getName() + " is a non-static inner class; a function class must be top-level or static");
    }
    Constructor<?>[] constructors = cls.getConstructors();
    if (constructors.length != 1) {
      throw new StartFailure(cls.getName() + " has " + constructors.length
          + " public constructors; a function class needs exactly one, taking nothing or a RuntimeContext");
    }
    Constructor<?> c = constructors[0];
    Class<?>[] params = c.getParameterTypes();
    if (params.length > 1 || (params.length == 1 && params[0] != RuntimeContext.class)) {
      throw new StartFailure(cls.getName() + "'s constructor must take nothing or a RuntimeContext");
    }
    try {
      return params.length == 0 ? c.newInstance() : c.newInstance(this);
    } catch (InvocationTargetException e) {
      throw new StartFailure("the constructor of " + cls.getName() + " threw", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new StartFailure(cls.getName() + " could not be instantiated", e);
    }
  }

  /*
   * Asking an element for an annotation type parses the annotation type's own meta-annotations
   * into dynamic proxy classes, spun at run time (tens of ms of a cold start, which no AppCDS
   * archive holds on JDK 17). So a class without annotations is not asked for its @FnFeatures
   * (FnFeature is not @Inherited), nor Object's methods for @FnConfiguration (their
   * @IntrinsicCandidate would be parsed).
   */
  private static FnFeature[] features(Class<?> cls) {
    return cls.getDeclaredAnnotations().length == 0 ? new FnFeature[0] : cls.getAnnotationsByType(FnFeature.class);
  }

  /** Public @FnConfiguration methods, superclasses' first, so a subclass can override settings. */
  private static List<Method> configurationMethods(Class<?> cls) {
    List<Method> found = new ArrayList<>();
    for (Method m : cls.getMethods()) {
      if (m.getDeclaringClass() != Object.class && m.isAnnotationPresent(FnConfiguration.class)) {
        found.add(m);
      }
    }
    if (found.size() > 1) {
      found.sort(java.util.Comparator.comparingInt((Method m) -> depth(m.getDeclaringClass())).thenComparing(Method::getName));
    }
    return found;
  }

  private static int depth(Class<?> c) {
    int d = 0;
    for (Class<?> s = c; s != null; s = s.getSuperclass()) {
      d++;
    }
    return d;
  }

  private void runConfiguration(Method m) throws StartFailure {
    String name = m.getDeclaringClass().getName() + "." + m.getName();
    if (m.getReturnType() != void.class) {
      throw new StartFailure("@FnConfiguration method " + name + " must return void");
    }
    Class<?>[] params = m.getParameterTypes();
    if (params.length > 1 || (params.length == 1 && params[0] != RuntimeContext.class)) {
      throw new StartFailure("@FnConfiguration method " + name + " must take nothing or a RuntimeContext");
    }
    boolean isStatic = Modifier.isStatic(m.getModifiers());
    if (!isStatic && method.isStatic()) {
      throw new StartFailure("@FnConfiguration method " + name + " must be static: the function method is static");
    }
    try {
      Object target = isStatic ? null : functionObject;
      if (params.length == 0) {
        m.invoke(target);
      } else {
        m.invoke(target, this);
      }
    } catch (InvocationTargetException e) {
      throw new StartFailure("@FnConfiguration method " + name + " threw", e.getCause());
    } catch (IllegalAccessException e) {
      throw new StartFailure("@FnConfiguration method " + name + " is not accessible", e);
    }
  }

  @Override
  public String getAppID() {
    return config.getOrDefault("FN_APP_ID", "");
  }

  @Override
  public String getFunctionID() {
    return config.getOrDefault("FN_FN_ID", "");
  }

  @Override
  public String getAppName() {
    return config.getOrDefault("FN_APP_NAME", "");
  }

  @Override
  public String getFunctionName() {
    return config.getOrDefault("FN_FN_NAME", "");
  }

  @Override
  public Optional<Object> getInvokeInstance() {
    return Optional.ofNullable(functionObject);
  }

  @Override
  public MethodWrapper getMethod() {
    return method;
  }

  @Override
  public Optional<String> getConfigurationByKey(String key) {
    return Optional.ofNullable(config.get(key));
  }

  @Override
  public Map<String, String> getConfiguration() {
    return config;
  }

  @Override
  public <T> Optional<T> getAttribute(String att, Class<T> type) {
    Object v = attributes.get(att);
    return type.isInstance(v) ? Optional.of(type.cast(v)) : Optional.empty();
  }

  @Override
  public void setAttribute(String att, Object val) {
    if (val == null) {
      attributes.remove(att);
    } else {
      attributes.put(att, val);
    }
  }

  @Override
  public void addInputCoercion(InputCoercion ic) {
    inputCoercions.add(ic);
  }

  @Override
  public List<InputCoercion> getInputCoercions(MethodWrapper targetMethod, int param) {
    for (Annotation a : targetMethod.getTargetMethod().getParameterAnnotations()[param]) {
      if (a instanceof InputBinding binding) {
        try {
          return List.of(binding.coercion().getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
          throw new FunctionInputHandlingException("cannot make the @InputBinding coercion " + binding.coercion().getName()
              + " of parameter " + param + " of " + targetMethod, e);
        }
      }
    }
    List<InputCoercion> all = new ArrayList<>(inputCoercions);
    all.add(BuiltinCoercions.INSTANCE);
    return all;
  }

  @Override
  public void addOutputCoercion(OutputCoercion oc) {
    outputCoercions.add(oc);
  }

  @Override
  public List<OutputCoercion> getOutputCoercions(Method m) {
    OutputBinding binding = m.getAnnotation(OutputBinding.class);
    if (binding != null) {
      try {
        return List.of(binding.coercion().getDeclaredConstructor().newInstance());
      } catch (ReflectiveOperationException e) {
        throw new FunctionConfigurationException("cannot make the @OutputBinding coercion " + binding.coercion().getName()
            + " of " + m, e);
      }
    }
    List<OutputCoercion> all = new ArrayList<>(outputCoercions);
    all.add(BuiltinCoercions.INSTANCE);
    return all;
  }

  @Override
  public void addInvoker(FunctionInvoker invoker, FunctionInvoker.Phase phase) {
    invokers(phase).add(invoker);
  }
}
