package com.example.fn;

import java.util.ArrayList;
import java.util.List;

/** Throws, sleeps past its timeout or exhausts the heap, as asked. */
public class MisbehavingFunction {
  private static final List<byte[]> HOARD = new ArrayList<>();

  public String handleRequest(String what) throws InterruptedException {
    if (what.equals("raise")) {
      throw new IllegalStateException("bad input 42");
    }
    if (what.startsWith("sleep ")) {
      Thread.sleep(Long.parseLong(what.substring(6).trim()));
      return "slept";
    }
    if (what.equals("hog")) {
      while (true) {
        HOARD.add(new byte[1 << 20]);
      }
    }
    return "fine " + what;
  }
}
