package com.example.fn;

import com.fnproject.fn.api.FnConfiguration;
import com.fnproject.fn.api.RuntimeContext;

public class HelloFunction {
  private String greeting;

  @FnConfiguration
  public void configure(RuntimeContext ctx) {
    greeting = ctx.getConfigurationByKey("GREETING").orElse("Hello");
  }

  public String handleRequest(String input) {
    String name = (input == null || input.isEmpty()) ? "world" : input;
    if (name.equals("boom")) {
      throw new IllegalStateException("boom went the function");
    }
    if (name.equals("sleep")) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        return "interrupted";
      }
    }
    System.err.println("greeting " + name);
    return greeting + ", " + name + "!";
  }
}
