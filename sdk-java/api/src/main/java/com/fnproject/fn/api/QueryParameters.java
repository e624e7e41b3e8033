package com.fnproject.fn.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The query parameters of an HTTP-triggered call's URL. */
public interface QueryParameters {
  Optional<String> get(String key);

  List<String> getValues(String key);

  Map<String, List<String>> getAll();
}
