package com.example.fn;

/** Fn's Java hello world (cleave init --runtime java), with a pause on request ("sleep <ms>") for benchmarks. */
public class HelloFunction {
  public String handleRequest(String input) throws InterruptedException {
    String name = input == null || input.isEmpty() ? "world" : input;
    if (name.startsWith("sleep ")) {
      Thread.sleep(Long.parseLong(name.substring(6).trim()));
      name = "sleeper";
    }
    return "Hello, " + name + "!";
  }
}
