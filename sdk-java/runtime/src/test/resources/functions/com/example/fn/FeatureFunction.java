package com.example.fn;

import com.fnproject.fn.api.FnFeature;
import com.fnproject.fn.api.RuntimeContext;
import com.fnproject.fn.api.RuntimeFeature;

/** A function with a runtime feature: the feature runs before the function object is made. */
@FnFeature(FeatureFunction.Marker.class)
public class FeatureFunction {
  public static class Marker implements RuntimeFeature {
    @Override
    public void initialize(RuntimeContext ctx) {
      ctx.setAttribute("marker", "set by the feature");
    }
  }

  private final String marker;

  public FeatureFunction(RuntimeContext ctx) {
    marker = ctx.getAttribute("marker", String.class).orElse("no feature ran");
  }

  public String handleRequest(String input) {
    return marker;
  }
}
