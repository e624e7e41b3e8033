package com.example.fn;

public class BrokenConstructor {
  public BrokenConstructor() {
    throw new IllegalArgumentException("no database configured");
  }

  public String handleRequest(String in) {
    return in;
  }
}
