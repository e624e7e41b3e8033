package com.example.fn;

import com.fnproject.fn.api.FnConfiguration;
import com.fnproject.fn.api.InvocationContext;
import com.fnproject.fn.api.RuntimeContext;

/** fdk-java style: configuration from RuntimeContext, a request header, a POJO in and out as JSON. */
public class GreetingFunction {
  public static class Person {
    public String name;
    public int age;
  }

  public static class Greeting {
    public String message;
    public boolean adult;
    public String asker;
    public String fnId;
  }

  private String greeting;
  private String fnId;

  @FnConfiguration
  public void configure(RuntimeContext ctx) {
    greeting = ctx.getConfigurationByKey("GREETING").orElse("Hello");
    fnId = ctx.getFunctionID();
  }

  public Greeting handleRequest(Person person, InvocationContext ctx) {
    Greeting g = new Greeting();
    g.message = greeting + " " + person.name;
    g.adult = person.age >= 18;
    g.asker = ctx.getRequestHeaders().get("X-Asker").orElse("nobody");
    g.fnId = fnId;
    return g;
  }
}
