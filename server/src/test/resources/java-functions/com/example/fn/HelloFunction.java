package com.example.fn;

/** Fn's Java hello world, plus a pause so two calls overlap ("sleep <ms>"). */
public class HelloFunction {
  public String handleRequest(String input) throws InterruptedException {
    String name = input == null || input.isEmpty() ? "world" : input;
    if (name.startsWith("sleep ")) {
      Thread.sleep(Long.parseLong(name.substring(6).trim()));
      name = "sleeper";
    }
    System.out.println("hello called for " + name);
    return "Hello, " + name + "!";
  }
}
