package io.cleave.fdk.java;

import com.fnproject.fn.api.MethodWrapper;
import com.fnproject.fn.api.TypeWrapper;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** The function method named by func.yaml's cmd ({@code com.example.fn.HelloFunction::handleRequest}). */
record FunctionMethod(Class<?> getTargetClass, Method getTargetMethod) implements MethodWrapper {

  /** The class and method cmd names, loaded through loader; StartFailure says what is wrong. */
  static FunctionMethod resolve(String cmd, ClassLoader loader) throws StartFailure {
    String[] parts = cmd == null ? new String[0] : cmd.trim().split("::", -1);
    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new StartFailure("cmd must name a class and a method as com.example.fn.HelloFunction::handleRequest, not '" + cmd + "'");
    }
    Class<?> cls;
    try {
      cls = Class.forName(parts[0], false, loader);
    } catch (ClassNotFoundException e) {
      throw new StartFailure("class " + parts[0] + " not found in the function's jars (lib/*.jar); is cmd in func.yaml right?");
    } catch (LinkageError e) {
      throw new StartFailure("class " + parts[0] + " could not be loaded: " + e);
    }
    if (!Modifier.isPublic(cls.getModifiers())) {
      throw new StartFailure("class " + parts[0] + " must be public");
    }
    List<Method> named = new ArrayList<>();
    TreeSet<String> available = new TreeSet<>();
    for (Method m : cls.getMethods()) {
      if (m.getDeclaringClass() == Object.class || m.isBridge() || m.isSynthetic()) {
        continue;
      }
      available.add(m.getName());
      if (m.getName().equals(parts[1])) {
        named.add(m);
      }
    }
    if (named.isEmpty()) {
      throw new StartFailure("method '" + parts[1] + "' not found as a public method of " + parts[0] + "; its public methods are " + available);
    }
    if (named.size() > 1) {
      throw new StartFailure(parts[0] + " has " + named.size() + " public methods named '" + parts[1] + "'; a function method must be unique by name");
    }
    return new FunctionMethod(cls, named.get(0));
  }

  boolean isStatic() {
    return Modifier.isStatic(getTargetMethod.getModifiers());
  }

  @Override
  public TypeWrapper getParamType(int index) {
    return new TypeOf(getTargetMethod.getParameterTypes()[index]);
  }

  @Override
  public TypeWrapper getReturnType() {
    return new TypeOf(getTargetMethod.getReturnType());
  }

  /** A parameter or return type (erased: generic types are read from the Method where needed). */
  private record TypeOf(Class<?> getParameterClass) implements TypeWrapper {}

  @Override
  public String toString() {
    return getLongName();
  }
}
