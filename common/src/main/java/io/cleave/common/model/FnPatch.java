package io.cleave.common.model;

import java.util.Map;

/** A function as sent on create, or the fields to change on update; null means "not given". */
public record FnPatch(String id, String name, String appId, String image, Integer memory, Integer timeout,
    Integer idleTimeout, Integer concurrency, Map<String, String> config, Map<String, Object> annotations) {

  public static FnPatch image(String image) {
    return new FnPatch(null, null, null, image, null, null, null, null, null, null);
  }
}
