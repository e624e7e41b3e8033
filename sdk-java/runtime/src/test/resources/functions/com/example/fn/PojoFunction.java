package com.example.fn;

import com.fnproject.fn.api.RuntimeContext;

public class PojoFunction {
  public static class Person {
    public String name;
    public int age;
  }

  public static class Greeting {
    public String message;
    public boolean adult;
    public String app;
  }

  private final String app;

  public PojoFunction(RuntimeContext ctx) {
    app = ctx.getAppID();
  }

  public Greeting handleRequest(Person p) {
    Greeting g = new Greeting();
    g.message = "Hi " + p.name;
    g.adult = p.age >= 18;
    g.app = app;
    return g;
  }
}
